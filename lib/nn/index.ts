// at.nn: Module and the layers (docs/API.md "Modules").
export { Module, type LoadStateDictOptions, type LoadStateDictResult, type StateDictPlan } from './module';
export { Conv1d, Conv2d, type ConvLayerOptions } from './conv';
export { Linear } from './linear';
export { Embedding } from './embedding';
export { ReLU, Tanh, Sigmoid, Identity, Flatten, Dropout } from './activation';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './pooling';
export { MaxPool1d, AvgPool1d, AdaptiveAvgPool1d, AdaptiveMaxPool1d, AdaptiveMaxPool2d } from './pooling';
export { Upsample } from './upsample';
export { BatchNorm2d, type BatchNormOptions } from './batchnorm';
export { BatchNorm1d } from './batchnorm';
export { batchNorm2d } from '../ops/batchnorm';
export { batchNorm1d } from '../ops/batchnorm';
export { Sequential, ModuleList } from './container';
export { stream, ModelStream, type StreamOptions, type StreamRole } from './stream';
export type { ModelSummary, ReceptiveFieldMapOptions, SummaryRow } from './summary';
export type { PathCountMap, ReceptiveStep } from './receptive-field';
export { utils } from './utils';
export * as parallel from './parallel';
