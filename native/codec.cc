// Streaming codecs over the system liblzma, libzstd and libbz2: a Decoder (xz, lzma,
// zstd, bzip2) and a zstd Encoder. push(chunk) returns every byte produced so far (maybe
// an empty Buffer); finish() returns the rest and throws on truncated or corrupt input.
// Synchronous by design: the TypeScript Transform calls it inside _transform.
#include <bzlib.h>
#include <lzma.h>
#include <zstd.h>

#include <cstring>
#include <string>
#include <vector>

#include "codec.h"

namespace {

constexpr size_t kOut = 1 << 17;

class Codec : public Napi::ObjectWrap<Codec> {
 public:
  enum Kind { XZ, LZMA, ZSTD_D, BZIP2, ZSTD_E };

  static Napi::Function Define(Napi::Env env, const char* name, bool encoder) {
    return DefineClass(env, name,
                       {InstanceMethod("push", &Codec::Push), InstanceMethod("finish", &Codec::Finish)},
                       reinterpret_cast<void*>(encoder ? 1 : 0));
  }

  explicit Codec(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Codec>(info) {
    Napi::Env env = info.Env();
    bool encoder = info.Data() != nullptr;
    if (encoder) {
      int level = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 3;
      kind_ = ZSTD_E;
      name_ = "zstd";
      cctx_ = ZSTD_createCCtx();
      if (!cctx_) throw Napi::Error::New(env, "zstd: cannot create encoder");
      size_t r = ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level);
      if (!ZSTD_isError(r)) r = ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1);
      if (ZSTD_isError(r)) throw Napi::Error::New(env, std::string("zstd: ") + ZSTD_getErrorName(r));
      return;
    }
    if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "Decoder: format must be a string");
    name_ = info[0].As<Napi::String>().Utf8Value();
    if (name_ == "xz" || name_ == "lzma") {
      kind_ = name_ == "xz" ? XZ : LZMA;
      // xz: any integrity check (CRC32/CRC64/SHA-256), concatenated streams. lzma: legacy .lzma.
      lzma_ret r = kind_ == XZ ? lzma_stream_decoder(&lz_, UINT64_MAX, LZMA_CONCATENATED)
                               : lzma_alone_decoder(&lz_, UINT64_MAX);
      if (r != LZMA_OK) throw Napi::Error::New(env, name_ + ": cannot create decoder");
      lzInit_ = true;
    } else if (name_ == "zstd") {
      kind_ = ZSTD_D;
      dctx_ = ZSTD_createDCtx();
      if (!dctx_) throw Napi::Error::New(env, "zstd: cannot create decoder");
      // Frames may declare windows up to 2 GiB (rpm uses --long for high levels).
      ZSTD_DCtx_setParameter(dctx_, ZSTD_d_windowLogMax, 31);
    } else if (name_ == "bzip2") {
      kind_ = BZIP2;
      if (BZ2_bzDecompressInit(&bz_, 0, 0) != BZ_OK) throw Napi::Error::New(env, "bzip2: cannot create decoder");
      bzInit_ = true;
    } else {
      throw Napi::TypeError::New(env, "Decoder: unknown format '" + name_ + "' (xz, lzma, zstd, bzip2)");
    }
  }

  ~Codec() override { Release(); }

 private:
  void Release() {
    if (lzInit_) lzma_end(&lz_), lzInit_ = false;
    if (bzInit_) BZ2_bzDecompressEnd(&bz_), bzInit_ = false;
    if (dctx_) ZSTD_freeDCtx(dctx_), dctx_ = nullptr;
    if (cctx_) ZSTD_freeCCtx(cctx_), cctx_ = nullptr;
  }

  [[noreturn]] void Fail(Napi::Env env, const std::string& what) {
    failed_ = true;
    Release();
    throw Napi::Error::New(env, name_ + ": " + what);
  }

  // Runs the codec over [in, in+len); `last` = no more input will come.
  void Run(Napi::Env env, const uint8_t* in, size_t len, bool last) {
    if (failed_) throw Napi::Error::New(env, name_ + ": stream already failed");
    if (finished_) throw Napi::Error::New(env, name_ + ": stream already finished");
    switch (kind_) {
      case XZ:
      case LZMA: {
        lz_.next_in = in;
        lz_.avail_in = len;
        for (;;) {
          size_t at = out_.size();
          out_.resize(at + kOut);
          lz_.next_out = reinterpret_cast<uint8_t*>(out_.data() + at);
          lz_.avail_out = kOut;
          lzma_ret r = lzma_code(&lz_, last ? LZMA_FINISH : LZMA_RUN);
          out_.resize(at + kOut - lz_.avail_out);
          if (r == LZMA_STREAM_END) {
            ended_ = true;
            if (lz_.avail_in) Fail(env, "trailing data after the end of the stream");
            break;
          }
          if (r == LZMA_BUF_ERROR && last) Fail(env, "truncated input (stream ends before its end marker)");
          if (r == LZMA_DATA_ERROR) Fail(env, "corrupt data");
          if (r == LZMA_FORMAT_ERROR) Fail(env, "not in " + name_ + " format");
          if (r == LZMA_OPTIONS_ERROR) Fail(env, "unsupported options in the stream header");
          if (r == LZMA_MEM_ERROR || r == LZMA_MEMLIMIT_ERROR) Fail(env, "out of memory");
          if (r != LZMA_OK && r != LZMA_BUF_ERROR) Fail(env, "decoder error " + std::to_string(r));
          if (lz_.avail_out != 0 && lz_.avail_in == 0 && !last) break;
          if (r == LZMA_BUF_ERROR) break;
        }
        if (last && !ended_) Fail(env, "truncated input (stream ends before its end marker)");
        break;
      }
      case ZSTD_D: {
        ZSTD_inBuffer ib{in, len, 0};
        for (;;) {
          size_t at = out_.size();
          out_.resize(at + kOut);
          ZSTD_outBuffer ob{out_.data() + at, kOut, 0};
          size_t before = ib.pos;
          size_t r = ZSTD_decompressStream(dctx_, &ob, &ib);
          out_.resize(at + ob.pos);
          if (ZSTD_isError(r)) Fail(env, std::string("corrupt data (") + ZSTD_getErrorName(r) + ")");
          // r == 0: a frame just ended and is flushed. A call that moved nothing says nothing.
          if (ib.pos != before || ob.pos > 0) zstdPending_ = r != 0;
          if (ib.pos == ib.size && ob.pos < ob.size) break;
        }
        if (last && (zstdPending_ || !sawInput_)) Fail(env, "truncated input (frame incomplete)");
        break;
      }
      case BZIP2: {
        size_t pos = 0;
        for (;;) {
          if (bzEnded_) {
            if (pos == len) break;
            // Another bzip2 stream follows (pbzip2-style concatenation).
            BZ2_bzDecompressEnd(&bz_);
            std::memset(&bz_, 0, sizeof bz_);
            if (BZ2_bzDecompressInit(&bz_, 0, 0) != BZ_OK) Fail(env, "cannot restart decoder");
            bzEnded_ = false;
          }
          size_t at = out_.size();
          out_.resize(at + kOut);
          size_t chunk = std::min<size_t>(len - pos, 1u << 30);
          bz_.next_in = const_cast<char*>(reinterpret_cast<const char*>(in + pos));
          bz_.avail_in = static_cast<unsigned>(chunk);
          bz_.next_out = out_.data() + at;
          bz_.avail_out = kOut;
          int r = BZ2_bzDecompress(&bz_);
          out_.resize(at + kOut - bz_.avail_out);
          pos += chunk - bz_.avail_in;
          if (r == BZ_STREAM_END) {
            bzEnded_ = true;
            continue;
          }
          if (r == BZ_DATA_ERROR || r == BZ_DATA_ERROR_MAGIC) Fail(env, "corrupt data");
          if (r == BZ_MEM_ERROR) Fail(env, "out of memory");
          if (r != BZ_OK) Fail(env, "decoder error " + std::to_string(r));
          if (pos == len && bz_.avail_out != 0) break;
        }
        if (last && !bzEnded_) Fail(env, "truncated input (stream ends before its end marker)");
        break;
      }
      case ZSTD_E: {
        ZSTD_inBuffer ib{in, len, 0};
        for (;;) {
          size_t at = out_.size();
          out_.resize(at + kOut);
          ZSTD_outBuffer ob{out_.data() + at, kOut, 0};
          size_t r = ZSTD_compressStream2(cctx_, &ob, &ib, last ? ZSTD_e_end : ZSTD_e_continue);
          out_.resize(at + ob.pos);
          if (ZSTD_isError(r)) Fail(env, ZSTD_getErrorName(r));
          if (last ? r == 0 : (ib.pos == ib.size && ob.pos < ob.size)) break;
        }
        break;
      }
    }
    if (len) sawInput_ = true;
    if (last) finished_ = true, Release();
  }

  Napi::Value Take(Napi::Env env) {
    if (out_.empty()) return Napi::Buffer<char>::New(env, 0);
    auto* v = new std::vector<char>(std::move(out_));
    out_ = std::vector<char>();
    return Napi::Buffer<char>::New(env, v->data(), v->size(), [](Napi::Env, char*, std::vector<char>* p) { delete p; }, v);
  }

  Napi::Value Push(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray()) throw Napi::TypeError::New(env, "push: chunk must be a Buffer");
    auto chunk = info[0].As<Napi::Uint8Array>();
    Run(env, chunk.Data(), chunk.ByteLength(), false);
    return Take(env);
  }

  Napi::Value Finish(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Run(env, nullptr, 0, true);
    return Take(env);
  }

  Kind kind_ = XZ;
  std::string name_;
  lzma_stream lz_ = LZMA_STREAM_INIT;
  bz_stream bz_{};
  ZSTD_DCtx* dctx_ = nullptr;
  ZSTD_CCtx* cctx_ = nullptr;
  bool lzInit_ = false, bzInit_ = false, bzEnded_ = false, ended_ = false;
  bool zstdPending_ = false, sawInput_ = false, failed_ = false, finished_ = false;
  std::vector<char> out_;
};

}  // namespace

void InitCodec(Napi::Env env, Napi::Object exports) {
  exports.Set("Decoder", Codec::Define(env, "Decoder", false));
  exports.Set("Encoder", Codec::Define(env, "Encoder", true));
  exports.Set("codecVersions", [&] {
    auto o = Napi::Object::New(env);
    o.Set("lzma", lzma_version_string());
    o.Set("zstd", ZSTD_versionString());
    o.Set("bzip2", BZ2_bzlibVersion());
    return o;
  }());
}
