#!/usr/bin/env node
// The `atrous` command (lib/cli/main.ts, compiled to dist/).
'use strict';
const { main } = require('../dist/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`atrous: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 1;
  },
);
