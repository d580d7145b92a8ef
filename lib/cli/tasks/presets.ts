// --preset NAME: the TCN paper's configurations (Bai, Kolter & Koltun 2018, appendix table of
// hyperparameters, and locuslab/TCN's scripts for what the table leaves out). A preset fills in the flags
// it names; a flag given beside it must agree, else the run is refused naming both values.
// Differences from the paper's scripts: atrous trains with Adam and a cosine schedule (copy_memory used
// RMSprop, and its clip_grad_norm ran before backward, so did nothing); copy-memory's input is one-hot
// over 10 symbols (theirs: one channel of digit values); no dropout (the table: 0.0 for adding and
// sequential MNIST, 0.05 for copy memory).
import type { TaskName } from './index';
import type { SequenceOptions } from './sequence-spec';

export interface Preset {
  task: TaskName;
  sequence: SequenceOptions;
  batchSize: number;
  lr: number;
  clipGradNorm?: number;
}

export const PRESETS: Record<string, Preset> = {
  // Adding T = 600: 8 levels × 24 channels, kernel 8 (~70K parameters); batch 32 (add_test.py), Adam 2e-3 (the PyTorch baseline; add_test.py defaults to 4e-3).
  'tcn-adding-600': { task: 'adding', sequence: { seqLen: 600, levels: 8, channels: 24, kernelSize: 8, weightNorm: true, init: 'paper' }, batchSize: 32, lr: 2e-3 },
  // Copy memory T = 1000: 8 levels × 10 channels, kernel 8 (~16K parameters); batch 32, lr 5e-4, clip 1.0 (copymem_test.py).
  'tcn-copy-1000': { task: 'copy-memory', sequence: { seqLen: 1000, levels: 8, channels: 10, kernelSize: 8, weightNorm: true, init: 'paper' }, batchSize: 32, lr: 5e-4, clipGradNorm: 1 },
  // Sequential MNIST: 8 levels × 25 channels, kernel 7 (~67K parameters); batch 64, Adam 2e-3 (pmnist_test.py), here on Fashion-MNIST.
  'tcn-seq-mnist': { task: 'seq-fashion-mnist', sequence: { levels: 8, channels: 25, kernelSize: 7, weightNorm: true, init: 'paper' }, batchSize: 64, lr: 2e-3 },
};

/** What the command line gave (undefined: not given). */
export interface PresetTarget {
  task?: TaskName;
  sequence: SequenceOptions;
  batchSize?: number;
  lr?: number;
  clipGradNorm?: number;
}

const FLAG: Record<string, string> = {
  task: '--task', batchSize: '--batch-size', lr: '--lr', clipGradNorm: '--clip-grad-norm',
  seqLen: '--seq-len', levels: '--levels', channels: '--channels', kernelSize: '--kernel-size', weightNorm: '--weight-norm', init: '--init', permute: '--permute',
};

/** given with the preset's values filled in; throws where a given flag says otherwise. */
export function applyPreset(name: string, given: PresetTarget): PresetTarget {
  const preset = PRESETS[name];
  if (!preset) throw new RangeError(`--preset expects one of ${Object.keys(PRESETS).join(', ')}, but got '${name}'`);
  const pick = <T>(key: string, mine: T | undefined, theirs: T | undefined): T | undefined => {
    if (mine !== undefined && theirs !== undefined && mine !== theirs) {
      throw new RangeError(`--preset ${name} sets ${FLAG[key]} ${String(theirs)}, but ${FLAG[key]} ${String(mine)} was given (drop one of them)`);
    }
    return mine ?? theirs;
  };
  const sequence: Record<string, unknown> = { ...given.sequence };
  for (const [key, value] of Object.entries(preset.sequence)) sequence[key] = pick(key, sequence[key], value as unknown);
  return {
    task: pick('task', given.task, preset.task),
    sequence: sequence,
    batchSize: pick('batchSize', given.batchSize, preset.batchSize),
    lr: pick('lr', given.lr, preset.lr),
    clipGradNorm: pick('clipGradNorm', given.clipGradNorm, preset.clipGradNorm),
  };
}
