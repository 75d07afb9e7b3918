#include "thread_pool.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <utility>

#include "compiler.h"

namespace convcore {

namespace {

// How long a worker polls for the next job, and the caller for workers still running
// chunks, before blocking: longer than the JavaScript between two calls of a training
// step, short enough that an idle process soon stops using the cores.
// CONVCORE_SPIN_US (0..100000) sets it; 0 sleeps at once.
std::chrono::microseconds spinTime() {
  static const std::chrono::microseconds time = [] {
    const char* text = std::getenv("CONVCORE_SPIN_US");
    const long value = text != nullptr ? std::strtol(text, nullptr, 10) : -1;
    return std::chrono::microseconds(value >= 0 && value <= 100000 ? value : 200);
  }();
  return time;
}

// Polls done() until it holds or spinTime() has passed; whether it holds.
template <typename Done>
bool spinUntil(const Done& done) {
  const auto until = std::chrono::steady_clock::now() + spinTime();
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      cpuRelax();
    }
    if (std::chrono::steady_clock::now() >= until) return done();
  }
}

}  // namespace

ThreadPool::ThreadPool(int threads) : shares_(std::max(1, threads)) {
  size_ = std::max(1, threads);
  startWorkers(size_ - 1);
}

ThreadPool::~ThreadPool() {
  std::lock_guard<std::mutex> hold(submit_);
  stopWorkers();
}

void ThreadPool::resize(int threads) {
  threads = std::max(1, threads);
  std::lock_guard<std::mutex> hold(submit_);
  if (threads == size_) return;
  stopWorkers();
  size_ = threads;
  shares_ = std::vector<Share>(threads);
  startWorkers(threads - 1);
}

void ThreadPool::startWorkers(int count) {
  {
    std::lock_guard<std::mutex> lock(state_);
    stopping_.store(false);
  }
  workers_.reserve(count);
  for (int i = 0; i < count; ++i) workers_.emplace_back([this, i] { workerLoop(i + 1); });
}

void ThreadPool::stopWorkers() {
  {
    std::lock_guard<std::mutex> lock(state_);
    stopping_.store(true);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void ThreadPool::runChunks(int self) {
  const int count = static_cast<int>(shares_.size());
  try {
    for (int k = 0; k < count; ++k) {
      Share& share = shares_[(self + k) % count];
      for (;;) {
        const int64_t begin = share.next.fetch_add(grain_, std::memory_order_relaxed);
        if (begin >= share.end) break;
        (*job_)(begin, std::min(share.end, begin + grain_));
      }
    }
  } catch (const std::bad_alloc& e) {
    // An exception must not leave a worker (that would terminate the process), nor leave
    // the caller while workers still run its job: record it, and start no more chunks.
    recordFailure(true, e.what());
  } catch (const std::exception& e) {
    recordFailure(false, e.what());
  } catch (...) {
    recordFailure(false, "convcore native: a kernel threw a non-standard exception");
  }
}

namespace {

// A std::bad_alloc thrown again on the calling thread, with the original's message
// (scratch's names the size it could not get).
class OutOfMemory : public std::bad_alloc {
 public:
  explicit OutOfMemory(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.empty() ? "std::bad_alloc" : message_.c_str(); }

 private:
  std::string message_;
};

}  // namespace

void ThreadPool::recordFailure(bool outOfMemory, const char* message) {
  for (Share& share : shares_) share.next.store(share.end, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(state_);
  if (failure_.happened) return;
  failure_.happened = true;
  failure_.outOfMemory = outOfMemory;
  try {
    failure_.message = message;
  } catch (const std::bad_alloc&) {
    failure_.outOfMemory = true;  // no room even for the message
  }
}

void ThreadPool::workerLoop(int self) {
  uint64_t seen = 0;
  for (;;) {
    // Poll for the next job a while, then sleep until one comes.
    spinUntil([&] { return generation_.load(std::memory_order_acquire) != seen || stopping_.load(); });
    {
      std::unique_lock<std::mutex> lock(state_);
      ++sleepers_;
      wake_.wait(lock, [&] { return stopping_.load() || generation_.load() != seen; });
      --sleepers_;
      if (stopping_.load()) return;
      seen = generation_.load();
      if (!open_) continue;  // the caller has run every chunk already
      active_.fetch_add(1, std::memory_order_relaxed);
    }
    runChunks(self);
    if (active_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(state_);  // so that a caller about to wait sees it
      done_.notify_one();
    }
  }
}

void ThreadPool::parallelFor(int64_t items, int64_t grain, const RangeFn& fn) {
  if (items <= 0) return;
  grain = std::max<int64_t>(1, grain);
  if (items <= grain) {  // one chunk: no thread to wake
    fn(0, items);
    return;
  }
  std::unique_lock<std::mutex> hold(submit_, std::try_to_lock);
  if (!hold.owns_lock() || workers_.empty()) {
    fn(0, items);
    return;
  }
  bool sleepers;
  {
    std::lock_guard<std::mutex> lock(state_);
    job_ = &fn;
    grain_ = grain;
    // Whole chunks per share, so the chunks are the same whoever runs them.
    const int64_t chunks = (items + grain - 1) / grain;
    const int64_t count = static_cast<int64_t>(shares_.size());
    for (int64_t i = 0; i < count; ++i) {
      shares_[i].next.store(std::min(items, chunks * i / count * grain), std::memory_order_relaxed);
      shares_[i].end = std::min(items, chunks * (i + 1) / count * grain);
    }
    open_ = true;
    generation_.fetch_add(1, std::memory_order_release);
    sleepers = sleepers_ > 0;
  }
  if (sleepers) wake_.notify_all();
  runChunks(0);
  {
    std::lock_guard<std::mutex> lock(state_);
    open_ = false;  // every chunk is taken: a worker that wakes now has nothing to join
  }
  // The workers that joined finish the chunks they hold (their writes happen before
  // active_ reaches 0: release there, acquire here).
  if (!spinUntil([&] { return active_.load(std::memory_order_acquire) == 0; })) {
    std::unique_lock<std::mutex> lock(state_);
    done_.wait(lock, [&] { return active_.load(std::memory_order_acquire) == 0; });
  }
  std::lock_guard<std::mutex> lock(state_);
  job_ = nullptr;
  if (failure_.happened) {
    const Failure failure = std::exchange(failure_, Failure{});
    if (failure.outOfMemory) throw OutOfMemory(failure.message);
    throw std::runtime_error(failure.message);
  }
}

}  // namespace convcore
