// A persistent pool of worker threads owned by one addon instance (one per Node.js
// environment, so worker_threads each get their own). The calling thread always takes
// part in the work, so a pool of size 1 has no worker threads at all.
//
// A training step is dozens of short parallel calls. Waking a sleeping thread costs tens
// of microseconds, so after a job the workers poll for the next one for a short while
// (200 µs, CONVCORE_SPIN_US) before they sleep, and the caller never waits for a worker that
// has not joined its job: a worker that wakes after the caller has run every chunk
// leaves it alone.
//
// Each thread owns a contiguous share of a job's chunks, the same share for the same job
// shape every call, and takes chunks from the others' shares only once its own is done:
// an op over data an earlier op wrote (or read) finds its part in this core's caches,
// as with OpenMP's static schedule, and an idle thread still balances the load.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace convcore {

// A non-owning reference to a callable fn(begin, end) that processes items [begin, end).
// Unlike std::function it never allocates, so a small call costs nothing beyond the work
// itself.
class RangeFn {
 public:
  template <typename F>
  RangeFn(const F& f)  // NOLINT(runtime/explicit): built implicitly from lambdas
      : object_(&f), call_([](const void* o, int64_t b, int64_t e) { (*static_cast<const F*>(o))(b, e); }) {}
  void operator()(int64_t begin, int64_t end) const { call_(object_, begin, end); }

 private:
  const void* object_;
  void (*call_)(const void*, int64_t, int64_t);
};

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return size_.load(); }

  // Waits for any job in flight, then changes the number of threads (>= 1).
  void resize(int threads);

  // Runs fn over [0, items) in chunks of `grain` items, spread over the pool. If another
  // job holds the pool (two async calls at once), this one runs inline on the calling
  // thread instead of waiting: kernels give the same bits whatever the thread count,
  // so only the speed differs. If fn throws (a scratch allocation that fails), the
  // chunks not yet started are dropped, the threads finish the ones they hold, and the
  // first exception is thrown again here: a std::bad_alloc as one, any other as a
  // std::runtime_error, each with its message. (Not std::exception_ptr: since GCC 12 its
  // destructor calls into CXXABI_1.3.13, above the prebuilt binaries' libstdc++ floor.)
  void parallelFor(int64_t items, int64_t grain, const RangeFn& fn);

 private:
  void startWorkers(int count);
  void stopWorkers();
  void workerLoop(int self);
  // Runs chunks for participant `self` (0 the caller, 1.. the workers): its share first.
  void runChunks(int self);

  std::atomic<int> size_{1};
  std::vector<std::thread> workers_;

  std::mutex submit_;  // held for the whole of a job: one job at a time

  std::mutex state_;
  std::condition_variable wake_;
  std::condition_variable done_;
  // Bumped (under state_) for each job; polled by spinning workers.
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stopping_{false};
  // Whether the job in flight still takes workers (under state_), how many have joined
  // it and not finished, and how many sleep on wake_ (under state_).
  bool open_ = false;
  std::atomic<int> active_{0};
  int sleepers_ = 0;

  // The job in flight; written under state_ before the generation bump.
  const RangeFn* job_ = nullptr;
  int64_t grain_ = 1;
  // One share of the job's items per thread: the next item to start and the share's end,
  // on a cache line of its own (threads take chunks from them at once).
  struct alignas(64) Share {
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };
  std::vector<Share> shares_;  // size_ of them, sized while no job runs
  // The job's first exception; written under state_.
  struct Failure {
    bool happened = false;
    bool outOfMemory = false;
    std::string message;
  } failure_;
  void recordFailure(bool outOfMemory, const char* message);
};

}  // namespace convcore
