// Runs one kernel job on libuv's thread pool and settles a Promise. The JavaScript
// buffers it reads and writes are stored on the worker's receiver object, so they stay
// alive until the job ends even if the caller drops every reference to them (the
// worker is deleted on the JS thread after OnOK/OnError, releasing them there).
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "kernels/thread_pool.h"

namespace convcore {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Job = std::function<void(ThreadPool&)>;

  PromiseWorker(Napi::Env env, std::shared_ptr<ThreadPool> pool, Job job)
      : Napi::AsyncWorker(env, "convcore"),
        deferred_(Napi::Promise::Deferred::New(env)),
        pool_(std::move(pool)),
        job_(std::move(job)) {}

  // Keeps a buffer (any object; null is skipped) alive for the duration of the job.
  void hold(const Napi::Value& value) {
    if (value.IsObject()) held_.push_back(Napi::Persistent(value.As<Napi::Object>()));
  }

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override { job_(*pool_); }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<ThreadPool> pool_;  // shared: outlives the addon if the env goes first
  Job job_;
  std::vector<Napi::ObjectReference> held_;
};

}  // namespace convcore
