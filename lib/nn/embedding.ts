// Embedding(numEmbeddings, dim, { paddingIdx? }): a lookup table of dim-vectors, N(0, 1) initialised
// with the padding row zero, as PyTorch.
import { fillNormalSeeded } from '../core/random';
import { expectInt } from '../core/shape-checks';
import { Tensor } from '../core/tensor';
import { embedding, resolvePaddingIdx, type EmbeddingOptions } from '../ops/embedding';
import { Module } from './module';

export class Embedding extends Module {
  weight: Tensor;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The row (in [0, numEmbeddings)) that gets no gradient, or null. */
  readonly paddingIdx: number | null;

  constructor(numEmbeddings: number, embeddingDim: number, opts?: EmbeddingOptions) {
    super();
    const op = 'Embedding';
    this.numEmbeddings = expectInt(op, 'numEmbeddings', numEmbeddings, 1);
    this.embeddingDim = expectInt(op, 'embeddingDim', embeddingDim, 1);
    const padding = resolvePaddingIdx(op, opts?.paddingIdx, this.numEmbeddings);
    this.paddingIdx = padding < 0 ? null : padding;
    const values = new Float32Array(this.numEmbeddings * this.embeddingDim);
    fillNormalSeeded(values, 0, 1);
    if (this.paddingIdx !== null) values.fill(0, this.paddingIdx * this.embeddingDim, (this.paddingIdx + 1) * this.embeddingDim);
    this.weight = new Tensor(values, [this.numEmbeddings, this.embeddingDim], null, true);
  }

  /** indices: an int32 tensor of any shape → indices.shape + [embeddingDim]. */
  override forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, { paddingIdx: this.paddingIdx });
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}`;
  }
}
