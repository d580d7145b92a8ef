// The CUDA emulator's runtime: kernel launches, block scheduling over fibers, and device memory.
//
// A block's threads are fibers on one OS thread. Each runs until it reaches a barrier or returns; when
// every fiber is parked, the barriers that are complete are released (a warp's __syncwarp or
// __match_any_sync once all its live lanes are there, __syncthreads once every live thread is), and
// a pass runs again. Barriers that can never complete (a thread waits at __syncthreads while another
// of its block waits at __syncwarp, say) are reported as a kernel fault instead of hanging. Fibers run
// forwards in even blocks and backwards in odd ones (the parity shifts with every launch), so a kernel
// that reads shared memory another thread writes without a barrier between sees both orders and
// gives a wrong answer in at least one of them; the blocks themselves run in grid order in even
// launches and in reverse in odd ones.
//
// Device memory is host memory from posix_memalign, filled with NaN bits (so that reading what nothing
// wrote shows) and recorded so that copies name a range inside one allocation; under
// AddressSanitizer a kernel's access past a buffer is caught like any other.
// One launch or runtime call runs at a time (a process-wide mutex): launches are synchronous, which
// is a valid order for any stream program.
#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "cuda_runtime.h"

#if defined(__SANITIZE_ADDRESS__)
#define ATROUS_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ATROUS_EMU_ASAN 1
#endif
#endif
#ifdef ATROUS_EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#if !defined(__x86_64__) || !defined(__linux__)
#error "the CUDA emulator's fiber switch is written for x86-64 Linux"
#endif

// atrous_emu_switch(save, next): saves the callee-saved registers, MXCSR and the x87 control word on
// this stack, stores the stack pointer in *save, and resumes the stack at next.
asm(R"(
  .text
  .globl atrous_emu_switch
  .type atrous_emu_switch, @function
atrous_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size atrous_emu_switch, .-atrous_emu_switch
  .section .note.GNU-stack,"",@progbits
  .text
)");
extern "C" void atrous_emu_switch(void** save, void* next);

namespace atrous_emu {

const ThreadIndices* current = nullptr;

namespace {

constexpr size_t kStackBytes = 256 * 1024;  // AddressSanitizer's frames are large
constexpr unsigned kMaxThreadsPerBlock = 1024;

enum class State { Runnable, AtBlockBarrier, AtWarpBarrier, Done };

struct Fiber {
  void* sp = nullptr;
  char* stack = nullptr;
  ThreadIndices indices{};
  State state = State::Done;
  unsigned warpMask = 0;
  bool matching = false;
  unsigned long long matchValue = 0;
  unsigned matchResult = 0;
#ifdef ATROUS_EMU_ASAN
  void* fakeStack = nullptr;
#endif
};

struct Emulator {
  std::recursive_mutex mutex;
  std::vector<Fiber> fibers = std::vector<Fiber>(kMaxThreadsPerBlock);
  void* schedulerSp = nullptr;
  Fiber* running = nullptr;
  const std::function<void()>* body = nullptr;
  const char* kernelName = "";
  unsigned long long launches = 0;
  cudaError_t lastError = cudaSuccess;    // cleared by cudaGetLastError
  cudaError_t stickyError = cudaSuccess;  // a kernel fault: every later call fails, as on a device
  bool blockFaulted = false;
  std::map<uintptr_t, size_t> allocations;  // base -> bytes
#ifdef ATROUS_EMU_ASAN
  void* schedulerFakeStack = nullptr;
  const void* schedulerStackBottom = nullptr;
  size_t schedulerStackSize = 0;
#endif
};

Emulator& emulator() {
  static Emulator* e = new Emulator();  // never destroyed: device frees may come from static destructors
  return *e;
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "CUDA emulator: %s\n", what);
  std::abort();
}

// --- fibers ---

extern "C" void atrous_emu_fiber_entry();

void prepareFiber(Fiber& f) {
  if (f.stack == nullptr) {
    void* p = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) die("cannot map a fiber stack");
    f.stack = static_cast<char*>(p);
  }
  // The frame atrous_emu_switch pops: MXCSR/x87 word, six registers, then a return into the entry
  // function with the stack as a call leaves it (rsp = 8 mod 16).
  auto* top = reinterpret_cast<uint64_t*>(f.stack + kStackBytes);
  *--top = 0;  // the entry function's own return address: it never returns
  *--top = reinterpret_cast<uint64_t>(&atrous_emu_fiber_entry);
  for (int r = 0; r < 6; ++r) *--top = 0;
  *--top = 0x037full << 32 | 0x1f80u;  // default MXCSR, x87 control word
  f.sp = top;
  f.state = State::Runnable;
  f.warpMask = 0;
  f.matching = false;
}

