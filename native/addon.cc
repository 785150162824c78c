// Entry point of the native addon: the Pool class, libsolv's constants the TypeScript
// side needs, and a decompressing file reader (libsolvext links zlib, liblzma, libzstd).
#include <napi.h>

#include <cstdio>
#include <string>
#include <vector>

#include "codec.h"
#include "convert.h"
#include "pool.h"
extern "C" {
#include <solv/selection.h>
#include <solv/solver.h>
#include <solv/solv_xfopen.h>
#include <solv/solvversion.h>
}

static Napi::Value ReadCompressed(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  FILE* fp = solv_xfopen(path.c_str(), "r");
  if (!fp) throw Napi::Error::New(info.Env(), "cannot open " + path);
  std::vector<char> data;
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, fp)) > 0) data.insert(data.end(), buf, buf + n);
  bool bad = ferror(fp);
  fclose(fp);
  if (bad) throw Napi::Error::New(info.Env(), "cannot decompress " + path);
  return Napi::Buffer<char>::Copy(info.Env(), data.data(), data.size());
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Pool", PoolWrap::Define(env));
  exports.Set("readCompressed", Napi::Function::New(env, ReadCompressed));
  exports.Set("libsolvVersion", Napi::String::New(env, solv_version));
  auto c = Napi::Object::New(env);
#define C(x) c.Set(#x, Napi::Number::New(env, x))
  C(SELECTION_NAME); C(SELECTION_PROVIDES); C(SELECTION_FILELIST); C(SELECTION_CANON);
  C(SELECTION_DOTARCH); C(SELECTION_REL); C(SELECTION_GLOB); C(SELECTION_NOCASE);
  C(SELECTION_WITH_SOURCE);
  C(SOLVER_SOLVABLE); C(SOLVER_SOLVABLE_ONE_OF); C(SOLVER_INSTALL); C(SOLVER_ERASE);
  C(SOLVER_LOCK); C(SOLVER_WEAK); C(SOLVER_FAVOR); C(SOLVER_DISFAVOR);
  C(SOLVER_FLAG_ALLOW_VENDORCHANGE); C(SOLVER_FLAG_KEEP_ORPHANS); C(SOLVER_FLAG_BEST_OBEY_POLICY);
  C(SOLVER_FLAG_YUM_OBSOLETES); C(SOLVER_FLAG_IGNORE_RECOMMENDED); C(SOLVER_FLAG_ALLOW_UNINSTALL);
  C(SOLVER_FLAG_FOCUS_BEST); C(SOLVER_FLAG_STRONG_RECOMMENDS);
#undef C
  exports.Set("constants", c);
  InitCodec(env, exports);
  return exports;
}

NODE_API_MODULE(rpmcompose_solv, Init)
