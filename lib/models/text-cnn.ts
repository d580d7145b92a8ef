// A text classifier over token ids: an embedding, a 1×1 projection, residual blocks of dilated
// 'same'-padded Conv1d (dilations 1, 2, 4, 8: a receptive field of 31 tokens with kernel 3), max over
// time, and a linear classifier. Padding tokens embed to zero (paddingIdx 0).
import type { Tensor } from '../core/tensor';
import { Conv1d, Dropout, Embedding, Linear, Module, ModuleList } from '../nn';
import { adaptiveMaxPool1d } from '../ops/pool';

export class DilatedResidualBlock1d extends Module {
  conv: Conv1d;

  constructor(channels: number, kernel: number, dilation: number, padding: 'same' | 'causal') {
    super();
    this.conv = new Conv1d(channels, channels, kernel, { padding, dilation });
  }

  override forward(x: Tensor): Tensor {
    return this.conv.forward(x).relu().add(x);
  }
}

export interface TextCnnOptions {
  vocabSize: number;
  classes: number;
  embeddingDim?: number;
  channels?: number;
  kernel?: number;
  dilations?: number[];
  dropout?: number;
}

export class TextCnn extends Module {
  embed: Embedding;
  project: Conv1d;
  blocks: ModuleList;
  dropout: Dropout;
  classify: Linear;

  constructor(opts: TextCnnOptions) {
    super();
    const { vocabSize, classes, embeddingDim = 64, channels = 128, kernel = 3, dilations = [1, 2, 4, 8], dropout = 0.2 } = opts;
    this.embed = new Embedding(vocabSize, embeddingDim, { paddingIdx: 0 });
    this.project = new Conv1d(embeddingDim, channels, 1);
    this.blocks = new ModuleList(dilations.map((d) => new DilatedResidualBlock1d(channels, kernel, d, 'same')));
    this.dropout = new Dropout(dropout);
    this.classify = new Linear(channels, classes);
  }

  /** ids: N×L int32 token ids → N×classes logits. */
  override forward(ids: Tensor): Tensor {
    let h = this.project.forward(this.embed.forward(ids).transpose(1, 2)); // N×L×D → N×D×L → N×C×L
    for (const block of this.blocks) h = block.forward(h) as Tensor;
    const pooled = adaptiveMaxPool1d(h, 1).squeeze(2); // the strongest response of each channel anywhere in the text
    return this.classify.forward(this.dropout.forward(pooled));
  }
}
