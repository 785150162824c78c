#include "pool.h"

#include <cstdio>
#include <set>
#include <string>

#include "convert.h"
extern "C" {
#include <solv/bitmap.h>
#include <solv/chksum.h>
#include <solv/repo_rpmmd.h>
#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#include <solv/selection.h>
#include <solv/solv_xfopen.h>
#include <solv/solvable.h>
}

Napi::Function PoolWrap::Define(Napi::Env env) {
  return DefineClass(env, "Pool",
                     {
                         InstanceMethod("createRepo", &PoolWrap::CreateRepo),
                         InstanceMethod("repoAddRpmmd", &PoolWrap::RepoAddRpmmd),
                         InstanceMethod("repoAddSolv", &PoolWrap::RepoAddSolv),
                         InstanceMethod("repoWrite", &PoolWrap::RepoWrite),
                         InstanceMethod("repoSetPriority", &PoolWrap::RepoSetPriority),
                         InstanceMethod("repoSolvables", &PoolWrap::RepoSolvables),
                         InstanceMethod("prepare", &PoolWrap::Prepare),
                         InstanceMethod("setExcluded", &PoolWrap::SetExcluded),
                         InstanceMethod("select", &PoolWrap::Select),
                         InstanceMethod("whatObsoletes", &PoolWrap::WhatObsoletes),
                         InstanceMethod("whatProvides", &PoolWrap::WhatProvides),
                         InstanceMethod("describe", &PoolWrap::Describe),
                         InstanceMethod("nevras", &PoolWrap::Nevras),
                         InstanceMethod("names", &PoolWrap::Names),
                         InstanceMethod("fileDeps", &PoolWrap::FileDeps),
                         InstanceMethod("repoAddFileProvides", &PoolWrap::RepoAddFileProvides),
                         InstanceMethod("createWhatProvides", &PoolWrap::CreateWhatProvides),
                         InstanceMethod("solve", &PoolWrap::Solve),
                         InstanceMethod("edges", &PoolWrap::Edges),
                     });
}

PoolWrap::PoolWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PoolWrap>(info) {
  std::string arch = ArgString(info, 0, "arch");
  pool_ = pool_create();
  // Debian's libsolv is built multi-semantics and defaults to Debian rules: RPM must be
  // set before the arch, or noarch is uninstallable and `^` versions compare wrong.
  pool_setdisttype(pool_, DISTTYPE_RPM);
  pool_setarch(pool_, arch.c_str());
  map_init(&considered_, 0);
}

PoolWrap::~PoolWrap() {
  pool_->considered = nullptr;
  map_free(&considered_);
  pool_free(pool_);
}

Repo* PoolWrap::RepoArg(const Napi::CallbackInfo& info, size_t i) {
  int id = ArgInt(info, i, "repo");
  if (id <= 0 || id >= pool_->nrepos || !pool_->repos[id])
    throw Napi::RangeError::New(info.Env(), "no such repo: " + std::to_string(id));
  return pool_->repos[id];
}

Solvable* PoolWrap::SolvableAt(Napi::Env env, Id p) {
  if (p <= 1 || p >= pool_->nsolvables || !pool_->solvables[p].repo)
    throw Napi::RangeError::New(env, "no such solvable: " + std::to_string(p));
  return pool_->solvables + p;
}

Napi::Value PoolWrap::CreateRepo(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  Repo* repo = repo_create(pool_, name.c_str());
  return Napi::Number::New(info.Env(), repo->repoid);
}

// Reads primary (extend=false) or filelists (extend=true) through solv_xfopen, which
// decompresses gz, xz and zst by the file name.
Napi::Value PoolWrap::RepoAddRpmmd(const Napi::CallbackInfo& info) {
  Repo* repo = RepoArg(info, 0);
  std::string path = ArgString(info, 1, "path");
  bool extend = info.Length() > 2 && info[2].ToBoolean();
  FILE* fp = solv_xfopen(path.c_str(), "r");
  if (!fp) throw Napi::Error::New(info.Env(), "cannot open " + path);
  int flags = REPO_NO_INTERNALIZE | (extend ? REPO_EXTEND_SOLVABLES : 0);
  int ret = repo_add_rpmmd(repo, fp, nullptr, flags);
  fclose(fp);
  if (ret) throw Napi::Error::New(info.Env(), path + ": " + pool_errstr(pool_));
  repo_internalize(repo);
  return info.Env().Undefined();
}

