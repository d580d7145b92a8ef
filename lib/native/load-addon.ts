// Loads the native addon once, on first use, so that `require('atrous')` itself never fails and
// the error (if any) says what to do. node-gyp-build takes a local build (build/Release) first, then
// the prebuild for this platform in prebuilds/ (what the npm package ships), and never compiles.
import * as path from 'node:path';
import type { NativeBinding } from './addon-api';

/** The package root: lib/native/ (sources under vitest) and dist/native/ (compiled) both sit two levels below it. */
export const packageRoot = path.resolve(__dirname, '..', '..');

let loaded: NativeBinding | undefined;

export function native(): NativeBinding {
  if (loaded === undefined) loaded = loadBinding();
  return loaded;
}

function loadBinding(): NativeBinding {
  // ATROUS_ADDON_PATH names one .node file to load instead: a build kept beside build/Release, such as
  // the AddressSanitizer one that scripts/addon-sanitize.mjs runs the tests against.
  const addonPath = process.env.ATROUS_ADDON_PATH;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped package, loaded on first use
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon: require is how Node loads one
    return (addonPath ? require(path.resolve(addonPath)) : nodeGypBuild(packageRoot)) as NativeBinding;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    // The addon loaded and refused ATROUS_CPU (it names what the machine has): not a missing build.
    if (reason.startsWith('ATROUS_CPU')) throw new Error(`atrous: ${reason}`, { cause });
    if (addonPath) throw new Error(`atrous: could not load ATROUS_ADDON_PATH=${addonPath} (${reason}).`, { cause });
    throw new Error(
      `atrous: could not load the native addon (${reason}). No prebuilt binary matches ` +
        `${process.platform}-${process.arch} (node ${process.versions.node}), and no local build was found in ` +
        `${path.join(packageRoot, 'build', 'Release')}. Build it with \`npm run build\` (needs Python 3, make ` +
        `and a C++17 compiler: g++ or clang++ on Linux, Xcode command-line tools on macOS, Visual Studio ` +
        `Build Tools on Windows).`,
      { cause },
    );
  }
}
