#include "gemm_checks.h"

#include <algorithm>
#include <string>

#include "checked_math.h"

namespace atrous {
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

// One operand: leading dimension >= max(1, row length) and a buffer long enough.
Status checkOperand(const std::string& op, const char* name, const char* ldName, const char* shape, int64_t rows,
                    int64_t cols, int64_t ld, const void* data, long long size) {
  const int64_t minLd = std::max<int64_t>(1, cols);
  if (ld < minLd)
    return Status::error(op + ": " + ldName + " expects at least " + str(minLd) + " (max(1, the row length of " + name +
                         " stored " + shape + "), but got " + str(ld));
  int64_t need;
  if (!spanOf(rows, cols, ld, &need))
    return Status::error(op + ": " + name + " spans (" + str(rows) + "-1)*" + str(ld) + "+" + str(cols) +
                         " elements (" + shape + "), which overflows 64 bits");
  if (size < need || (need > 0 && data == nullptr))
    return Status::error(op + ": " + name + " expects at least " + str(need) + " elements (" + shape + " = " +
                         str(rows) + "x" + str(cols) + ", " + ldName + "=" + str(ld) + "), but got " +
                         (data == nullptr && size > 0 ? "a null pointer" : str(size)));
  return Status::ok();
}

}  // namespace

Status checkGemmArguments(const char* op, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                          const void* A, long long aSize, int64_t lda, const void* B, long long bSize, int64_t ldb,
                          const void* C, long long cSize, int64_t ldc) {
  const std::string name = op;
  const char* names[3] = {"M", "N", "K"};
  const int64_t dims[3] = {M, N, K};
  for (int i = 0; i < 3; ++i)
    if (dims[i] < 0) return Status::error(name + ": " + names[i] + " expects a size >= 0, but got " + str(dims[i]));
  // Stored shapes: A is M x K (K x M when transposed), B is K x N (N x K), C is M x N.
  Status s = transA ? checkOperand(name, "A", "lda", "K x M, transA", K, M, lda, A, aSize)
                    : checkOperand(name, "A", "lda", "M x K", M, K, lda, A, aSize);
  if (s.isOk())
    s = transB ? checkOperand(name, "B", "ldb", "N x K, transB", N, K, ldb, B, bSize)
               : checkOperand(name, "B", "ldb", "K x N", K, N, ldb, B, bSize);
  if (s.isOk()) s = checkOperand(name, "C", "ldc", "M x N", M, N, ldc, C, cSize);
  return s;
}

}  // namespace atrous
