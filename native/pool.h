// Pool: one libsolv pool per architecture, with its repos, selections and lookups.
// Marshalling only: which repos to load, what to exclude and how to read the answers
// is decided in src/solve/.
#pragma once
#include <napi.h>
extern "C" {
#include <solv/pool.h>
#include <solv/repo.h>
}

class PoolWrap : public Napi::ObjectWrap<PoolWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit PoolWrap(const Napi::CallbackInfo& info);
  ~PoolWrap() override;

 private:
  Pool* pool_;
  Map considered_;
  bool hasConsidered_ = false;

  Repo* RepoArg(const Napi::CallbackInfo& info, size_t i);
  Solvable* SolvableAt(Napi::Env env, Id p);

  // pool.cc
  Napi::Value CreateRepo(const Napi::CallbackInfo& info);
  Napi::Value RepoAddRpmmd(const Napi::CallbackInfo& info);
  Napi::Value RepoAddSolv(const Napi::CallbackInfo& info);
  Napi::Value RepoWrite(const Napi::CallbackInfo& info);
  Napi::Value RepoSetPriority(const Napi::CallbackInfo& info);
  Napi::Value RepoSolvables(const Napi::CallbackInfo& info);
  Napi::Value Prepare(const Napi::CallbackInfo& info);
  Napi::Value SetExcluded(const Napi::CallbackInfo& info);
  Napi::Value Select(const Napi::CallbackInfo& info);
  Napi::Value WhatObsoletes(const Napi::CallbackInfo& info);
  Napi::Value WhatProvides(const Napi::CallbackInfo& info);
  Napi::Value Describe(const Napi::CallbackInfo& info);
  Napi::Value Nevras(const Napi::CallbackInfo& info);
  Napi::Value Names(const Napi::CallbackInfo& info);
  // files.cc
  Napi::Value FileDeps(const Napi::CallbackInfo& info);
  Napi::Value RepoAddFileProvides(const Napi::CallbackInfo& info);
  Napi::Value CreateWhatProvides(const Napi::CallbackInfo& info);
  // solver.cc
  Napi::Value Solve(const Napi::CallbackInfo& info);
  Napi::Value Edges(const Napi::CallbackInfo& info);
};
