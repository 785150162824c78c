// Streaming payload codecs (xz/lzma, zstd, bzip2 decoders; zstd encoder). Marshalling only.
#pragma once
#include <napi.h>

void InitCodec(Napi::Env env, Napi::Object exports);
