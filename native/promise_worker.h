// Runs one kernel job on libuv's thread pool and settles a Promise, with snapshot
// semantics: the job works on its own copies of the inputs, taken on the JS thread when
// the call is made, and on its own output buffers, copied into the caller's typed arrays
// on the JS thread when it ends (after checking they still have their sizes). So
// JavaScript may write to, detach or resize any of the buffers meanwhile without the
// job ever touching freed memory: inputs changed after the call do not affect the
// result, and an output detached or resized meanwhile rejects the promise.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "kernels/thread_pool.h"
#include "napi_args.h"

namespace convcore {

// A job's private copy of one buffer.
using Floats = std::vector<float>;

// std::make_shared without its one-allocation control block, whose deleter lookup needs
// libstdc++'s _Sp_make_shared_tag::_S_eq (GLIBCXX_3.4.26, GCC 9): above the floor of the
// prebuilt binaries (GCC 8's libstdc++), as test/prebuilt.test.ts checks.
template <typename T, typename... Args>
std::shared_ptr<T> newShared(Args&&... args) {
  return std::shared_ptr<T>(new T(std::forward<Args>(args)...));
}

// Recycles the jobs' private buffers (by exact size): a fresh multi-megabyte vector is
// zero-filled and page-faulted on first touch, which costs more than the copy itself.
// Shared by every job of the process; bounded, so one huge job cannot pin memory.
class FloatsPool {
 public:
  // A buffer of `n` floats with unspecified contents, returned to the pool when the
  // last shared_ptr to it goes.
  static std::shared_ptr<Floats> take(size_t n) {
    FloatsPool& pool = instance();
    Floats* buffer = nullptr;
    {
      std::lock_guard<std::mutex> lock(pool.mutex_);
      for (size_t i = 0; i < pool.free_.size(); ++i) {
        if (pool.free_[i]->size() == n) {
          buffer = pool.free_[i];
          pool.free_.erase(pool.free_.begin() + static_cast<std::ptrdiff_t>(i));
          pool.retained_ -= n;
          break;
        }
      }
    }
    if (buffer == nullptr) buffer = new Floats(n);
    return std::shared_ptr<Floats>(buffer, [](Floats* b) { instance().give(b); });
  }

 private:
  static FloatsPool& instance() {
    static FloatsPool* pool = new FloatsPool();  // never destroyed: jobs may end after exit starts
    return *pool;
  }

  void give(Floats* buffer) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (retained_ + buffer->size() > kMaxRetainedFloats || free_.size() >= kMaxBuffers) {
      delete buffer;
      return;
    }
    retained_ += buffer->size();
    free_.push_back(buffer);
  }

  static constexpr size_t kMaxRetainedFloats = size_t(64) << 20;  // 256 MiB
  static constexpr size_t kMaxBuffers = 64;
  std::mutex mutex_;
  std::vector<Floats*> free_;
  size_t retained_ = 0;
};

// A private copy of `length` floats (an empty buffer for null: an absent optional input).
inline std::shared_ptr<Floats> snapshot(const float* data, int64_t length) {
  if (data == nullptr) return newShared<Floats>();
  std::shared_ptr<Floats> copy = FloatsPool::take(static_cast<size_t>(length));
  std::copy(data, data + length, copy->data());
  return copy;
}

// A pointer to a snapshot's data, or null for an empty (absent) one.
inline const float* dataOrNull(const Floats& v) { return v.empty() ? nullptr : v.data(); }
inline float* dataOrNull(Floats& v) { return v.empty() ? nullptr : v.data(); }

class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Job = std::function<void(ThreadPool&)>;

  PromiseWorker(Napi::Env env, std::shared_ptr<ThreadPool> pool, Job job)
      : Napi::AsyncWorker(env, "convcore"),
        deferred_(Napi::Promise::Deferred::New(env)),
        pool_(std::move(pool)),
        job_(std::move(job)) {}

  // On completion, `result` (the job's own buffer) is copied into the typed array
  // `target` (null/undefined: nothing to copy). The target is kept alive until then.
  void deliver(const Napi::Value& target, const char* name, std::shared_ptr<Floats> result) {
    if (target.IsNull() || target.IsUndefined()) return;
    outputs_.push_back({Napi::Persistent(target.As<Napi::Object>()), name, std::move(result)});
  }

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override { job_(*pool_); }

  void OnOK() override {
    const Napi::Env env = Env();
    try {
      for (Output& o : outputs_) {
        // Checked again: JavaScript may have detached or resized the buffer meanwhile.
        float* target = readFloatBuffer(o.target.Value(), static_cast<int64_t>(o.result->size()), o.name);
        std::copy(o.result->begin(), o.result->end(), target);
      }
    } catch (const Napi::Error& error) {
      deferred_.Reject(Napi::RangeError::New(env, std::string(error.Message()) +
                                                      " (it was detached or resized during the call)").Value());
      return;
    }
    deferred_.Resolve(env.Undefined());
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  struct Output {
    Napi::ObjectReference target;
    const char* name;
    std::shared_ptr<Floats> result;
  };

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<ThreadPool> pool_;  // shared: outlives the addon if the env goes first
  Job job_;
  std::vector<Output> outputs_;
};

}  // namespace convcore
