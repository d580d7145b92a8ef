// The portable half of the GEMM: argument checks, the five-loop nest over cache blocks, the
// partition of a call over the thread pool, and the per-ISA table (block sizes live here, in one
// place; microkernels and packing live in the ISA files).
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "../checked_math.h"
#include "../gemm_checks.h"
#include "../portability.h"
#include "cpu_features.h"
#include "gemm_kernels.h"
#include "thread_pool.h"


namespace atrous {
namespace gemm {
namespace {

// One table per ISA compiled in. mc is a multiple of mr. Measured on Zen 5 (48 KiB L1d, 1 MiB L2 per core), 2 threads,
// interleaved medians: kc from 256 to 768 and mc from 112 to 336 were within 5% at 1024-2048;
// kc = 512 with mc = 168 was at the top (rechecked with the B-panel prefetch: kc 256, 384 and 768
// were no better). The A block (mc x kc, 344 KiB) and the streamed B panel (kc x nr, 96 KiB) share
// L2; a B block (kc x nc) of up to 8 MiB stays in L3.
const KernelTable kScalarTable{"scalar", kScalarMr, kScalarNr, 64, 256, 1024, gemmMicroScalar_4x4, packAScalar, packBScalar};
#if ATROUS_ARCH_X86
const KernelTable kAvx2Table{"avx2", kAvx2Mr, kAvx2Nr, 6 * 24, 512, 4096, gemmMicroAvx2_6x16, packAAvx2, packBAvx2};
const KernelTable kAvx512Table{"avx512", kAvx512Mr, kAvx512Nr, 8 * 21, 512, 4032, gemmMicroAvx512_8x48, packAAvx512,
                               packBAvx512, gemmMicroBiasAvx512_8x48};
#endif
#if ATROUS_ARCH_ARM64
// Not yet measured on arm64 hardware: the blocks follow the same rule (A block mc x kc in a 1 MiB L2
// beside a kc x nr B panel; Graviton 3 and Apple M have 64-128 KiB L1d and 1-16 MiB L2 per core).
const KernelTable kNeonTable{"neon", kNeonMr, kNeonNr, 8 * 24, 512, 4096, gemmMicroNeon_8x12, packANeon, packBNeon};
#endif

int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// A 64-byte-aligned scratch buffer that grows and is kept, one per thread and role, so that packing
// never allocates in the steady state.
class PackBuffer {
 public:
  ~PackBuffer() { port::alignedFree(data_); }
  float* floats(int64_t n) {
    if (n > capacity_) {
      port::alignedFree(data_);
      data_ = static_cast<float*>(port::alignedAlloc(64, static_cast<size_t>(n) * sizeof(float)));
      if (!data_) std::abort();  // out of memory for a few MiB of scratch: nothing sensible to return
      capacity_ = n;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  int64_t capacity_ = 0;
};

thread_local PackBuffer tPackedA;
thread_local PackBuffer tPackedB;  // owned by the calling thread, shared read-only with its helpers

// Waits until ready() holds. Spins briefly (a wait is at most one task long when every thread
// runs), then yields, then sleeps: on a shared or virtual machine the thread we wait for may be
// off its core, and a spinning waiter would keep it off.
template <class Ready>
void waitUntil(Ready ready) {
  for (int spin = 0; !ready(); ++spin) {
    if (spin < 2048) port::cpuRelax();
    else if (spin < 2048 + 64) std::this_thread::yield();
    else std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

// C (m x n) = beta * C, without reading C when beta == 0.
void scaleC(int64_t m, int64_t n, float beta, float* C, int64_t ldc) {
  if (beta == 1.f) return;
  for (int64_t i = 0; i < m; ++i) {
    float* row = C + i * ldc;
    if (beta == 0.f) std::fill(row, row + n, 0.f);
    else for (int64_t j = 0; j < n; ++j) row[j] *= beta;
  }
}

// C's rows [0, m) x columns [0, n) += rowBias[row]: a tile just written, still in L1.
void addRowBias(int64_t m, int64_t n, const float* rowBias, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    const float b = rowBias[i];
    float* row = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) row[j] += b;
  }
}

// The two inner loops: every MR x NR tile of a packed A block (mc x kc) times a packed B block (kc x nc),
// plus rowBias (when given) on each tile right after it is written.
void macroKernel(const KernelTable& t, int64_t mc, int64_t nc, int64_t kc, float alpha, const float* packedA,
                 const float* packedB, float beta, float* C, int64_t ldc, const float* rowBias) {
  for (int64_t jr = 0; jr < nc; jr += t.nr) {
    const int64_t n = std::min<int64_t>(t.nr, nc - jr);
    const float* b = packedB + jr * kc;
    for (int64_t ir = 0; ir < mc; ir += t.mr) {
      const int64_t m = std::min<int64_t>(t.mr, mc - ir);
      const float* a = packedA + ir * kc;
      float* c = C + ir * ldc + jr;
      if (m == t.mr && n == t.nr) {
        if (rowBias && t.microBias) {
          t.microBias(kc, a, b, alpha, beta, c, ldc, rowBias + ir);
        } else {
          t.micro(kc, a, b, alpha, beta, c, ldc);
          if (rowBias) addRowBias(m, n, rowBias + ir, c, ldc);
        }
        continue;
      }
      // Edge tile: compute the full tile locally, copy out the part that exists.
      alignas(64) float tile[kMaxTileFloats];
      t.micro(kc, a, b, alpha, 0.f, tile, t.nr);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          float& cij = c[i * ldc + j];
          cij = beta == 0.f ? tile[i * t.nr + j] : tile[i * t.nr + j] + beta * cij;
        }
      if (rowBias) addRowBias(m, n, rowBias + ir, c, ldc);
    }
  }
}

struct GemmCall {
  const KernelTable& t;
  bool transA;
  int64_t M, N, K;
  float alpha;
  const float* A;
  int64_t lda;
  const BPanelSource& B;
  float beta;
  float* C;
  int64_t ldc;
  const APanelSource* aSource = nullptr;  // when set, packs A instead of t.packA (A and lda unused)
  const float* rowBias = nullptr;         // when set, added to row i of C (M floats)
};

// How a call is cut into work. Blocks b = (jc, pc) of B (nc x kc) are visited in order; each is
// packed by pack tasks (a few panels each), then multiplied by compute tasks: a grid of row
// blocks (each packs its own A rows) by column chunks of the B block. Threads take tasks from
// shared counters, so a thread slowed by other processes only holds up the task it is on.
struct Plan {
  int64_t jcBlocks, pcBlocks, blocks;
  int64_t rowsPerBlock, rowBlocks, colChunks, tasks;
};

constexpr int64_t kPanelsPerPackTask = 4;
constexpr int64_t kMinPanelsPerRowBlock = 8;  // a B panel is reused from L1 at least this often

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

Plan makePlan(const GemmCall& g, int threads) {
  const KernelTable& t = g.t;
  Plan p;
  p.jcBlocks = ceilDiv(g.N, t.nc);
  p.pcBlocks = ceilDiv(g.K, t.kc);
  p.blocks = p.jcBlocks * p.pcBlocks;
  const int64_t mPanels = ceilDiv(g.M, t.mr);
  int64_t rowBlocks = ceilDiv(g.M, t.mc);
  if (threads > 1) rowBlocks = std::max(rowBlocks, std::min<int64_t>(2 * threads, mPanels / kMinPanelsPerRowBlock));
  rowBlocks = std::max<int64_t>(1, std::min(rowBlocks, mPanels));
  p.rowsPerBlock = ceilDiv(mPanels, rowBlocks) * t.mr;
  p.rowBlocks = ceilDiv(g.M, p.rowsPerBlock);
  // Too few rows to keep every thread busy: split the columns of each B block as well.
  const int64_t nPanels = ceilDiv(std::min(g.N, t.nc), t.nr);
  p.colChunks = 1;
  if (threads > 1 && p.rowBlocks < 2 * threads) p.colChunks = std::min(nPanels, ceilDiv(2 * threads, p.rowBlocks));
  p.tasks = p.rowBlocks * p.colChunks;
  return p;
}

// Progress of one B block, counted in tasks. Padded so that blocks do not share cache lines.
struct alignas(64) BlockProgress {
  std::atomic<int64_t> packNext{0}, packDone{0}, computeNext{0}, computeDone{0};
};

struct SharedProgress {
  std::vector<BlockProgress> blocks;
  // Per compute task: the last block whose share of this task is done. The same task of the next
  // K block accumulates onto the same tiles of C, so it waits for this.
  std::vector<std::atomic<int64_t>> taskDoneThrough;
  float* packedB[2];  // double buffer: block b packs into packedB[b % 2] once block b-2 is done
  SharedProgress(const Plan& p, float* bufferB, int64_t bufferFloats) : blocks(p.blocks), taskDoneThrough(p.tasks) {
    for (auto& d : taskDoneThrough) d.store(-1, std::memory_order_relaxed);
    packedB[0] = bufferB;
    packedB[1] = bufferB + bufferFloats;
  }
};

// One thread's part of the call: runs until every task of every block is taken.
void work(const GemmCall& g, const Plan& plan, SharedProgress& shared) {
  const KernelTable& t = g.t;
  float* packedA = tPackedA.floats(plan.rowsPerBlock * t.kc);
  int64_t packedABlock = -1, packedARows = -1;  // which block and row block packedA holds

  for (int64_t b = 0; b < plan.blocks; ++b) {
    const int64_t jc = b / plan.pcBlocks * t.nc, pc = b % plan.pcBlocks * t.kc;
    const int64_t nc = std::min(t.nc, g.N - jc), kc = std::min(t.kc, g.K - pc);
    const int64_t nPanels = ceilDiv(nc, t.nr), packTasks = ceilDiv(nPanels, kPanelsPerPackTask);
    const float beta = pc == 0 ? g.beta : 1.f;  // later K blocks accumulate onto the first
    float* packedB = shared.packedB[b % 2];
    BlockProgress& progress = shared.blocks[b];

    if (progress.packNext.load(std::memory_order_relaxed) < packTasks) {
      if (b >= 2) {
        const BlockProgress& previous = shared.blocks[b - 2];
        waitUntil([&] { return previous.computeDone.load(std::memory_order_acquire) == plan.tasks; });
      }
      for (int64_t task; (task = progress.packNext.fetch_add(1, std::memory_order_relaxed)) < packTasks;) {
        const int64_t p0 = task * kPanelsPerPackTask, p1 = std::min(nPanels, p0 + kPanelsPerPackTask);
        g.B.packPanels(pc, kc, jc + p0 * t.nr, std::min(nc, p1 * t.nr) - p0 * t.nr, t.nr, packedB + p0 * kc * t.nr);
        progress.packDone.fetch_add(1, std::memory_order_release);
      }
    }
    waitUntil([&] { return progress.packDone.load(std::memory_order_acquire) == packTasks; });

    for (int64_t q; (q = progress.computeNext.fetch_add(1, std::memory_order_relaxed)) < plan.tasks;) {
      waitUntil([&] { return shared.taskDoneThrough[q].load(std::memory_order_acquire) >= b - 1; });
      const int64_t rowBlock = q / plan.colChunks, chunk = q % plan.colChunks;
      const int64_t rowBegin = rowBlock * plan.rowsPerBlock, rowEnd = std::min(g.M, rowBegin + plan.rowsPerBlock);
      const int64_t colBegin = nPanels * chunk / plan.colChunks * t.nr;
      const int64_t colEnd = std::min(nc, nPanels * (chunk + 1) / plan.colChunks * t.nr);
      if (colBegin < colEnd) {
        if (packedABlock != b || packedARows != rowBlock) {
          if (g.aSource) g.aSource->packPanels(rowBegin, rowEnd - rowBegin, pc, kc, t.mr, packedA);
          else t.packA(g.transA, g.A, g.lda, rowBegin, rowEnd - rowBegin, pc, kc, packedA);
          packedABlock = b;
          packedARows = rowBlock;
        }
        macroKernel(t, rowEnd - rowBegin, colEnd - colBegin, kc, g.alpha, packedA, packedB + colBegin * kc, beta,
                    g.C + rowBegin * g.ldc + jc + colBegin, g.ldc,
                    g.rowBias && pc == 0 ? g.rowBias + rowBegin : nullptr);  // once, with the first K block
      }
      shared.taskDoneThrough[q].store(b, std::memory_order_release);
      progress.computeDone.fetch_add(1, std::memory_order_acq_rel);
    }
  }
}

// Below this many multiply-adds, waking the pool costs more than it saves.
constexpr int64_t kMinParallelMacs = 48 * 48 * 48;

void run(const GemmCall& g, bool allowThreads) {
  if (g.M == 0 || g.N == 0) return;
  if (g.K == 0 || g.alpha == 0.f) {  // BLAS semantics: op(A)*op(B) is not read
    scaleC(g.M, g.N, g.beta, g.C, g.ldc);
    if (g.rowBias) addRowBias(g.M, g.N, g.rowBias, g.C, g.ldc);
    return;
  }
  const KernelTable& t = g.t;
  int threads = allowThreads && !insideParallelRegion() ? numThreads() : 1;
  int64_t macs = 0;
  if (mulOverflows(g.M, g.N, &macs) || mulOverflows(macs, g.K, &macs)) macs = INT64_MAX;
  if (macs < kMinParallelMacs) threads = 1;
  const Plan plan = makePlan(g, threads);
  const int64_t bufferFloats = std::min(t.kc, g.K) * roundUp(std::min(t.nc, g.N), t.nr);
  SharedProgress shared(plan, tPackedB.floats(2 * bufferFloats), bufferFloats);
  if (threads == 1) work(g, plan, shared);
  else parallelRun([&](int, int) { work(g, plan, shared); });
}

}  // namespace

const KernelTable& activeKernels() {
  return *forActiveIsa<const KernelTable*>(&kScalarTable, ATROUS_X86_ONLY(&kAvx2Table), ATROUS_X86_ONLY(&kAvx512Table),
                                           ATROUS_ARM64_ONLY(&kNeonTable));
}

}  // namespace gemm

void MatrixBSource::packPanels(int64_t k0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) const {
  const gemm::KernelTable& t = gemm::activeKernels();
  if (nr == t.nr) {
    t.packB(trans_, b_, ldb_, k0, kc, j0, nc, dst);
    return;
  }
  for (int64_t p = 0; p < nc; p += nr, dst += kc * nr) {
    const int64_t cols = std::min<int64_t>(nr, nc - p);
    for (int64_t k = 0; k < kc; ++k)
      for (int64_t c = 0; c < nr; ++c) {
        const int64_t j = j0 + p + c, kk = k0 + k;
        dst[k * nr + c] = c >= cols ? 0.f : trans_ ? b_[j * ldb_ + kk] : b_[kk * ldb_ + j];
      }
  }
}

void sgemmWithSource(bool transA, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                     const BPanelSource& B, float beta, float* C, int64_t ldc, const float* rowBias) {
  gemm::run({gemm::activeKernels(), transA, M, N, K, alpha, A, lda, B, beta, C, ldc, nullptr, rowBias}, true);
}

void sgemmWithSources(int64_t M, int64_t N, int64_t K, float alpha, const APanelSource& A, const BPanelSource& B,
                      float beta, float* C, int64_t ldc) {
  gemm::run({gemm::activeKernels(), false, M, N, K, alpha, nullptr, 0, B, beta, C, ldc, &A}, true);
}

void sgemmWithSourceSerial(bool transA, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                           const BPanelSource& B, float beta, float* C, int64_t ldc, const float* rowBias) {
  gemm::run({gemm::activeKernels(), transA, M, N, K, alpha, A, lda, B, beta, C, ldc, nullptr, rowBias}, false);
}

Status sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, ConstFloatSpan A, int64_t lda,
             ConstFloatSpan B, int64_t ldb, float beta, FloatSpan C, int64_t ldc) {
  Status s = checkGemmArguments("sgemm", transA, transB, M, N, K, A.data, A.size, lda, B.data, B.size, ldb, C.data,
                                C.size, ldc);
  if (!s.isOk()) return s;
  MatrixBSource source(B.data, ldb, transB);
  sgemmWithSource(transA, M, N, K, alpha, A.data, lda, source, beta, C.data, ldc);
  return Status::ok();
}

}  // namespace atrous