Napi::Value PoolWrap::RepoAddSolv(const Napi::CallbackInfo& info) {
  Repo* repo = RepoArg(info, 0);
  std::string path = ArgString(info, 1, "path");
  FILE* fp = fopen(path.c_str(), "r");
  if (!fp) return Napi::Boolean::New(info.Env(), false);
  int ret = repo_add_solv(repo, fp, 0);
  fclose(fp);
  // A stale or foreign .solv is not an error: the caller falls back to the XML.
  if (ret) repo_empty(repo, 1);
  return Napi::Boolean::New(info.Env(), ret == 0);
}

Napi::Value PoolWrap::RepoWrite(const Napi::CallbackInfo& info) {
  Repo* repo = RepoArg(info, 0);
  std::string path = ArgString(info, 1, "path");
  FILE* fp = fopen(path.c_str(), "w");
  if (!fp) throw Napi::Error::New(info.Env(), "cannot write " + path);
  int ret = repo_write(repo, fp);
  if (fclose(fp) || ret) throw Napi::Error::New(info.Env(), "writing " + path + " failed");
  return info.Env().Undefined();
}

Napi::Value PoolWrap::RepoSetPriority(const Napi::CallbackInfo& info) {
  Repo* repo = RepoArg(info, 0);
  repo->priority = ArgInt(info, 1, "priority");
  repo->subpriority = ArgInt(info, 2, "subpriority");
  return info.Env().Undefined();
}

Napi::Value PoolWrap::RepoSolvables(const Napi::CallbackInfo& info) {
  Repo* repo = RepoArg(info, 0);
  Queue q;
  queue_init(&q);
  Id p;
  Solvable* s;
  FOR_REPO_SOLVABLES(repo, p, s) queue_push(&q, p);
  auto out = QueueToArray(info.Env(), q);
  queue_free(&q);
  return out;
}

// File dependencies need the file provides added before the whatprovides index.
Napi::Value PoolWrap::Prepare(const Napi::CallbackInfo& info) {
  pool_addfileprovides(pool_);
  pool_createwhatprovides(pool_);
  return info.Env().Undefined();
}

// Excluded solvables vanish from selection and solving (dnf's excludes, module filtering).
Napi::Value PoolWrap::SetExcluded(const Napi::CallbackInfo& info) {
  if (info.Length() == 0 || info[0].IsNull() || info[0].IsUndefined()) {
    pool_->considered = nullptr;
  } else {
    Queue q;
    queue_init(&q);
    ArrayToQueue(info[0], &q);
    map_free(&considered_);
    map_init(&considered_, pool_->nsolvables);
    map_setall(&considered_);
    for (int i = 0; i < q.count; i++)
      if (q.elements[i] > 0 && q.elements[i] < pool_->nsolvables) MAPCLR(&considered_, q.elements[i]);
    queue_free(&q);
    pool_->considered = &considered_;
  }
  return info.Env().Undefined();
}

Napi::Value PoolWrap::Select(const Napi::CallbackInfo& info) {
  std::string spec = ArgString(info, 0, "spec");
  int flags = ArgInt(info, 1, "flags");
  Queue sel, pkgs;
  queue_init(&sel);
  queue_init(&pkgs);
  selection_make(pool_, &sel, spec.c_str(), flags);
  selection_solvables(pool_, &sel, &pkgs);
  auto out = QueueToArray(info.Env(), pkgs);
  queue_free(&sel);
  queue_free(&pkgs);
  return out;
}

