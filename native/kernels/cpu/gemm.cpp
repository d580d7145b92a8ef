// The portable half of the GEMM: argument checks, the five-loop nest over cache blocks, the
// partition of a call over the thread pool, and the per-ISA table (block sizes live here, in one
// place; microkernels and packing live in the ISA files).
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>

#include "../checked_math.h"
#include "cpu_features.h"
#include "gemm_kernels.h"
#include "thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace atrous {
namespace gemm {
namespace {

// Indexed by Isa. mc is a multiple of mr. Sizes are for Zen 4/5 (48 KiB L1d, 1 MiB L2 per core):
// a B panel (kc x nr) fills about two thirds of L1, an A block (mc x kc) about half of L2.
const KernelTable kTables[3] = {
    {"scalar", kScalarMr, kScalarNr, 64, 256, 1024, gemmMicroScalar_4x4, packAScalar, packBScalar},
    {"avx2", kAvx2Mr, kAvx2Nr, 6 * 24, 256, 4096, gemmMicroAvx2_6x16, packAAvx2, packBAvx2},
    {"avx512", kAvx512Mr, kAvx512Nr, 14 * 24, 256, 4096, gemmMicroAvx512_14x32, packAAvx512, packBAvx512},
};

int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// A 64-byte-aligned scratch buffer that grows and is kept, one per thread and role, so that packing
// never allocates in the steady state.
class PackBuffer {
 public:
  ~PackBuffer() { std::free(data_); }
  float* floats(int64_t n) {
    if (n > capacity_) {
      std::free(data_);
      const size_t bytes = static_cast<size_t>(roundUp(n * static_cast<int64_t>(sizeof(float)), 64));
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
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

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Threads of one call meet here between packing a B block and using it (and before repacking).
// Spins briefly (the usual wait is microseconds), then sleeps, so oversubscribed pools still progress.
class Barrier {
 public:
  explicit Barrier(int count) : count_(count) {}
  void wait() {
    if (count_ == 1) return;
    const unsigned gen = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == count_) {
      arrived_.store(0, std::memory_order_relaxed);
      {
        std::lock_guard<std::mutex> lk(m_);
        generation_.fetch_add(1, std::memory_order_release);
      }
      cv_.notify_all();
      return;
    }
    for (int spin = 0; spin < 20000; ++spin) {
      if (generation_.load(std::memory_order_acquire) != gen) return;
      cpuRelax();
    }
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != gen; });
  }

