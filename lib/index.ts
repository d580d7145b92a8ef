// atrous: the public entry (docs/API.md). The layers below it, each calling only those before it:
// native/ (the addon) → core/ (Tensor, autograd, memory) → ops/ → nn/, optim/ → io/, data/ → models/ → cli/.
export { backend, setCudaTf32, setNumThreads, type BackendInfo } from './native/backend';
export { Tensor, tensor, type BackwardOptions, type Device, type DType, type TensorOptions } from './core/tensor';
export type { TensorData, NestedNumbers, NumericTypedArray } from './core/tensor-data';
export { noGrad, isGradEnabled } from './core/autograd';
export * as autograd from './core/autograd-public';
export { memory, emptyCache, type MemoryReport, type MemoryStats } from './core/memory-stats';
export { manualSeed, zeros, ones, rand, randn } from './core/random';
export { conv1d, conv2d, conv1dAsync, conv2dAsync, type ConvOptions, type ConvPadding, type IntOrPair } from './ops/conv';
export { explainConv, type ConvExplanation, type ConvPassPlan } from './ops/explain-conv';
export { linear } from './ops/linear';
export { relu, tanh, sigmoid } from './ops/activation';
export { softmax, logSoftmax } from './ops/softmax';
export { cat } from './ops/cat';
export { embedding, type EmbeddingOptions } from './ops/embedding';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d } from './ops/pool';
export { maxPool1d, avgPool1d, adaptiveAvgPool1d, adaptiveMaxPool1d, adaptiveMaxPool2d } from './ops/pool';
export { interpolate, type InterpolateMode, type InterpolateOptions } from './ops/interpolate';
export { dropout } from './ops/dropout';
export { crossEntropy, mseLoss, type CrossEntropyOptions, type Reduction } from './ops/loss';
export * as nn from './nn';
export * as optim from './optim';
export * as distributed from './distributed';
export { save, load, readSafetensors, type SafetensorsFile } from './io/safetensors';
export { saveCheckpoint, loadCheckpoint, type CheckpointContents, type CheckpointParts } from './io/checkpoint';
