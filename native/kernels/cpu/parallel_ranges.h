// Splits a loop over [0, count) into ranges for the thread pool only when there is enough work to pay
// for waking it: small calls (most of a training step's bookkeeping) stay on the caller's thread.
#pragma once
#include <algorithm>
#include <cstdint>

#include "thread_pool.h"

namespace atrous {

// Total work (in elements touched) below which a loop runs serially.
constexpr int64_t kParallelWork = int64_t{1} << 16;
// Work per task: large enough to amortise a task, small enough to balance 2..64 threads.
constexpr int64_t kTaskWork = int64_t{1} << 14;

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
  const int64_t grain = std::max<int64_t>(kTaskWork / cost, 1);
  const int64_t tasks = (count + grain - 1) / grain;
  parallelFor(tasks, [&](int64_t t) {
    const int64_t begin = t * grain;
    body(begin, std::min(count, begin + grain));
  });
}

// Runs body(begin, end) over [0, count) in contiguous runs, a few per thread, handed out in order: for
// kernels that stream through memory item after item (depthwise planes). Handing out single items made
// the threads alternate between neighbouring items, so each thread's stream had a hole at every other
// item (S7's depthwise forward, 2 threads: 5.4 -> 3.2 ms as runs). Several runs per thread keep the
// balance when one thread is slowed.
template <typename Body>
void parallelRuns(int64_t count, const Body& body) {
  if (count <= 0) return;
  const int64_t runs = std::min<int64_t>(count, 4 * numThreads());
  parallelFor(runs, [&](int64_t r) { body(count * r / runs, count * (r + 1) / runs); });
}

}  // namespace atrous
