// Run under mpirun (or alone for the single-process reference) on the built dist/:
//   node ranks.cjs MODE OUT_DIR      MODE: ddp | reference | collectives | bad-input
// Each rank writes OUT_DIR/MODE-RANK.json; test/distributed.test.ts compares them.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const at = require(path.resolve(__dirname, '..', '..', 'dist', 'index.js'));

const [mode, outDir] = process.argv.slice(2);
const write = (rank, value) => fs.writeFileSync(path.join(outDir, `${mode}-${rank}.json`), JSON.stringify(value));
at.setNumThreads(1);

const BATCH = 8;
/** A BN-free model; seed decides its initial weights. */
function makeModel(seed) {
  at.manualSeed(seed);
  return new at.nn.Sequential(new at.nn.Conv2d(2, 4, 3, { padding: 2, dilation: 2 }), new at.nn.ReLU(), new at.nn.Flatten(), new at.nn.Linear(4 * 6 * 6, 3));
}
/** Step s's global batch: the same on every rank (its own seed). */
function batch(step) {
  at.manualSeed(1000 + step);
  return { x: at.randn([BATCH, 2, 6, 6]).toFloat32Array(), y: at.randn([BATCH, 3]).toFloat32Array() };
}
/** Rows [from, to) of a batch of per-row length width, as a tensor. */
const rows = (values, width, from, to, shape) => at.tensor(values.slice(from * width, to * width), [to - from, ...shape]);

function train(model, rank, size) {
  const opt = new at.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const per = BATCH / size;
  for (let step = 0; step < 3; step++) {
    const { x, y } = batch(step);
    opt.zeroGrad();
    const out = model.forward(rows(x, 72, rank * per, (rank + 1) * per, [2, 6, 6]));
    at.mseLoss(out, rows(y, 3, rank * per, (rank + 1) * per, [3])).backward();
    opt.step();
  }
}

const params = (m) => Object.fromEntries(m.namedParameters().map(([n, p]) => [n.replace(/^module\./, ''), Array.from(p.toFloat32Array())]));

/** [1, 10^7] element tensors of integer-valued floats: sums, averages and broadcasts are exact. */
function collectives(rank, size) {
  const failures = [];
  for (const n of [1, 7, 1000, (1 << 20) + 3, 1e7]) {
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = (i % 997) * (rank + 1);
    const t = at.tensor(values);
    at.distributed.allReduce(t, { op: 'sum' });
    const sum = t.toFloat32Array();
    const factor = (size * (size + 1)) / 2;
    for (let i = 0; i < n; i++) if (sum[i] !== (i % 997) * factor) { failures.push(`allReduce sum n=${n} [${i}] = ${sum[i]}`); break; }
    for (let i = 0; i < n; i++) values[i] = (i % 991) * 2 * size;
    const a = at.tensor(values);
    at.distributed.allReduce(a, { op: 'avg' });
    const avg = a.toFloat32Array();
    for (let i = 0; i < n; i++) if (avg[i] !== (i % 991) * 2 * size) { failures.push(`allReduce avg n=${n} [${i}] = ${avg[i]}`); break; }
    const src = size - 1;
    for (let i = 0; i < n; i++) values[i] = rank === src ? (i % 983) + 1 : 0;
    const b = at.tensor(values);
    at.distributed.broadcast(b, src);
    const got = b.toFloat32Array();
    for (let i = 0; i < n; i++) if (got[i] !== (i % 983) + 1) { failures.push(`broadcast n=${n} [${i}] = ${got[i]}`); break; }
    at.distributed.barrier();
  }
  return failures;
}

/** Each bad call's message on this rank (every rank must throw, and the same). */
function badInput(rank) {
  const errors = {};
  const attempt = (name, fn) => {
    try {
      fn();
      errors[name] = null;
    } catch (e) {
      errors[name] = e.message.replace(/ \(this rank, \d+, passed .*\)$/, '');
    }
  };
  attempt('initTwice', () => at.distributed.initProcessGroup({ backend: 'mpi' }));
  attempt('sizeMismatch', () => at.distributed.allReduce(at.zeros([rank + 2])));
  attempt('broadcastSizeMismatch', () => at.distributed.broadcast(at.zeros([rank === 0 ? 5 : 4]), 0));
  attempt('dtypeOnOneRank', () => at.distributed.allReduce(rank === 1 ? at.tensor([1, 2], [2], { dtype: 'int32' }) : at.zeros([2])));
  attempt('srcMismatch', () => at.distributed.broadcast(at.zeros([3]), rank));
  attempt('opMismatch', () => at.distributed.allReduce(at.zeros([3]), { op: rank === 0 ? 'sum' : 'avg' }));
  attempt('srcOutOfRange', () => at.distributed.broadcast(at.zeros([3]), 7));
  attempt('badOp', () => at.distributed.allReduce(at.zeros([3]), { op: 'max' }));
  if (at.backend().cuda) {
    attempt('deviceOnOneRank', () => at.distributed.allReduce(at.zeros([3], { device: rank === 1 ? 'cuda' : 'cpu' })));
  }
  // After all that, the group still works.
  const t = at.tensor([rank + 1]);
  at.distributed.allReduce(t);
  errors.afterwards = t.item();
  return errors;
}

if (mode === 'reference') {
  const model = makeModel(1);
  train(model, 0, 1);
  write(0, params(model));
} else {
  at.manualSeed(0);
  at.distributed.initProcessGroup({ backend: 'mpi' });
  const rank = at.distributed.getRank();
  const size = at.distributed.getWorldSize();
  if (mode === 'ddp') {
    // Each rank starts from its own weights: the broadcast from rank 0 must make them equal. A tiny
    // bucket cap puts each parameter in its own bucket, so buckets start while backward still runs.
    const model = new at.nn.parallel.DistributedDataParallel(makeModel(rank + 1), { bucketCapMb: 1e-4 });
    train(model, rank, size);
    write(rank, params(model));
  } else if (mode === 'collectives') {
    write(rank, collectives(rank, size));
  } else if (mode === 'bad-input') {
    write(rank, badInput(rank));
  } else {
    throw new Error(`ranks.cjs: unknown mode ${mode}`);
  }
  at.distributed.destroyProcessGroup();
}
