// The communication thread of the mpi backend: one thread that makes every MPI call after
// MPI_Init_thread, in the order they were submitted. The JS thread submits a collective and goes
// on (DDP's gradient buckets reduce while backward still runs); wait(id) blocks until it is done.
// One FIFO on every rank means the collectives run in the same order everywhere, as MPI requires.
// Since the calls come from this thread and never from two threads at once, MPI needs
// MPI_THREAD_SERIALIZED (FUNNELED would restrict them to the thread that called MPI_Init_thread).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <thread>

#include "mpi_library.h"

namespace atrous::napi {

struct MpiJob {
  enum class Kind { kAllreduceSumFloat, kAllreduceMaxDouble, kBroadcastFloat, kBarrier };
  Kind kind = Kind::kBarrier;
  void* data = nullptr;  // the caller keeps it alive until wait() returns
  int64_t count = 0;     // elements (may exceed INT_MAX: sent in chunks)
  int root = 0;          // kBroadcastFloat's source rank
};

class MpiCommThread {
 public:
  explicit MpiCommThread(const MpiApi& api);
  ~MpiCommThread();  // finishes the queued jobs, then joins
  MpiCommThread(const MpiCommThread&) = delete;
  MpiCommThread& operator=(const MpiCommThread&) = delete;

  uint64_t submit(const MpiJob& job);
  // Blocks until job `id` has run; its MPI return code (0: success). Each id is waited once.
  int wait(uint64_t id);

 private:
  int run(const MpiJob& job) const;
  void loop();

  const MpiApi& api_;
  std::mutex mutex_;
  std::condition_variable queued_;
  std::condition_variable finished_;
  // A list, not a deque: deque's map allocation pulls in std::__throw_bad_array_new_length
  // (GLIBCXX_3.4.29), which the prebuilt addon must not need (scripts/package-check.mjs).
  std::list<std::pair<uint64_t, MpiJob>> queue_;
  std::map<uint64_t, int> results_;  // finished, not yet waited
  uint64_t nextId_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace atrous::napi
