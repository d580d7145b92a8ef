// Splits a loop over [0, count) into ranges for the thread pool only when there is enough work to pay
// for waking it: small calls (most of a training step's bookkeeping) stay on the caller's thread.
#pragma once
#include <algorithm>
#include <cstdint>

#include "thread_pool.h"

namespace atrous {

// Total work (in elements touched) below which a loop runs serially.
constexpr int64_t kParallelWork = int64_t{1} << 16;
// Work per task, at least: large enough to amortise a task.
constexpr int64_t kTaskWork = int64_t{1} << 14;
// Tasks per thread, at most. Each task is one contiguous range, so a thread streams through memory;
// handing out many small ranges made the threads alternate between neighbours, each thread's stream
// full of holes (8M-float elementwise pass, 2 threads: 1.70 -> 1.33 ms as 4 ranges a thread; S7's
// depthwise forward, planes as items: 5.4 -> 3.2 ms). Several per thread keep the balance when one
// thread is slowed.
constexpr int64_t kTasksPerThread = 4;

// Calls body(begin, end) over [0, count), where each item costs about costPerItem elements of work.
// Ranges never straddle an item, so body may treat items independently.
template <typename Body>
void parallelRanges(int64_t count, int64_t costPerItem, const Body& body) {
  if (count <= 0) return;
  const int64_t cost = std::max<int64_t>(costPerItem, 1);
  if (count <= (kParallelWork - 1) / cost) {  // count * cost < kParallelWork, without overflowing
    body(int64_t{0}, count);
    return;
  }
  const int64_t most = kTasksPerThread * numThreads();
  const int64_t grain = std::max<int64_t>({kTaskWork / cost, (count + most - 1) / most, 1});
  const int64_t tasks = (count + grain - 1) / grain;
  parallelFor(tasks, [&](int64_t t) {
    const int64_t begin = t * grain;
    body(begin, std::min(count, begin + grain));
  });
}

// body(i) for every i in [0, count), over parallelRanges' contiguous ranges (per-item kernels: a
// channel of batch norm, where items handed out one at a time alternated between the threads).
template <typename Body>
void parallelEach(int64_t count, int64_t costPerItem, const Body& body) {
  parallelRanges(count, costPerItem, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) body(i);
  });
}

}  // namespace atrous
