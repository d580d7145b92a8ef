// A causal dilated language model over characters (ByteNet's decoder, simplified): an embedding,
// a 1×1 projection, residual blocks of causal Conv1d (kernel 2, dilations 1, 2, 4, ... repeated) and a
// 1×1 conv to next-token logits at every step. Causal throughout, so at.nn.stream runs it one token
// at a time with cached history (the Fast-WaveNet algorithm) when generating.
import type { Tensor } from '../core/tensor';
import { Conv1d, Embedding, Module, ModuleList } from '../nn';
import { DilatedResidualBlock1d } from './text-cnn';

export interface CharLmOptions {
  vocabSize: number;
  embeddingDim?: number;
  channels?: number;
  kernel?: number;
  /** Dilations of one stack (default 1, 2, 4, ..., 64) and how many times it repeats. */
  dilations?: number[];
  stacks?: number;
}

export class CharLm extends Module {
  embed: Embedding;
  project: Conv1d;
  blocks: ModuleList;
  head: Conv1d;
  readonly receptiveField: number;

  constructor(opts: CharLmOptions) {
    super();
    const { vocabSize, embeddingDim = 32, channels = 128, kernel = 2, dilations = [1, 2, 4, 8, 16, 32, 64], stacks = 1 } = opts;
    this.embed = new Embedding(vocabSize, embeddingDim);
    this.project = new Conv1d(embeddingDim, channels, 1);
    const all = Array.from({ length: stacks }, () => dilations).flat();
    this.blocks = new ModuleList(all.map((d) => new DilatedResidualBlock1d(channels, kernel, d, 'causal')));
    this.head = new Conv1d(channels, vocabSize, 1);
    this.receptiveField = 1 + all.reduce((r, d) => r + (kernel - 1) * d, 0);
  }

  /** ids: N×T int32 → N×vocab×T logits; the logits at t see ids ≤ t only. */
  override forward(ids: Tensor): Tensor {
    let h = this.project.forward(this.embed.forward(ids).transpose(1, 2));
    for (const block of this.blocks) h = block.forward(h) as Tensor;
    return this.head.forward(h);
  }
}
