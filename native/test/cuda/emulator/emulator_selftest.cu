// The CUDA emulator's own test: the claims its header makes, each checked with a small kernel
// (compiled through the same launch rewrite as the library). A correct block reduction gives the
// right sum; the same reduction without its barrier gives a wrong one in at least one of two
// launches (the thread order flips between them); __match_any_sync and __syncwarp answer as on a
// device; threads that return before a barrier do not hold it; a bad launch configuration is
// reported by cudaGetLastError; copies outside device allocations are refused; and a barrier that
// can never complete fails the launch (checked in a child process: a fault is sticky, as on a GPU).
#include <cuda_runtime.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

namespace {

constexpr int kBlock = 128;

int failures = 0;
int launchedThreads = 0;  // host memory: the emulator's threads share the process
void check(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++failures;
}

// out[b] = sum of in[b * kBlock .. +kBlock), by a shared-memory tree.
template <bool WithBarriers>
__global__ void blockSumKernel(const int* in, int* out) {
  __shared__ int s[kBlock];
  s[threadIdx.x] = in[blockIdx.x * kBlock + threadIdx.x];
  if (WithBarriers) __syncthreads();
  for (int half = kBlock / 2; half > 0; half /= 2) {
    if (int(threadIdx.x) < half) s[threadIdx.x] += s[threadIdx.x + half];
    if (WithBarriers) __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = s[0];
}

// peers[t] = __match_any_sync over key[t] (a warp of 32); each lane then sums its group's values
// after a __syncwarp, reading what the other lanes wrote before it.
__global__ void matchKernel(const int* key, unsigned* peers, int* groupSum) {
  __shared__ int values[32];
  const int lane = threadIdx.x;
  values[lane] = lane + 1;
  const unsigned m = __match_any_sync(0xffffffffu, key[lane]);
  __syncwarp();
  int sum = 0;
  for (unsigned r = m; r != 0; r &= r - 1) sum += values[__ffs(r) - 1];
  peers[lane] = m;
  groupSum[lane] = sum;
}

// Threads past n return before the barrier; the rest must still get through it.
__global__ void earlyExitKernel(int n, int* out) {
  __shared__ int s[kBlock];
  if (int(threadIdx.x) >= n) return;
  s[threadIdx.x] = int(threadIdx.x);
  __syncthreads();
  out[threadIdx.x] = s[n - 1 - int(threadIdx.x)];
}

// No arguments: the launch rewrite's empty-argument form.
__global__ void countKernel() { ++launchedThreads; }

// Half a warp waits at __syncwarp while the other half waits at __syncthreads: never completes.
__global__ void deadlockKernel(int* out) {
  if (threadIdx.x < 16)
    __syncwarp();
  else
    __syncthreads();
  out[threadIdx.x] = 1;
}

template <class T>
T* deviceCopy(const std::vector<T>& host) {
  void* p = nullptr;
  cudaMalloc(&p, host.size() * sizeof(T));
  cudaMemcpy(p, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice);
  return static_cast<T*>(p);
}

template <class T>
std::vector<T> hostCopy(const T* p, size_t n) {
  std::vector<T> host(n);
  cudaMemcpy(host.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost);
  return host;
}

void reductions() {
  constexpr int blocks = 3;
  std::vector<int> in(blocks * kBlock);
  for (size_t i = 0; i < in.size(); ++i) in[i] = int(i % 17) + 1;
  std::vector<int> want(blocks, 0);
  for (size_t i = 0; i < in.size(); ++i) want[i / kBlock] += in[i];
  int* dIn = deviceCopy(in);
  int* dOut = deviceCopy(std::vector<int>(blocks, 0));
  bool right = true, wrongOnce = false;
  for (int launch = 0; launch < 2; ++launch) {
    blockSumKernel<true><<<blocks, kBlock>>>(dIn, dOut);
    right = right && hostCopy(dOut, blocks) == want;
    blockSumKernel<false><<<blocks, kBlock>>>(dIn, dOut);
    wrongOnce = wrongOnce || hostCopy(dOut, blocks) != want;
  }
  check(right && cudaGetLastError() == cudaSuccess, "a block reduction with its barriers sums right in both orders");
  check(wrongOnce, "the same reduction without barriers sums wrong in at least one order");
  cudaFree(dIn);
  cudaFree(dOut);
}

void warpVotes() {
  std::vector<int> key(32);
  for (int l = 0; l < 32; ++l) key[l] = l % 3 == 0 ? 7 : l % 3 == 1 ? -2 : 100 + l / 16;
  int* dKey = deviceCopy(key);
  unsigned* dPeers = deviceCopy(std::vector<unsigned>(32, 0));
  int* dSum = deviceCopy(std::vector<int>(32, 0));
  matchKernel<<<1, 32>>>(dKey, dPeers, dSum);
  const std::vector<unsigned> peers = hostCopy(dPeers, 32);
  const std::vector<int> sums = hostCopy(dSum, 32);
  bool ok = true;
  for (int l = 0; l < 32; ++l) {
    unsigned want = 0;
    int sum = 0;
    for (int m = 0; m < 32; ++m)
      if (key[m] == key[l]) {
        want |= 1u << m;
        sum += m + 1;
      }
    ok = ok && peers[l] == want && sums[l] == sum;
  }
  check(ok, "__match_any_sync gives each lane the lanes with its key; __syncwarp publishes shared writes");
  cudaFree(dKey);
  cudaFree(dPeers);
  cudaFree(dSum);
}

void earlyExit() {
  constexpr int n = 77;
  int* dOut = deviceCopy(std::vector<int>(kBlock, -1));
  earlyExitKernel<<<1, kBlock>>>(n, dOut);
  const std::vector<int> out = hostCopy(dOut, kBlock);
  bool ok = cudaDeviceSynchronize() == cudaSuccess;
  for (int t = 0; t < kBlock; ++t) ok = ok && out[t] == (t < n ? n - 1 - t : -1);
  check(ok, "threads that return before a barrier do not hold the others");
  cudaFree(dOut);
}

void emptyArguments() {
  launchedThreads = 0;
  countKernel<<<3, 5>>>();
  check(cudaGetLastError() == cudaSuccess && launchedThreads == 15, "a kernel without arguments runs every thread");
}

void launchAndCopyErrors() {
  int* dOut = deviceCopy(std::vector<int>(4, 0));
  earlyExitKernel<<<1, 2048>>>(1, dOut);
  check(cudaGetLastError() == cudaErrorInvalidConfiguration && cudaGetLastError() == cudaSuccess,
        "a block of 2048 threads: cudaErrorInvalidConfiguration, once");
  int host[8] = {};
  check(cudaMemcpy(host, host + 4, 4 * sizeof(int), cudaMemcpyHostToDevice) == cudaErrorInvalidValue,
        "a host-to-device copy into host memory is refused");
  check(cudaMemcpy(host, dOut, 5 * sizeof(int), cudaMemcpyDeviceToHost) == cudaErrorInvalidValue,
        "a copy past the end of a device allocation is refused");
  cudaFree(dOut);
}

void deadlock() {
  std::printf("(a kernel fault report follows: the deadlock case's, expected)\n");
  std::fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    int* dOut = deviceCopy(std::vector<int>(32, 0));
    deadlockKernel<<<1, 32>>>(dOut);
    const bool failed = cudaDeviceSynchronize() == cudaErrorLaunchFailure;
    int back = 0;
    const bool sticky = cudaMemcpy(&back, dOut, sizeof(int), cudaMemcpyDeviceToHost) == cudaErrorLaunchFailure;
    _exit(failed && sticky ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "a barrier that can never complete fails the launch (and every later call), without hanging");
}

}  // namespace

int main() {
  reductions();
  warpVotes();
  earlyExit();
  emptyArguments();
  launchAndCopyErrors();
  deadlock();
  std::printf("%s\n", failures == 0 ? "emulator self-test: all passed" : "emulator self-test: FAILED");
  return failures == 0 ? 0 : 1;
}
