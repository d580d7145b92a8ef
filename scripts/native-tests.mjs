// Builds the native kernel tests and microbenchmarks with CMake (into build-native/) and runs the
// tests. Usage: node scripts/native-tests.mjs [filter]   (the filter picks tests by name)
import { buildNative, run } from './native-build.mjs';

buildNative();
run('./build-native/atrous_native_tests', process.argv.slice(2));
