// Builds the native microbenchmarks with CMake (into build-native/) and runs one.
// Usage: node scripts/bench-native.mjs gemm|conv|all [--threads N] [--repeats N] [bench options]
// (no arguments: gemm). The binary prints the machine and the command that reproduces its run.
import { buildNative, run } from './native-build.mjs';

const args = process.argv.slice(2);
buildNative();
run('./build-native/atrous_bench', args.length ? args : ['gemm']);
