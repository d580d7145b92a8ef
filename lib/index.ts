// atrous: the public entry (API.md). The layers below it, each calling only those before it:
// native/ (the addon) → core/ (Tensor, autograd, memory) → ops/ → nn/, optim/ → io/, data/ → models/ → cli/.
export { backend, setCudaTf32, setNumThreads, type BackendInfo } from './native/backend';
export { Tensor, tensor, type BackwardOptions, type Device, type TensorOptions } from './core/tensor';
export type { TensorData, NestedNumbers, NumericTypedArray } from './core/tensor-data';
export { noGrad, isGradEnabled } from './core/autograd';
export { memory, emptyCache, type MemoryReport, type MemoryStats } from './core/memory-stats';
export { manualSeed, zeros, ones, rand, randn } from './core/random';
export { conv1d, conv2d, conv1dAsync, conv2dAsync, type ConvOptions, type ConvPadding, type IntOrPair } from './ops/conv';
export { explainConv, type ConvExplanation, type ConvPassPlan } from './ops/explain-conv';
export { linear } from './ops/linear';
export { relu } from './ops/activation';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d } from './ops/pool';
export { dropout } from './ops/dropout';
export { crossEntropy, mseLoss } from './ops/loss';
export * as nn from './nn';
export * as optim from './optim';
export { save, load, readSafetensors, type SafetensorsFile } from './io/safetensors';
export { saveCheckpoint, loadCheckpoint, type CheckpointContents, type CheckpointParts } from './io/checkpoint';