 private:
  const int count_;
  std::atomic<int> arrived_{0};
  std::atomic<unsigned> generation_{0};
  std::mutex m_;
  std::condition_variable cv_;
};

// C (m x n) = beta * C, without reading C when beta == 0.
void scaleC(int64_t m, int64_t n, float beta, float* C, int64_t ldc) {
  if (beta == 1.f) return;
  for (int64_t i = 0; i < m; ++i) {
    float* row = C + i * ldc;
    if (beta == 0.f) std::fill(row, row + n, 0.f);
    else for (int64_t j = 0; j < n; ++j) row[j] *= beta;
  }
}

// The two inner loops: every MR x NR tile of a packed A block (mc x kc) times a packed B block (kc x nc).
void macroKernel(const KernelTable& t, int64_t mc, int64_t nc, int64_t kc, float alpha, const float* packedA,
                 const float* packedB, float beta, float* C, int64_t ldc) {
  for (int64_t jr = 0; jr < nc; jr += t.nr) {
    const int64_t n = std::min<int64_t>(t.nr, nc - jr);
    const float* b = packedB + jr * kc;
    for (int64_t ir = 0; ir < mc; ir += t.mr) {
      const int64_t m = std::min<int64_t>(t.mr, mc - ir);
      const float* a = packedA + ir * kc;
      float* c = C + ir * ldc + jr;
      if (m == t.mr && n == t.nr) {
        t.micro(kc, a, b, alpha, beta, c, ldc);
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
};

// How `threads` threads share each B block: tm groups split the rows (each packs its own A rows),
// tn groups split the block's column panels (each group packs the same A rows again).
struct Grid {
  int tm = 1, tn = 1;
};

Grid chooseGrid(const GemmCall& g, int threads) {
  const int64_t mPanels = (g.M + g.t.mr - 1) / g.t.mr;
  const int64_t nPanels = (std::min(g.N, g.t.nc) + g.t.nr - 1) / g.t.nr;
  Grid best;
  double bestScore = -1;
  for (int tm = 1; tm <= threads; ++tm) {
    if (threads % tm) continue;
    const int tn = threads / tm;
    // Share of the threads' time spent on useful tiles, given whole panels per thread.
    const double effM = double(mPanels) / double(tm * ((mPanels + tm - 1) / tm));
    const double effN = double(nPanels) / double(tn * ((nPanels + tn - 1) / tn));
    // Splitting columns repacks A once per column group: about 16 multiply-adds' worth per element.
    const double repackA = 1.0 - 16.0 * double(tn - 1) / double(nPanels * g.t.nr);
    const double score = effM * effN * repackA;
    if (score > bestScore + 1e-9) {
      bestScore = score;
      best = {tm, tn};
    }
  }
  return best;
}

// One thread's share of the five-loop nest. All `threads` threads pack each B block together,
// meet at the barrier, multiply their part, and meet again before the block is repacked.
void runSlice(const GemmCall& g, int thread, int threads, Grid grid, float* packedB, Barrier& barrier) {
  const KernelTable& t = g.t;
  const int im = thread % grid.tm, in = thread / grid.tm;
  const int64_t mPanels = (g.M + t.mr - 1) / t.mr;
  const int64_t rowBegin = std::min(g.M, mPanels * im / grid.tm * t.mr);
  const int64_t rowEnd = std::min(g.M, mPanels * (im + 1) / grid.tm * t.mr);
  float* packedA = tPackedA.floats(roundUp(t.mc, t.mr) * t.kc);

  for (int64_t jc = 0; jc < g.N; jc += t.nc) {
    const int64_t nc = std::min(t.nc, g.N - jc);
    const int64_t nPanels = (nc + t.nr - 1) / t.nr;
    const int64_t colPanelBegin = nPanels * in / grid.tn, colPanelEnd = nPanels * (in + 1) / grid.tn;
    const int64_t colBegin = colPanelBegin * t.nr, colEnd = std::min(nc, colPanelEnd * t.nr);
    for (int64_t pc = 0; pc < g.K; pc += t.kc) {
      const int64_t kc = std::min(t.kc, g.K - pc);
      const float beta = pc == 0 ? g.beta : 1.f;  // later K blocks accumulate onto the first
      {
        const int64_t p0 = nPanels * thread / threads, p1 = nPanels * (thread + 1) / threads;
        if (p1 > p0)
          g.B.packPanels(pc, kc, jc + p0 * t.nr, std::min(nc, p1 * t.nr) - p0 * t.nr, t.nr, packedB + p0 * kc * t.nr);
      }
      barrier.wait();
      if (colEnd > colBegin) {
        for (int64_t ic = rowBegin; ic < rowEnd; ic += t.mc) {
          const int64_t mc = std::min(t.mc, rowEnd - ic);
          t.packA(g.transA, g.A, g.lda, ic, mc, pc, kc, packedA);
          macroKernel(t, mc, colEnd - colBegin, kc, g.alpha, packedA, packedB + colBegin * kc, beta,
                      g.C + ic * g.ldc + jc + colBegin, g.ldc);
        }
      }
      barrier.wait();
    }
  }
}

// Below this many multiply-adds, waking the pool costs more than it saves.
constexpr int64_t kMinParallelMacs = 48 * 48 * 48;

void run(const GemmCall& g, bool allowThreads) {
  if (g.M == 0 || g.N == 0) return;
  if (g.K == 0 || g.alpha == 0.f) {  // BLAS semantics: op(A)*op(B) is not read
    scaleC(g.M, g.N, g.beta, g.C, g.ldc);
    return;
  }
  const KernelTable& t = g.t;
  float* packedB = tPackedB.floats(t.kc * roundUp(std::min(t.nc, g.N), t.nr));
  int threads = allowThreads && !insideParallelRegion() ? numThreads() : 1;
  int64_t macs = 0;
  if (mulOverflows(g.M, g.N, &macs) || mulOverflows(macs, g.K, &macs)) macs = INT64_MAX;
  if (macs < kMinParallelMacs) threads = 1;
  if (threads == 1) {
    Barrier none(1);
    runSlice(g, 0, 1, Grid{}, packedB, none);
    return;
  }
  Barrier barrier(threads);
  parallelRun([&](int thread, int count) {
    // parallelRun gives every thread numThreads() as count; the grid was chosen for that.
    runSlice(g, thread, count, chooseGrid(g, count), packedB, barrier);
  });
}

}  // namespace

const KernelTable& activeKernels() { return kTables[static_cast<int>(activeIsa())]; }

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
                     const BPanelSource& B, float beta, float* C, int64_t ldc) {
  gemm::run({gemm::activeKernels(), transA, M, N, K, alpha, A, lda, B, beta, C, ldc}, true);
}

void sgemmWithSourceSerial(bool transA, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                           const BPanelSource& B, float beta, float* C, int64_t ldc) {
  gemm::run({gemm::activeKernels(), transA, M, N, K, alpha, A, lda, B, beta, C, ldc}, false);
}

namespace {

std::string str(int64_t v) { return std::to_string(v); }

// Elements a rows x cols row-major matrix with leading dimension ld spans: (rows-1)*ld + cols.
bool spanOf(int64_t rows, int64_t cols, int64_t ld, int64_t* out) {
  if (rows == 0 || cols == 0) {
    *out = 0;
    return true;
  }
  int64_t lastRow;
  return !mulOverflows(rows - 1, ld, &lastRow) && !addOverflows(lastRow, cols, out);
}

// Checks one operand: leading dimension >= max(1, row length) and a buffer long enough.
Status checkOperand(const char* name, const char* ldName, const char* shape, int64_t rows, int64_t cols, int64_t ld,
                    const void* data, long long size) {
  const int64_t minLd = std::max<int64_t>(1, cols);
  if (ld < minLd)
    return Status::error(std::string("sgemm: ") + ldName + " expects at least " + str(minLd) + " (max(1, the row length of " +
                         name + " stored " + shape + "), but got " + str(ld));
  int64_t need;
  if (!spanOf(rows, cols, ld, &need))
    return Status::error(std::string("sgemm: ") + name + " spans (" + str(rows) + "-1)*" + str(ld) + "+" + str(cols) +
                         " elements (" + shape + "), which overflows 64 bits");
  if (size < need || (need > 0 && data == nullptr))
    return Status::error(std::string("sgemm: ") + name + " expects at least " + str(need) + " elements (" + shape +
                         " = " + str(rows) + "x" + str(cols) + ", " + ldName + "=" + str(ld) + "), but got " +
                         (data == nullptr && size > 0 ? "a null pointer" : str(size)));
  return Status::ok();
}

}  // namespace

Status sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, ConstFloatSpan A, int64_t lda,
             ConstFloatSpan B, int64_t ldb, float beta, FloatSpan C, int64_t ldc) {
  const char* names[3] = {"M", "N", "K"};
  const int64_t dims[3] = {M, N, K};
  for (int i = 0; i < 3; ++i)
    if (dims[i] < 0)
      return Status::error(std::string("sgemm: ") + names[i] + " expects a size >= 0, but got " + str(dims[i]));
  // Stored shapes: A is M x K (K x M when transposed), B is K x N (N x K), C is M x N.
  Status s = transA ? checkOperand("A", "lda", "K x M, transA", K, M, lda, A.data, A.size)
                    : checkOperand("A", "lda", "M x K", M, K, lda, A.data, A.size);
  if (!s.isOk()) return s;
  s = transB ? checkOperand("B", "ldb", "N x K, transB", N, K, ldb, B.data, B.size)
             : checkOperand("B", "ldb", "K x N", K, N, ldb, B.data, B.size);
  if (!s.isOk()) return s;
  s = checkOperand("C", "ldc", "M x N", M, N, ldc, C.data, C.size);
  if (!s.isOk()) return s;
  MatrixBSource source(B.data, ldb, transB);
  sgemmWithSource(transA, M, N, K, alpha, A.data, lda, source, beta, C.data, ldc);
  return Status::ok();
}

}  // namespace atrous
