#include <atomic>
#include <thread>
#include <vector>

#include "../kernels/cpu/thread_pool.h"
#include "harness.h"

using namespace atrous;

ATROUS_TEST(threadPoolCoversEveryTaskOnce) {
  for (int threads : {1, 2, 3, 7}) {
    setNumThreads(threads);
    for (int64_t tasks : {0, 1, 2, 5, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(tasks));
      parallelFor(tasks, [&](int64_t t) { hits[t].fetch_add(1); });
      int bad = 0;
      for (auto& h : hits) bad += h.load() != 1;
      ctx.check(bad == 0, "threads=%d tasks=%lld: %d tasks not run exactly once", threads, (long long)tasks, bad);
    }
  }
  setNumThreads(2);
}

ATROUS_TEST(threadPoolNestedCallsRunInline) {
  setNumThreads(2);
  std::atomic<int> inner{0};
  parallelFor(4, [&](int64_t) {
    bool nestedSeen = insideParallelRegion();
    parallelFor(3, [&](int64_t) { inner.fetch_add(1); });
    ctx.check(nestedSeen, "a task did not see that it runs inside a parallel region");
  });
  ctx.check(inner.load() == 12, "nested parallelFor ran %d inner tasks, expected 12", inner.load());
}

ATROUS_TEST(threadPoolConcurrentCallersTakeTurns) {
  setNumThreads(2);
  std::atomic<int> active{0}, maxActive{0}, total{0};
  auto caller = [&] {
    for (int rep = 0; rep < 50; ++rep)
      parallelRun([&](int, int count) {
        int now = active.fetch_add(1) + 1;
        int prev = maxActive.load();
        while (now > prev && !maxActive.compare_exchange_weak(prev, now)) {}
        total.fetch_add(1);
        (void)count;
        active.fetch_sub(1);
      });
  };
  std::thread a(caller), b(caller);
  a.join();
  b.join();
  ctx.check(maxActive.load() <= 2, "%d threads ran pool work at once with 2 threads set", maxActive.load());
  ctx.check(total.load() == 200, "ran %d slices, expected 2 callers x 50 x 2", total.load());
  ctx.check(!setNumThreads(0).isOk(), "setNumThreads(0) was accepted");
}
