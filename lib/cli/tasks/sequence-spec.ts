// The sequence length and TCN shape of the TCN tasks (adding, copy-memory, seq-fashion-mnist): what the
// command line asks (SequenceOptions, from --seq-len, --levels, --channels, --kernel-size, --weight-norm,
// --init, --permute) and what a checkpoint keeps (SequenceSpec, as Task.spec), so resume and eval rebuild
// the same model on the same data, and refuse a flag that says otherwise.
import { Tcn, TCN_INITS, type TcnInit } from '../../models/tcn';

export interface SequenceSpec {
  /** Steps per sequence (copy-memory: the blank stretch T; the input is T + 20 long). */
  seqLen: number;
  levels: number;
  channels: number;
  kernelSize: number;
  weightNorm: boolean;
  init: TcnInit;
  /** seq-fashion-mnist: pixels in a fixed pseudo-random order (seeded by permutationSeed). */
  permute?: boolean;
  permutationSeed?: number;
}

export type SequenceOptions = Partial<Omit<SequenceSpec, 'permutationSeed'>>;

export const SEQUENCE_FLAGS: Record<keyof SequenceOptions, string> = {
  seqLen: '--seq-len', levels: '--levels', channels: '--channels', kernelSize: '--kernel-size', weightNorm: '--weight-norm', init: '--init', permute: '--permute',
};

/** A spec's value as the flag is written ('--weight-norm' for true, 'no --weight-norm' for false). */
function shown(key: keyof SequenceOptions, value: unknown): string {
  if (typeof value === 'boolean') return value ? SEQUENCE_FLAGS[key] : `no ${SEQUENCE_FLAGS[key]}`;
  return `${SEQUENCE_FLAGS[key]} ${String(value)}`;
}

export interface SequenceRules {
  task: string;
  defaults: SequenceSpec;
  /** The smallest --seq-len and why (null: the length is fixed by the data, --seq-len is refused). */
  minSeqLen: { value: number; why: string } | null;
  /** Options this task has no use for (refused rather than ignored). */
  refuses?: (keyof SequenceOptions)[];
}

/** The spec to build: the checkpoint's (saved) where there is one, checked against opts; else defaults and opts. */
export function resolveSequenceSpec(rules: SequenceRules, opts: SequenceOptions = {}, saved?: Partial<SequenceSpec>): SequenceSpec {
  const given = (Object.keys(opts) as (keyof SequenceOptions)[]).filter((k) => opts[k] !== undefined);
  for (const k of given) {
    if (!(k in SEQUENCE_FLAGS)) throw new RangeError(`${rules.task}: unknown sequence option '${k}'`);
    if (rules.refuses?.includes(k) || (k === 'seqLen' && rules.minSeqLen === null)) {
      throw new RangeError(`${SEQUENCE_FLAGS[k]} does not apply to --task ${rules.task}${k === 'seqLen' ? ` (its length is fixed at ${rules.defaults.seqLen})` : ''}`);
    }
  }
  if (opts.init !== undefined && !TCN_INITS.includes(opts.init)) throw new RangeError(`--init expects one of ${TCN_INITS.join(', ')}, but got '${opts.init}'`);
  if (saved) {
    const spec = { ...rules.defaults, ...saved };
    for (const k of given) {
      if (opts[k] !== spec[k]) {
        throw new RangeError(`${shown(k, opts[k])} was given, but the checkpoint's ${rules.task} model was trained with ${shown(k, spec[k])}`);
      }
    }
    return spec;
  }
  const spec = { ...rules.defaults, ...Object.fromEntries(given.map((k) => [k, opts[k]])) };
  if (rules.minSeqLen && spec.seqLen < rules.minSeqLen.value) {
    throw new RangeError(`--seq-len expects an integer >= ${rules.minSeqLen.value} for --task ${rules.task} (${rules.minSeqLen.why}), but got ${spec.seqLen}`);
  }
  return spec;
}

/** The TCN a spec describes, for a task's inputs and outputs. */
export function tcnOf(spec: SequenceSpec, io: { inChannels: number; outputs: number; readout: 'last' | 'each' }): Tcn {
  return new Tcn({ ...io, hidden: spec.channels, levels: spec.levels, kernel: spec.kernelSize, weightNorm: spec.weightNorm, init: spec.init });
}

/** "8 levels × 24 channels, kernel 8, weight norm, receptive field 3571". */
export function describeTcn(spec: SequenceSpec, model: Tcn): string {
  return `TCN ${spec.levels} levels × ${spec.channels} channels, kernel ${spec.kernelSize}${spec.weightNorm ? ', weight norm' : ''}${spec.init !== 'default' ? `, init ${spec.init}` : ''}, receptive field ${model.receptiveField}`;
}
