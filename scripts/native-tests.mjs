// Builds the native kernel tests with CMake and runs them.
// Usage: node scripts/native-tests.mjs [--sanitize] [filter]
//   --sanitize  build and run them under AddressSanitizer + UndefinedBehaviorSanitizer (build-sanitize/)
//   filter      run only the tests whose names contain it
import { buildNative, run } from './native-build.mjs';

const args = process.argv.slice(2);
const sanitize = args.includes('--sanitize');
const dir = buildNative({ sanitize });
run(`./${dir}/atrous_native_tests`, args.filter((a) => a !== '--sanitize'));
