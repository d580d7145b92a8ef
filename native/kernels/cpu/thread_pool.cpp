#include "thread_pool.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../portability.h"

namespace atrous {
namespace {

thread_local bool tInsideRegion = false;

int defaultThreadCount() {
  if (const char* env = std::getenv("ATROUS_NUM_THREADS")) {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n >= 1 && n <= 1024) return static_cast<int>(n);
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

class Pool {
 public:
  Pool() : wanted_(defaultThreadCount()) {}
  ~Pool() { stopWorkers(); }

  int wanted() const { return wanted_.load(); }
  void setWanted(int n) { wanted_.store(n); }

  // Runs body(thread, count) on `count` threads, the caller being thread 0.
  void run(int count, const std::function<void(int, int)>& body) {
    std::lock_guard<std::mutex> turn(callerMutex_);  // concurrent callers take turns
    ensureWorkers(count - 1);
    {
      std::lock_guard<std::mutex> lk(m_);
      job_ = &body;
      jobThreads_ = count;
      pending_ = count - 1;
      unfinished_.store(count - 1, std::memory_order_relaxed);
      ++generation_;
      posted_.store(generation_, std::memory_order_release);
    }
    cv_.notify_all();
    tInsideRegion = true;
    body(0, count);
    tInsideRegion = false;
    spinWhile([&] { return unfinished_.load(std::memory_order_acquire) != 0; });
    std::unique_lock<std::mutex> lk(m_);
    done_.wait(lk, [&] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  void ensureWorkers(int n) {
    if (static_cast<int>(workers_.size()) >= n) return;
    // generation_ only changes under callerMutex_, which our caller holds: a new worker starts from
    // the current generation and so is sure to see the job that is about to be posted.
    uint64_t born = generation_;
    for (int i = static_cast<int>(workers_.size()); i < n; ++i)
      workers_.emplace_back([this, i, born] { workerLoop(i + 1, born); });
  }

  // Spins briefly while busy() holds: back-to-back parallel regions (every op of a training step)
  // then hand over without a futex sleep and wake-up on each side.
  template <class Busy>
  static void spinWhile(Busy busy) {
    for (int i = 0; i < kSpinIterations && busy(); ++i) port::cpuRelax();
  }

  void workerLoop(int index, uint64_t seen) {
    for (;;) {
      const std::function<void(int, int)>* job;
      int count;
      spinWhile([&] { return posted_.load(std::memory_order_acquire) == seen; });
      {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = job_;
        count = jobThreads_;
      }
      if (index >= count) continue;
      tInsideRegion = true;
      (*job)(index, count);
      tInsideRegion = false;
      unfinished_.fetch_sub(1, std::memory_order_release);
      std::lock_guard<std::mutex> lk(m_);
      if (--pending_ == 0) done_.notify_one();
    }
  }

  void stopWorkers() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }

  static constexpr int kSpinIterations = 20000;  // about 50-100 us of pause instructions
  std::atomic<int> wanted_;
  std::atomic<uint64_t> posted_{0};  // generation_, readable without the lock (for spinning)
  std::atomic<int> unfinished_{0};   // pending_, likewise
  std::mutex callerMutex_;
  std::mutex m_;
  std::condition_variable cv_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* job_ = nullptr;
  int jobThreads_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

Pool& pool() {
  // Leaked on purpose: joining threads from a static destructor at process exit can deadlock.
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

int numThreads() { return pool().wanted(); }

Status setNumThreads(int n) {
  if (n < 1 || n > 1024)
    return Status::error("setNumThreads: n expects an integer in 1..1024, but got " + std::to_string(n));
  pool().setWanted(n);
  return Status::ok();
}

bool insideParallelRegion() { return tInsideRegion; }

void parallelRun(const std::function<void(int, int)>& body) {
  int count = numThreads();
  if (count <= 1 || tInsideRegion) {
    body(0, 1);
    return;
  }
  pool().run(count, body);
}

void parallelFor(int64_t numTasks, const std::function<void(int64_t)>& body) {
  if (numTasks <= 0) return;
  int count = numThreads();
  if (numTasks == 1 || count <= 1 || tInsideRegion) {
    for (int64_t t = 0; t < numTasks; ++t) body(t);
    return;
  }
  if (count > numTasks) count = static_cast<int>(numTasks);
  std::atomic<int64_t> next{0};  // dynamic scheduling: tasks may differ in cost
  pool().run(count, [&](int, int) {
    for (int64_t t; (t = next.fetch_add(1, std::memory_order_relaxed)) < numTasks;) body(t);
  });
}

}  // namespace atrous
