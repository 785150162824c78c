// File dependencies without loading whole file lists: which paths the pool's packages
// depend on, and a streaming scan of filelists.xml that adds just those paths as file
// provides. Parsing all of filelists into libsolv costs seconds on a Fedora-size repo
// (its directory pool is quadratic in siblings); a repo needs a handful of paths.
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "convert.h"
#include "pool.h"
extern "C" {
#include <solv/chksum.h>
#include <solv/solv_xfopen.h>
#include <solv/solvable.h>
}

static void CollectFileDeps(Pool* pool, Id dep, std::unordered_set<Id>& out) {
  while (ISRELDEP(dep)) {
    Reldep* rd = GETRELDEP(pool, dep);
    if (rd->flags < 8) {  // plain version relation: the name carries the file path
      dep = rd->name;
      continue;
    }
    // Rich dependencies (and, or, if, with…): both sides may hold paths.
    CollectFileDeps(pool, rd->name, out);
    dep = rd->evr;
  }
  const char* s = pool_id2str(pool, dep);
  if (s[0] == '/') out.insert(dep);
}

Napi::Value PoolWrap::FileDeps(const Napi::CallbackInfo& info) {
  Pool* pool = pool_;
  std::unordered_set<Id> ids;
  Id p;
  FOR_POOL_SOLVABLES(p) {
    Solvable* s = pool->solvables + p;
    Offset keys[] = {s->requires, s->conflicts, s->obsoletes, s->recommends, s->suggests, s->supplements, s->enhances};
    for (Offset off : keys) {
      if (!off) continue;
      for (Id* dp = s->repo->idarraydata + off; *dp; dp++)
        if (*dp != SOLVABLE_PREREQMARKER) CollectFileDeps(pool, *dp, ids);
    }
  }
  auto out = Napi::Array::New(info.Env(), ids.size());
  uint32_t i = 0;
  for (Id id : ids) out.Set(i++, pool_id2str(pool, id));
  return out;
}

static std::string XmlUnescape(const char* b, const char* e) {
  std::string out;
  out.reserve(e - b);
  while (b < e) {
    if (*b != '&') {
      out += *b++;
      continue;
    }
    const char* semi = static_cast<const char*>(memchr(b, ';', e - b));
    if (!semi) {
      out.append(b, e);
      break;
    }
    std::string ent(b + 1, semi);
    if (ent == "amp") out += '&';
    else if (ent == "lt") out += '<';
    else if (ent == "gt") out += '>';
    else if (ent == "quot") out += '"';
    else if (ent == "apos") out += '\'';
    else if (!ent.empty() && ent[0] == '#') {
      long c = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X') ? strtol(ent.c_str() + 2, nullptr, 16) : strtol(ent.c_str() + 1, nullptr, 10);
      if (c < 0x80) out += static_cast<char>(c);
      else if (c < 0x800) { out += static_cast<char>(0xC0 | (c >> 6)); out += static_cast<char>(0x80 | (c & 0x3F)); }
      else if (c < 0x10000) { out += static_cast<char>(0xE0 | (c >> 12)); out += static_cast<char>(0x80 | ((c >> 6) & 0x3F)); out += static_cast<char>(0x80 | (c & 0x3F)); }
      else { out += static_cast<char>(0xF0 | (c >> 18)); out += static_cast<char>(0x80 | ((c >> 12) & 0x3F)); out += static_cast<char>(0x80 | ((c >> 6) & 0x3F)); out += static_cast<char>(0x80 | (c & 0x3F)); }
    } else out.append(b, semi + 1);
    b = semi + 1;
  }
  return out;
}

// Value of attribute `name` inside the tag text [b, e), or empty.
static std::string Attr(const char* b, const char* e, const char* name) {
  std::string pat = std::string(" ") + name + "=\"";
  std::string tag(b, e);
  size_t at = tag.find(pat);
  if (at == std::string::npos) return "";
  size_t start = at + pat.size();
  size_t end = tag.find('"', start);
  return end == std::string::npos ? "" : tag.substr(start, end - start);
}

// repoAddFileProvides(repo, filelistsPath, paths[]) → number of provides added.
Napi::Value PoolWrap::RepoAddFileProvides(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Repo* repo = RepoArg(info, 0);
  std::string path = ArgString(info, 1, "path");
  if (!info[2].IsArray()) throw Napi::TypeError::New(env, "paths must be an array");
  auto arr = info[2].As<Napi::Array>();
  std::unordered_map<std::string, Id> wanted;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    std::string p = arr.Get(i).As<Napi::String>().Utf8Value();
    wanted.emplace(p, pool_str2id(pool_, p.c_str(), 1));
  }
  // filelists names packages by pkgid, the checksum primary gives them.
  std::unordered_map<std::string, Id> byPkgid;
  Id p;
  Solvable* s;
  FOR_REPO_SOLVABLES(repo, p, s) {
    Id type = 0;
    const char* sum = solvable_lookup_checksum(s, SOLVABLE_CHECKSUM, &type);
    if (sum) byPkgid.emplace(sum, p);
  }
  FILE* fp = solv_xfopen(path.c_str(), "r");
  if (!fp) throw Napi::Error::New(env, "cannot open " + path);
  std::string buf;
  char chunk[1 << 16];
  size_t n;
  Id current = 0;
  int added = 0;
  bool eof = false;
  while (!eof) {
    n = fread(chunk, 1, sizeof chunk, fp);
    if (n == 0) eof = true;
    else buf.append(chunk, n);
    const char* b = buf.data();
    const char* e = b + buf.size();
    const char* pos = b;
    // Handle every complete element in the buffer; keep the incomplete tail.
    while (true) {
      const char* lt = static_cast<const char*>(memchr(pos, '<', e - pos));
      if (!lt) { pos = e; break; }
      const char* gt = static_cast<const char*>(memchr(lt, '>', e - lt));
      if (!gt) { pos = lt; break; }
      if (e - lt > 8 && !memcmp(lt, "<package", 8) && (lt[8] == ' ' || lt[8] == '>')) {
        auto it = byPkgid.find(Attr(lt, gt, "pkgid"));
        current = it == byPkgid.end() ? 0 : it->second;
        pos = gt + 1;
      } else if (e - lt > 5 && !memcmp(lt, "<file", 5) && (lt[5] == ' ' || lt[5] == '>')) {
        const char* text = gt + 1;
        const char* close = static_cast<const char*>(memmem(text, e - text, "</file>", 7));
        if (!close) { pos = lt; break; }
        if (current) {
          auto it = wanted.find(XmlUnescape(text, close));
          if (it != wanted.end()) {
            Solvable* cs = pool_->solvables + current;
            cs->provides = repo_addid_dep(repo, cs->provides, it->second, SOLVABLE_FILEMARKER);
            added++;
          }
        }
        pos = close + 7;
      } else {
        pos = gt + 1;
      }
    }
    buf.erase(0, pos - b);
  }
  bool bad = ferror(fp);
  fclose(fp);
  if (bad) throw Napi::Error::New(env, "cannot read " + path);
  return Napi::Number::New(env, added);
}

Napi::Value PoolWrap::CreateWhatProvides(const Napi::CallbackInfo& info) {
  pool_createwhatprovides(pool_);
  return info.Env().Undefined();
}
