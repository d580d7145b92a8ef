#!/usr/bin/env bash
# The one check for a GPU machine (nvcc, CMake and Python with PyTorch; no Node needed), under 8
# minutes: builds libatrous_cuda with the CUDA tests and bench, runs the tests (every CUDA kernel
# against the CPU kernels and float64 references on random configurations, the TF32 SGEMM included),
# then times our SGEMM and convolutions against cuBLAS and cuDNN (PyTorch, TF32 off; our TF32 SGEMM
# row against cuBLAS TF32) on the conv suite and prints one table.
# Exits non-zero when a test fails or is skipped (a GPU machine must run them all).
# Logs go to build-cuda/device-check/ and, when $OUT is set, are copied there.
# The JS side (device tensors, a training step on 'cuda' against 'cpu') runs too when Node is there:
# the GPU machine has none, so prepare one here with `bash scripts/device-carry.sh` and carry what it
# lists (a compressed node binary, dist/, the addon, node-gyp-build).
# usage: bash scripts/device-check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
logs=build-cuda/device-check
status=0
step() { echo; echo "== $* ($((SECONDS))s)"; }

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi not found"
nvcc --version | tail -1

step "build (cmake, ATROUS_CUDA=ON, ATROUS_NATIVE_TESTS=ON)"
cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=Release -DATROUS_CUDA=ON -DATROUS_NATIVE_TESTS=ON >/dev/null || exit 1
cmake --build build-cuda -j "$(nproc)" --target atrous_cuda_tests atrous_cuda_bench 2>&1 | grep -E "error|warning" || true
[ -x build-cuda/atrous_cuda_tests ] && [ -x build-cuda/atrous_cuda_bench ] || { echo "build failed"; exit 1; }
mkdir -p "$logs"

step "tests: build-cuda/atrous_cuda_tests"
timeout 240 ./build-cuda/atrous_cuda_tests 2>&1 | tee "$logs/tests.log"
tests_rc=${PIPESTATUS[0]}
if [ "$tests_rc" -ne 0 ]; then echo "CUDA tests failed (exit $tests_rc)"; status=1; fi
if grep -q '^SKIP:' "$logs/tests.log"; then echo "CUDA tests were skipped on a GPU machine"; status=1; fi

step "bench: build-cuda/atrous_cuda_bench (ours), then cuBLAS/cuDNN (scripts/cuda-peers.py)"
if timeout 90 ./build-cuda/atrous_cuda_bench --repeats 5 >"$logs/ours.csv" 2>"$logs/bench.err"; then
  timeout 120 python3 scripts/cuda-peers.py --ours "$logs/ours.csv" 2>&1 | tee "$logs/table.txt"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "cuda-peers.py failed; our timings:"; cat "$logs/ours.csv"; status=1; }
else
  echo "atrous_cuda_bench failed:"; cat "$logs/ours.csv" "$logs/bench.err"; status=1
fi

step "JS: scripts/cuda-train-check.cjs (a training step on cuda vs cpu, through the addon)"
node_bin=$(command -v node || true)
if [ -z "$node_bin" ] && [ -f build-node/node.xz ]; then
  xz -dc build-node/node.xz > build-node/node && chmod +x build-node/node && node_bin=build-node/node
fi
if [ -n "$node_bin" ] && [ -f dist/index.js ] && [ -f build/Release/atrous.node ]; then
  ATROUS_CUDA_LIBRARY=build-cuda/libatrous_cuda.so timeout 180 "$node_bin" scripts/cuda-train-check.cjs 2>&1 | tee "$logs/train-check.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "cuda-train-check failed"; status=1; }
else
  echo "skipped: no node (carry build-node/node.xz, see scripts/device-carry.sh) or no dist/ and build/Release/atrous.node"
fi

[ -n "${OUT:-}" ] && cp -r "$logs" "$OUT/" 2>/dev/null
step "done: $([ $status -eq 0 ] && echo ok || echo FAILED)"
exit $status
