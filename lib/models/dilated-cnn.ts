// The dilated CNN for 28×28 grey images (Fashion-MNIST): conv → dilated conv → pool → conv → dilated
// conv → pool, each conv followed by BatchNorm and ReLU (no conv bias: BatchNorm's shift replaces it),
// then a classifier whose input size is inferred from the backbone's output shape, not written by hand.
// `features` (the backbone) and `head` (the classifier) are separate so fine-tuning can freeze one and
// replace the other.
import { noGrad } from '../core/autograd';
import type { Device } from '../core/storage';
import { Tensor } from '../core/tensor';
import { zeros } from '../core/random';
import { BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential } from '../nn';

export interface DilatedCnnOptions {
  inChannels?: number;
  numClasses?: number;
  /** Input height and width, for sizing the classifier. */
  imageSize?: [number, number];
  /** Channels of the two stages. */
  widths?: [number, number];
  hidden?: number;
  dropout?: number;
}

function convBnRelu(cin: number, cout: number, dilation: number): Module[] {
  // padding = dilation keeps the size for a 3×3 kernel.
  return [new Conv2d(cin, cout, 3, { padding: dilation, dilation, bias: false }), new BatchNorm2d(cout), new ReLU()];
}

export class DilatedCnn extends Module {
  features: Sequential;
  head: Sequential;
  readonly inputShape: [number, number, number];
  readonly numClasses: number;
  readonly hidden: number;
  readonly dropoutP: number;

  constructor(opts: DilatedCnnOptions = {}) {
    super();
    const { inChannels = 1, numClasses = 10, imageSize = [28, 28], widths = [32, 64], hidden = 128, dropout = 0.25 } = opts;
    const [w1, w2] = widths;
    this.features = new Sequential(
      ...convBnRelu(inChannels, w1, 1),
      ...convBnRelu(w1, w1, 2),
      new MaxPool2d(2),
      ...convBnRelu(w1, w2, 1),
      ...convBnRelu(w2, w2, 2),
      new MaxPool2d(2),
    );
    this.inputShape = [inChannels, imageSize[0], imageSize[1]];
    this.numClasses = numClasses;
    this.hidden = hidden;
    this.dropoutP = dropout;
    this.head = this.newHead();
  }

  /** The number of features the backbone gives per image, from a forward pass on zeros. */
  featureSize(): number {
    const wasTraining = this.features.training;
    this.features.eval();
    try {
      const probe = zeros([1, ...this.inputShape], { device: this.backboneDevice() });
      return noGrad(() => this.features.forward(probe) as Tensor).numel;
    } finally {
      this.features.train(wasTraining);
    }
  }

  /** A freshly initialised classifier sized to the backbone (fine-tuning swaps it in), on the backbone's device. */
  newHead(numClasses = this.numClasses): Sequential {
    const head = new Sequential(new Flatten(1), new Linear(this.featureSize(), this.hidden), new ReLU(), new Dropout(this.dropoutP), new Linear(this.hidden, numClasses));
    return head.to(this.backboneDevice());
  }

  private backboneDevice(): Device {
    return this.features.parameters()[0]?.device ?? 'cpu';
  }

  override forward(x: Tensor): Tensor {
    return this.head.forward(this.features.forward(x)) as Tensor;
  }

  /**
   * forward as a Promise, without a graph, layer by layer (the inherited one would run the whole
   * forward in one synchronous turn): the convolutions on a worker thread, the event loop free between layers.
   */
  override async forwardAsync(x: Tensor): Promise<Tensor> {
    return (await this.head.forwardAsync(await this.features.forwardAsync(x))) as Tensor;
  }
}
