#include "convert.h"

Napi::Int32Array QueueToArray(Napi::Env env, const Queue& q) {
  auto out = Napi::Int32Array::New(env, q.count);
  for (int i = 0; i < q.count; i++) out[i] = q.elements[i];
  return out;
}

void ArrayToQueue(const Napi::Value& v, Queue* q) {
  if (v.IsTypedArray()) {
    auto a = v.As<Napi::Int32Array>();
    for (size_t i = 0; i < a.ElementLength(); i++) queue_push(q, a[i]);
    return;
  }
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), "expected an array of ids");
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) queue_push(q, a.Get(i).As<Napi::Number>().Int32Value());
}

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsString())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

int ArgInt(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  return info[i].As<Napi::Number>().Int32Value();
}
