// Solver, Transaction, Problem: one solve per call; the pool keeps no solver state.
#include <string>

#include "convert.h"
#include "pool.h"
extern "C" {
#include <solv/bitmap.h>
#include <solv/problems.h>
#include <solv/solver.h>
#include <solv/transaction.h>
}

// jobs: [[how, Int32Array ids], ...]. Several ids become one SOLVER_SOLVABLE_ONE_OF job,
// so libsolv's policy picks among the candidates as it does for dnf's selectors.
// flags: [[SOLVER_FLAG_*, value], ...].
Napi::Value PoolWrap::Solve(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsArray())
    throw Napi::TypeError::New(env, "solve(jobs, flags)");
  Queue job;
  queue_init(&job);
  auto jobs = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < jobs.Length(); i++) {
    auto j = jobs.Get(i).As<Napi::Array>();
    Id how = j.Get(0u).As<Napi::Number>().Int32Value();
    Queue ids;
    queue_init(&ids);
    ArrayToQueue(j.Get(1u), &ids);
    if ((how & SOLVER_SELECTMASK) == SOLVER_SOLVABLE && ids.count == 1)
      queue_push2(&job, how, ids.elements[0]);
    else
      queue_push2(&job, (how & ~SOLVER_SELECTMASK) | SOLVER_SOLVABLE_ONE_OF,
                  pool_queuetowhatprovides(pool_, &ids));
    queue_free(&ids);
  }
  Solver* solv = solver_create(pool_);
  auto flags = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < flags.Length(); i++) {
    auto f = flags.Get(i).As<Napi::Array>();
    solver_set_flag(solv, f.Get(0u).As<Napi::Number>().Int32Value(), f.Get(1u).As<Napi::Number>().Int32Value());
  }
  auto result = Napi::Object::New(env);
  auto problems = Napi::Array::New(env);
  if (solver_solve(solv, &job) == 0) {
    Transaction* trans = solver_create_transaction(solv);
    Queue installs;
    queue_init(&installs);
    for (int i = 0; i < trans->steps.count; i++) {
      Id p = trans->steps.elements[i];
      if (!pool_->installed || pool_->solvables[p].repo != pool_->installed) queue_push(&installs, p);
    }
    result.Set("install", QueueToArray(env, installs));
    queue_free(&installs);
    transaction_free(trans);
  } else {
    Id count = solver_problem_count(solv);
    for (Id problem = 1; problem <= count; problem++) {
      auto po = Napi::Object::New(env);
      po.Set("text", solver_problem2str(solv, problem));
      // Every rule taking part, as dnf lists them under "Problem:".
      Queue rules;
      queue_init(&rules);
      solver_findallproblemrules(solv, problem, &rules);
      auto ruleTexts = Napi::Array::New(env);
      for (int i = 0; i < rules.count; i++) {
        Id source, target, dep;
        SolverRuleinfo type = solver_ruleinfo(solv, rules.elements[i], &source, &target, &dep);
        ruleTexts.Set(i, solver_problemruleinfo2str(solv, type, source, target, dep));
      }
      queue_free(&rules);
      po.Set("rules", ruleTexts);
      auto sols = Napi::Array::New(env);
      uint32_t si = 0;
      for (Id s = 0; (s = solver_next_solution(solv, problem, s)) != 0;) {
        auto elems = Napi::Array::New(env);
        uint32_t ei = 0;
        Id p, rp;
        for (Id e = 0; (e = solver_next_solutionelement(solv, problem, s, e, &p, &rp)) != 0;)
          elems.Set(ei++, solver_solutionelement2str(solv, p, rp));
        sols.Set(si++, elems);
      }
      po.Set("solutions", sols);
      problems.Set(problem - 1, po);
    }
    result.Set("install", Napi::Int32Array::New(env, 0));
  }
  result.Set("problems", problems);
  solver_free(solv);
  queue_free(&job);
  return result;
}

// Dependency edges inside a package set: [from, to, from, to, ...] where `to` provides
// something `from` requires (and recommends, when weak is true).
Napi::Value PoolWrap::Edges(const Napi::CallbackInfo& info) {
  Pool* pool = pool_;  // libsolv iteration macros name it `pool`
  Napi::Env env = info.Env();
  Queue set, out;
  queue_init(&set);
  queue_init(&out);
  ArrayToQueue(info[0], &set);
  bool weak = info.Length() > 1 && info[1].ToBoolean();
  Map in;
  map_init(&in, pool_->nsolvables);
  for (int i = 0; i < set.count; i++) MAPSET(&in, SolvableAt(env, set.elements[i]) - pool_->solvables);
  Map seen;
  map_init(&seen, pool_->nsolvables);
  for (int i = 0; i < set.count; i++) {
    Id from = set.elements[i];
    Solvable* s = pool_->solvables + from;
    Offset keys[2] = {s->requires, weak ? s->recommends : 0};
    map_empty(&seen);
    for (Offset off : keys) {
      if (!off) continue;
      for (Id* dp = s->repo->idarraydata + off; *dp; dp++) {
        if (*dp == SOLVABLE_PREREQMARKER) continue;
        Id p, pp;
        FOR_PROVIDES(p, pp, *dp) {
          if (p == from || !MAPTST(&in, p) || MAPTST(&seen, p)) continue;
          MAPSET(&seen, p);
          queue_push2(&out, from, p);
        }
      }
    }
  }
  auto res = QueueToArray(env, out);
  map_free(&in);
  map_free(&seen);
  queue_free(&set);
  queue_free(&out);
  return res;
}
