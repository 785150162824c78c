// Marshalling between libsolv Queues and JavaScript arrays. Nothing else.
#pragma once
#include <napi.h>
extern "C" {
#include <solv/queue.h>
}

Napi::Int32Array QueueToArray(Napi::Env env, const Queue& q);
void ArrayToQueue(const Napi::Value& v, Queue* q);
// Throws a TypeError naming `what` unless v is a string.
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* what);
int ArgInt(const Napi::CallbackInfo& info, size_t i, const char* what);
