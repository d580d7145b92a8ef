#include "mpi_comm_thread.h"

#include <algorithm>

namespace atrous::napi {
namespace {

// MPI counts are int: larger buffers go in chunks of 2^30 elements.
constexpr int64_t kMaxChunk = int64_t{1} << 30;

}  // namespace

MpiCommThread::MpiCommThread(const MpiApi& api) : api_(api), thread_([this] { loop(); }) {}

MpiCommThread::~MpiCommThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  thread_.join();
}

uint64_t MpiCommThread::submit(const MpiJob& job) {
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    id = nextId_++;
    queue_.emplace_back(id, job);
  }
  queued_.notify_one();
  return id;
}

int MpiCommThread::wait(uint64_t id) {
  std::unique_lock<std::mutex> lock(mutex_);
  finished_.wait(lock, [&] { return results_.count(id) != 0; });
  const int code = results_[id];
  results_.erase(id);
  return code;
}

int MpiCommThread::run(const MpiJob& job) const {
  if (job.kind == MpiJob::Kind::kBarrier) return api_.barrier(api_.commWorld);
  const size_t elementBytes = job.kind == MpiJob::Kind::kAllreduceMaxDouble ? sizeof(double) : sizeof(float);
  for (int64_t start = 0; start < job.count; start += kMaxChunk) {
    const int n = static_cast<int>(std::min(kMaxChunk, job.count - start));
    char* at = static_cast<char*>(job.data) + static_cast<size_t>(start) * elementBytes;
    int code = 0;
    switch (job.kind) {
      case MpiJob::Kind::kAllreduceSumFloat:
        code = api_.allreduce(api_.inPlace, at, n, api_.floatType, api_.sumOp, api_.commWorld);
        break;
      case MpiJob::Kind::kAllreduceMaxDouble:
        code = api_.allreduce(api_.inPlace, at, n, api_.doubleType, api_.maxOp, api_.commWorld);
        break;
      case MpiJob::Kind::kBroadcastFloat:
        code = api_.bcast(at, n, api_.floatType, job.root, api_.commWorld);
        break;
      case MpiJob::Kind::kBarrier:
        break;
    }
    if (code != 0) return code;
  }
  return 0;
}

void MpiCommThread::loop() {
  for (;;) {
    std::pair<uint64_t, MpiJob> next;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, with nothing left to run
      next = queue_.front();
      queue_.pop_front();
    }
    const int code = run(next.second);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      results_[next.first] = code;
    }
    finished_.notify_all();
  }
}

}  // namespace atrous::napi
