// Allreduce bandwidth vs message size, and a DDP step with overlap vs the same step plus a blocking
// allreduce after backward. Run on the built dist/ under mpirun, on an otherwise idle machine:
//   mpirun --oversubscribe --allow-run-as-root -np 2 node scripts/bench-allreduce.cjs [--max-floats N] [--reps R] [--steps S] [--width W] [--batch B]
// Tiny check: ... --max-floats 4096 --reps 3 --steps 2 --width 8 --batch 2
'use strict';
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const at = require(path.resolve(__dirname, '..', 'dist', 'index.js'));

const { values } = parseArgs({ options: {
  'max-floats': { type: 'string', default: String(1 << 24) }, reps: { type: 'string', default: '20' },
  steps: { type: 'string', default: '20' }, width: { type: 'string', default: '64' }, batch: { type: 'string', default: '32' },
} });
const maxFloats = Number(values['max-floats']);
const reps = Number(values.reps);
const steps = Number(values.steps);
const width = Number(values.width);
const batch = Number(values.batch);

at.distributed.initProcessGroup({ backend: 'mpi' });
const rank = at.distributed.getRank();
const size = at.distributed.getWorldSize();
const say = (line) => rank === 0 && console.log(line);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (fn) => {
  at.distributed.barrier();
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
};

say(`# ${process.argv.slice(1).join(' ')} on ${size} ranks; ${os.cpus()[0].model}, ${os.cpus().length} cpus; ${at.backend().cpu}`);
say('| floats | bytes | median ms | algbw GB/s | busbw GB/s |');
say('|---:|---:|---:|---:|---:|');
for (let n = 1; n <= maxFloats; n *= 4) {
  const t = at.zeros([n]);
  at.distributed.allReduce(t); // warm-up (and Open MPI's connection set-up)
  const times = Array.from({ length: reps }, () => seconds(() => at.distributed.allReduce(t)));
  const s = median(times);
  const algbw = (n * 4) / s / 1e9;
  say(`| ${n} | ${n * 4} | ${(s * 1e3).toFixed(3)} | ${algbw.toFixed(3)} | ${((algbw * 2 * (size - 1)) / size).toFixed(3)} |`);
}

// A dilated CNN with most parameters late, as the gradients the overlap helps with.
function makeModel() {
  at.manualSeed(0);
  const nn = at.nn;
  return new nn.Sequential(
    new nn.Conv2d(1, width, 3, { padding: 1 }), new nn.ReLU(),
    new nn.Conv2d(width, width, 3, { padding: 2, dilation: 2 }), new nn.ReLU(),
    new nn.Conv2d(width, width, 3, { padding: 4, dilation: 4 }), new nn.ReLU(),
    new nn.Conv2d(width, width, 3, { padding: 8, dilation: 8 }), new nn.ReLU(),
    new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(width, 10),
  );
}
at.manualSeed(1 + rank);
const x = at.randn([batch, 1, 28, 28]);
const y = at.randn([batch, 10]);
function timeSteps(model, afterBackward) {
  const opt = new at.optim.SGD(model.parameters(), { lr: 0.01 });
  const step = () => {
    opt.zeroGrad();
    at.mseLoss(model.forward(x), y).backward();
    afterBackward();
    opt.step();
  };
  step();
  return median(Array.from({ length: steps }, () => seconds(step)));
}
const plain = makeModel();
const numel = plain.parameters().reduce((n, p) => n + p.numel, 0);
const fused = at.zeros([numel]);
const blocking = timeSteps(plain, () => {
  // The same reduction, started only after backward: copy into one buffer, allreduce, average back.
  let at0 = 0;
  for (const p of plain.parameters()) { fused.storage.set(p.grad.storage, at0); at0 += p.numel; }
  at.distributed.allReduce(fused, { op: 'avg' });
  at0 = 0;
  for (const p of plain.parameters()) { p.grad.storage.set(fused.storage.subarray(at0, at0 + p.numel)); at0 += p.numel; }
});
const ddp = new at.nn.parallel.DistributedDataParallel(makeModel(), { bucketCapMb: Math.max(1e-3, (numel * 4) / 4 / 2 ** 20) });
const overlapped = timeSteps(ddp, () => {});
say(`\nDDP step, ${numel.toLocaleString('en-US')} parameters (${((numel * 4) / 2 ** 20).toFixed(2)} MiB), batch ${batch} per rank, median of ${steps}:`);
say(`  backward then one blocking allreduce: ${(blocking * 1e3).toFixed(2)} ms`);
say(`  DDP, 4 buckets reduced during backward: ${(overlapped * 1e3).toFixed(2)} ms`);
at.distributed.destroyProcessGroup();