// Scheduler -> fiber.
void resume(Emulator& e, Fiber& f) {
  e.running = &f;
  current = &f.indices;
#ifdef ATROUS_EMU_ASAN
  __sanitizer_start_switch_fiber(&e.schedulerFakeStack, f.stack, kStackBytes);
#endif
  atrous_emu_switch(&e.schedulerSp, f.sp);
#ifdef ATROUS_EMU_ASAN
  __sanitizer_finish_switch_fiber(e.schedulerFakeStack, nullptr, nullptr);
#endif
  e.running = nullptr;
  current = nullptr;
}

// Fiber -> scheduler (done: the fiber's stack is finished with).
void park(Emulator& e, Fiber& f, bool done) {
#ifdef ATROUS_EMU_ASAN
  __sanitizer_start_switch_fiber(done ? nullptr : &f.fakeStack, e.schedulerStackBottom, e.schedulerStackSize);
#else
  (void)done;
#endif
  atrous_emu_switch(&f.sp, e.schedulerSp);
#ifdef ATROUS_EMU_ASAN
  __sanitizer_finish_switch_fiber(f.fakeStack, &e.schedulerStackBottom, &e.schedulerStackSize);
#endif
}

extern "C" void atrous_emu_fiber_entry() {
  Emulator& e = emulator();
  Fiber& f = *e.running;
#ifdef ATROUS_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &e.schedulerStackBottom, &e.schedulerStackSize);
#endif
  (*e.body)();
  f.state = State::Done;
  park(e, f, true);
  die("a finished fiber was resumed");
}

Fiber& runningFiber(const char* what) {
  Emulator& e = emulator();
  if (e.running == nullptr) {
    std::fprintf(stderr, "CUDA emulator: %s called outside a kernel\n", what);
    std::abort();
  }
  return *e.running;
}

std::string where(const Fiber& f) {
  const ThreadIndices& t = f.indices;
  return std::string(emulator().kernelName) + " block (" + std::to_string(t.block.x) + "," +
         std::to_string(t.block.y) + "," + std::to_string(t.block.z) + ") thread (" + std::to_string(t.thread.x) +
         "," + std::to_string(t.thread.y) + "," + std::to_string(t.thread.z) + ")";
}

// --- barriers ---

// Releases every warp whose live lanes all wait at a warp barrier (answering __match_any_sync);
// true when one was released.
bool releaseWarps(Emulator& e, unsigned threads) {
  bool released = false;
  for (unsigned w0 = 0; w0 < threads; w0 += 32) {
    const unsigned lanes = std::min(32u, threads - w0);
    unsigned live = 0, waiting = 0, required = 0;
    for (unsigned l = 0; l < lanes; ++l) {
      const Fiber& f = e.fibers[w0 + l];
      if (f.state != State::Done) live |= 1u << l;
      if (f.state == State::AtWarpBarrier) {
        waiting |= 1u << l;
        required |= f.warpMask;
      }
    }
    if (waiting == 0 || (required & live & ~waiting) != 0) continue;
    for (unsigned l = 0; l < lanes; ++l) {  // every answer first, then the releases
      Fiber& f = e.fibers[w0 + l];
      if (!(waiting >> l & 1u) || !f.matching) continue;
      f.matchResult = 0;
      for (unsigned m = 0; m < lanes; ++m) {
        const Fiber& g = e.fibers[w0 + m];
        if ((waiting >> m & 1u) && g.matching && g.matchValue == f.matchValue) f.matchResult |= 1u << m;
      }
    }
    for (unsigned l = 0; l < lanes; ++l)
      if (waiting >> l & 1u) e.fibers[w0 + l].state = State::Runnable;
    released = true;
  }
  return released;
}

void fault(Emulator& e, const std::string& message) {
  std::fprintf(stderr, "CUDA emulator: kernel fault: %s\n", message.c_str());
  e.stickyError = cudaErrorLaunchFailure;
  e.blockFaulted = true;
}

