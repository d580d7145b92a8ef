// One persistent pool shared by every CPU kernel. The caller's thread takes part in the work, so a
// pool of n threads starts n-1 workers. A call made from inside a task runs inline (no nested
// fan-out), and concurrent callers take turns on the pool instead of oversubscribing the cores.
#pragma once
#include <cstdint>
#include <functional>

#include "../status.h"

namespace atrous {

// Threads the pool uses: ATROUS_NUM_THREADS, else the machine's cores.
int numThreads();
// 1..1024. Takes effect for the next parallel call.
Status setNumThreads(int n);

// Runs body(task) for every task in [0, numTasks), spread over the pool; returns when all are done.
void parallelFor(int64_t numTasks, const std::function<void(int64_t task)>& body);

// Runs body(thread, threadCount) once on each of threadCount threads (threadCount <= numThreads()),
// for static partitions that want one slice per thread.
void parallelRun(const std::function<void(int thread, int threadCount)>& body);

// True inside a task of parallelFor/parallelRun: nested calls then run serially.
bool insideParallelRegion();

}  // namespace atrous
