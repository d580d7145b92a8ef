#!/usr/bin/env bash
# Prepares what the GPU machine (no Node there) needs to run the JS side of scripts/device-check.sh:
# this machine's node binary compressed into build-node/node.xz (~24 MB), and the compiled package
# (dist/ and build/Release/atrous.node, from `npm run build`). Prints the device tool's `carry` list.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build-node
[ -f build-node/node.xz ] || xz -T2 -6 -c "$(command -v node)" > build-node/node.xz
[ -f dist/index.js ] && [ -f build/Release/atrous.node ] || { echo "run \`npm run build\` first"; exit 1; }
du -sh build-node/node.xz dist build/Release/atrous.node node_modules/node-gyp-build | sed 's/^/  /'
echo 'carry: ["build-node", "dist", "build/Release", "node_modules/node-gyp-build"]'
