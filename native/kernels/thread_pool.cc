#include "thread_pool.h"

#include <algorithm>
#include <utility>

namespace convcore {

ThreadPool::ThreadPool(int threads) {
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
  startWorkers(threads - 1);
}

void ThreadPool::startWorkers(int count) {
  {
    std::lock_guard<std::mutex> lock(state_);
    stopping_ = false;
  }
  workers_.reserve(count);
  for (int i = 0; i < count; ++i) workers_.emplace_back([this] { workerLoop(); });
}

void ThreadPool::stopWorkers() {
  {
    std::lock_guard<std::mutex> lock(state_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void ThreadPool::runChunks() {
  try {
    for (;;) {
      int64_t begin = next_.fetch_add(grain_, std::memory_order_relaxed);
      if (begin >= items_) return;
      (*job_)(begin, std::min(items_, begin + grain_));
    }
  } catch (...) {
    // An exception must not leave a worker (that would terminate the process), nor leave
    // the caller while workers still run its job: record it, and start no more chunks.
    next_.store(items_, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(state_);
    if (!failure_) failure_ = std::current_exception();
  }
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(state_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    runChunks();
    {
      std::lock_guard<std::mutex> lock(state_);
      if (--busyWorkers_ == 0) done_.notify_one();
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
  {
    std::lock_guard<std::mutex> lock(state_);
    job_ = &fn;
    items_ = items;
    grain_ = grain;
    next_.store(0, std::memory_order_relaxed);
    busyWorkers_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  runChunks();
  std::unique_lock<std::mutex> lock(state_);
  done_.wait(lock, [&] { return busyWorkers_ == 0; });
  job_ = nullptr;
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
}

}  // namespace convcore