void runBlock(Emulator& e, const dim3& grid, const dim3& block, uint3 blockIndex, bool forwards) {
  const unsigned threads = block.x * block.y * block.z;
  for (unsigned i = 0; i < threads; ++i) {
    Fiber& f = e.fibers[i];
    prepareFiber(f);
    f.indices.thread = {i % block.x, i / block.x % block.y, i / (block.x * block.y)};
    f.indices.block = blockIndex;
    f.indices.blockShape = block;
    f.indices.gridShape = grid;
  }
  for (;;) {
    for (unsigned k = 0; k < threads; ++k) {
      Fiber& f = e.fibers[forwards ? k : threads - 1 - k];
      if (f.state == State::Runnable) resume(e, f);
    }
    unsigned done = 0, atBlock = 0;
    for (unsigned i = 0; i < threads; ++i) {
      done += e.fibers[i].state == State::Done;
      atBlock += e.fibers[i].state == State::AtBlockBarrier;
    }
    if (done == threads) return;
    if (releaseWarps(e, threads)) continue;
    if (atBlock == threads - done) {
      for (unsigned i = 0; i < threads; ++i)
        if (e.fibers[i].state == State::AtBlockBarrier) e.fibers[i].state = State::Runnable;
      continue;
    }
    // Parked fibers that no release can free: report the first of each kind, abandon the block.
    std::string detail;
    for (unsigned i = 0; i < threads; ++i) {
      const Fiber& f = e.fibers[i];
      if (f.state == State::AtWarpBarrier) {
        detail = where(f) + " waits at a warp barrier that not all its warp's live lanes reach";
        break;
      }
    }
    fault(e, "barrier deadlock: " + detail + " (" + std::to_string(atBlock) + " threads wait at __syncthreads, " +
                 std::to_string(done) + " have returned)");
    return;
  }
}

}  // namespace

void syncThreads() {
  Emulator& e = emulator();
  Fiber& f = runningFiber("__syncthreads");
  f.state = State::AtBlockBarrier;
  park(e, f, false);
}

void syncWarp(unsigned mask) {
  Emulator& e = emulator();
  Fiber& f = runningFiber("__syncwarp");
  const unsigned lane = (f.indices.thread.x + f.indices.thread.y * f.indices.blockShape.x +
                         f.indices.thread.z * f.indices.blockShape.x * f.indices.blockShape.y) % 32;
  if ((mask >> lane & 1u) == 0) fault(e, where(f) + " calls __syncwarp with a mask that leaves itself out");
  f.state = State::AtWarpBarrier;
  f.warpMask = mask;
  f.matching = false;
  park(e, f, false);
}

unsigned matchAny(unsigned mask, unsigned long long value) {
  Emulator& e = emulator();
  Fiber& f = runningFiber("__match_any_sync");
  f.state = State::AtWarpBarrier;
  f.warpMask = mask;
  f.matching = true;
  f.matchValue = value;
  park(e, f, false);
  f.matching = false;
  return f.matchResult & mask;
}

void fault(const char* what) {
  Emulator& e = emulator();
  fault(e, e.running ? where(*e.running) + ": " + what : std::string(what));
}

void run(const Config& config, const char* kernelName, const std::function<void()>& body) {
  Emulator& e = emulator();
  std::lock_guard<std::recursive_mutex> lock(e.mutex);
  const dim3 g = config.grid, b = config.block;
  const unsigned long long threads = 1ull * b.x * b.y * b.z;
  if (g.x == 0 || g.y == 0 || g.z == 0 || threads == 0 || threads > kMaxThreadsPerBlock || b.z > 64 ||
      g.x > 0x7fffffffu || g.y > 65535 || g.z > 65535) {
    e.lastError = cudaErrorInvalidConfiguration;
    return;
  }
  if (e.stickyError != cudaSuccess) return;
  if (e.running != nullptr) die("a kernel launched from inside a kernel");
  e.body = &body;
  e.kernelName = kernelName;
  const unsigned long long launch = e.launches++;
  e.blockFaulted = false;
  // Blocks go first to last in even launches and last to first in odd ones: a kernel whose blocks
  // depend on each other's order (unordered writes to one place) answers differently.
  const unsigned long long blocks = 1ull * g.x * g.y * g.z;
  for (unsigned long long k = 0; k < blocks; ++k) {
    const unsigned long long i = (launch & 1) == 0 ? k : blocks - 1 - k;
    const unsigned x = unsigned(i % g.x), y = unsigned(i / g.x % g.y), z = unsigned(i / (1ull * g.x * g.y));
    runBlock(e, g, b, {x, y, z}, ((launch + x + y + z) & 1) == 0);
    if (e.blockFaulted) return;  // the launch failed; later calls report it
  }
}

}  // namespace atrous_emu

// --- the runtime API ---

namespace {

using atrous_emu::Emulator;
using atrous_emu::emulator;

// Whether [p, p + bytes) lies inside one device allocation.
bool onDevice(Emulator& e, const void* p, size_t bytes) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  auto it = e.allocations.upper_bound(a);
  if (it == e.allocations.begin()) return false;
  --it;
  return a >= it->first && a - it->first <= it->second && bytes <= it->second - (a - it->first);
}

