// Smoke test of the installed package through CommonJS: `node smoke.cjs` in a project that installed
// the atrous tarball (scripts/package-check.mjs copies it there).
'use strict';
const at = require('atrous');
require('./checks.cjs').runChecks(at, 'require');