// Available solvables whose Obsoletes match any of the given ones (dnf's obsoletes=True
// widens `install NAME` to them).
Napi::Value PoolWrap::WhatObsoletes(const Napi::CallbackInfo& info) {
  Pool* pool = pool_;  // libsolv iteration macros name it `pool`
  Queue targets, out;
  queue_init(&targets);
  queue_init(&out);
  ArrayToQueue(info[0], &targets);
  Id p;
  Solvable* s;
  FOR_POOL_SOLVABLES(p) {
    s = pool_->solvables + p;
    if (!s->repo || !s->obsoletes || !pool_installable(pool_, s)) continue;
    if (pool_->considered && !MAPTST(pool_->considered, p)) continue;
    Id *obsp = s->repo->idarraydata + s->obsoletes, obs;
    bool hit = false;
    while (!hit && (obs = *obsp++) != 0)
      for (int i = 0; i < targets.count && !hit; i++)
        hit = pool_match_nevr(pool_, pool_->solvables + targets.elements[i], obs);
    if (hit) queue_push(&out, p);
  }
  auto res = QueueToArray(info.Env(), out);
  queue_free(&targets);
  queue_free(&out);
  return res;
}

Napi::Value PoolWrap::WhatProvides(const Napi::CallbackInfo& info) {
  Pool* pool = pool_;  // libsolv iteration macros name it `pool`
  std::string dep = ArgString(info, 0, "dep");
  Id id = pool_str2id(pool_, dep.c_str(), 0);
  Queue q;
  queue_init(&q);
  if (id) {
    Id p, pp;
    FOR_PROVIDES(p, pp, id) queue_push(&q, p);
  }
  auto out = QueueToArray(info.Env(), q);
  queue_free(&q);
  return out;
}

static Napi::Value StrOrNull(Napi::Env env, const char* s) {
  return s ? Napi::String::New(env, s) : env.Null();
}

Napi::Value PoolWrap::Describe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Queue q;
  queue_init(&q);
  ArrayToQueue(info[0], &q);
  auto out = Napi::Array::New(env, q.count);
  for (int i = 0; i < q.count; i++) {
    Solvable* s = SolvableAt(env, q.elements[i]);
    auto o = Napi::Object::New(env);
    o.Set("id", q.elements[i]);
    o.Set("name", pool_id2str(pool_, s->name));
    o.Set("evr", pool_id2str(pool_, s->evr));
    o.Set("arch", pool_id2str(pool_, s->arch));
    o.Set("repo", s->repo->repoid);
    unsigned int medianr;
    o.Set("location", StrOrNull(env, solvable_lookup_location(s, &medianr)));
    Id type = 0;
    const char* sum = solvable_lookup_checksum(s, SOLVABLE_CHECKSUM, &type);
    o.Set("checksum", sum ? Napi::String::New(env, std::string(solv_chksum_type2str(type)) + ":" + sum)
                          : env.Null());
    o.Set("size", (double)solvable_lookup_num(s, SOLVABLE_DOWNLOADSIZE, 0));
    o.Set("installsize", (double)solvable_lookup_num(s, SOLVABLE_INSTALLSIZE, 0));
    o.Set("buildtime", (double)solvable_lookup_num(s, SOLVABLE_BUILDTIME, 0));
    o.Set("headerend", (double)solvable_lookup_num(s, SOLVABLE_HEADEREND, 0));
    o.Set("sourcerpm", StrOrNull(env, solvable_lookup_sourcepkg(s)));
    o.Set("license", StrOrNull(env, solvable_lookup_str(s, SOLVABLE_LICENSE)));
    o.Set("summary", StrOrNull(env, solvable_lookup_str(s, SOLVABLE_SUMMARY)));
    out.Set(i, o);
  }
  queue_free(&q);
  return out;
}

Napi::Value PoolWrap::Nevras(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Queue q;
  queue_init(&q);
  ArrayToQueue(info[0], &q);
  auto out = Napi::Array::New(env, q.count);
  for (int i = 0; i < q.count; i++) out.Set(i, pool_solvable2str(pool_, SolvableAt(env, q.elements[i])));
  queue_free(&q);
  return out;
}

Napi::Value PoolWrap::Names(const Napi::CallbackInfo& info) {
  Pool* pool = pool_;  // libsolv iteration macros name it `pool`
  std::set<Id> ids;
  Id p;
  FOR_POOL_SOLVABLES(p) ids.insert(pool_->solvables[p].name);
  auto out = Napi::Array::New(info.Env(), ids.size());
  uint32_t i = 0;
  for (Id id : ids) out.Set(i++, pool_id2str(pool_, id));
  return out;
}