cudaError_t allocate(void** p, size_t bytes) {
  Emulator& e = emulator();
  std::lock_guard<std::recursive_mutex> lock(e.mutex);
  if (p == nullptr) return cudaErrorInvalidValue;
  *p = nullptr;
  if (e.stickyError != cudaSuccess) return e.stickyError;
  if (bytes == 0) return cudaSuccess;
  if (posix_memalign(p, 256, bytes) != 0) return cudaErrorMemoryAllocation;
  // New device memory holds NaNs (all bits set), never the zeros fresh host pages happen to have:
  // code that reads memory nothing wrote gets NaN, as it would get garbage on a GPU.
  std::memset(*p, 0xff, bytes);
  e.allocations[reinterpret_cast<uintptr_t>(*p)] = bytes;
  return cudaSuccess;
}

cudaError_t release(void* p) {
  Emulator& e = emulator();
  std::lock_guard<std::recursive_mutex> lock(e.mutex);
  if (p == nullptr) return cudaSuccess;
  auto it = e.allocations.find(reinterpret_cast<uintptr_t>(p));
  if (it == e.allocations.end()) return cudaErrorInvalidDevicePointer;
  e.allocations.erase(it);
  std::free(p);
  return cudaSuccess;
}

cudaError_t copy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  Emulator& e = emulator();
  std::lock_guard<std::recursive_mutex> lock(e.mutex);
  if (e.stickyError != cudaSuccess) return e.stickyError;
  if (bytes == 0) return cudaSuccess;
  const bool dstDevice = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool srcDevice = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (dst == nullptr || src == nullptr || (dstDevice && !onDevice(e, dst, bytes)) ||
      (srcDevice && !onDevice(e, src, bytes)))
    return cudaErrorInvalidValue;
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t fill2d(void* p, size_t pitch, int value, size_t width, size_t height) {
  Emulator& e = emulator();
  std::lock_guard<std::recursive_mutex> lock(e.mutex);
  if (e.stickyError != cudaSuccess) return e.stickyError;
  if (width == 0 || height == 0) return cudaSuccess;
  if (width > pitch && height > 1) return cudaErrorInvalidValue;
  for (size_t r = 0; r < height; ++r) {
    char* row = static_cast<char*>(p) + r * pitch;
    if (!onDevice(e, row, width)) return cudaErrorInvalidValue;
    std::memset(row, value, width);
  }
  return cudaSuccess;
}

}  // namespace

cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device != 0) return cudaErrorInvalidValue;
  std::memset(prop, 0, sizeof(*prop));
  std::snprintf(prop->name, sizeof(prop->name), "atrous CUDA emulator on the CPU");
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 1;
  return cudaSuccess;
}

cudaError_t cudaGetLastError() {
  Emulator& e = emulator();
  std::lock_guard<std::recursive_mutex> lock(e.mutex);
  const cudaError_t r = e.stickyError != cudaSuccess ? e.stickyError : e.lastError;
  e.lastError = cudaSuccess;
  return r;
}

cudaError_t cudaPeekAtLastError() {
  Emulator& e = emulator();
  std::lock_guard<std::recursive_mutex> lock(e.mutex);
  return e.stickyError != cudaSuccess ? e.stickyError : e.lastError;
}

cudaError_t cudaDeviceSynchronize() {
  Emulator& e = emulator();
  std::lock_guard<std::recursive_mutex> lock(e.mutex);
  return e.stickyError;
}

cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaDeviceSynchronize(); }

const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer";
    case cudaErrorLaunchFailure: return "unspecified launch failure (the emulator printed the fault)";
  }
  return "unknown error";
}

cudaError_t cudaMalloc(void** p, size_t bytes) { return allocate(p, bytes); }
cudaError_t cudaFree(void* p) { return release(p); }
cudaError_t cudaMallocAsync(void** p, size_t bytes, cudaStream_t) { return allocate(p, bytes); }
cudaError_t cudaFreeAsync(void* p, cudaStream_t) { return release(p); }

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  return copy(dst, src, bytes, kind);
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
  return copy(dst, src, bytes, kind);
}
cudaError_t cudaMemset(void* p, int value, size_t bytes) { return fill2d(p, bytes, value, bytes, 1); }
cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t) { return fill2d(p, bytes, value, bytes, 1); }
cudaError_t cudaMemset2DAsync(void* p, size_t pitch, int value, size_t width, size_t height, cudaStream_t) {
  return fill2d(p, pitch, value, width, height);
}

cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t* pool, int device) {
  if (device != 0) return cudaErrorInvalidValue;
  *pool = nullptr;
  return cudaSuccess;
}
cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t, cudaMemPoolAttr, void*) { return cudaSuccess; }
