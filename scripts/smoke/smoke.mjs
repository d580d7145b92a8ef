// Smoke test of the installed package through ESM: the package's "import" entry (dist/index.mjs)
// must give every export by name and as the default.
import * as at from 'atrous';
import atDefault from 'atrous';
import checks from './checks.cjs';

for (const name of ['conv1d', 'conv2d', 'tensor', 'backend', 'nn', 'optim']) {
  if (at[name] === undefined || at[name] !== atDefault[name]) throw new Error(`import 'atrous': export ${name} missing or not the default's`);
}
checks.runChecks(at, 'import');
