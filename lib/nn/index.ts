// at.nn: Module and the layers (API.md "Modules").
export { Module, type LoadStateDictOptions, type LoadStateDictResult } from './module';
export { Conv1d, Conv2d, type ConvLayerOptions } from './conv';
export { Linear } from './linear';
export { ReLU, Flatten, Dropout } from './activation';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './pooling';
export { BatchNorm2d, type BatchNormOptions } from './batchnorm';
export { batchNorm2d } from '../ops/batchnorm';
export { Sequential } from './container';
export type { ModelSummary, ReceptiveFieldMapOptions, SummaryRow } from './summary';
export type { PathCountMap, ReceptiveStep } from './receptive-field';
export { utils } from './utils';
