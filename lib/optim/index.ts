// at.optim: optimizers, learning-rate schedulers and gradient clipping (docs/API.md "Optimizers").
export { Optimizer, type AnyOptimizer, type OptimizerStateDict, type ParamGroup, type ParamGroupSpec } from './optimizer';
export { SGD, type SgdOptions } from './sgd';
export { Adam, AdamW, type AdamOptions } from './adam';
export { LRScheduler, StepLR, CosineAnnealingLR, LinearLR, SequentialLR, type SchedulerStateDict } from './schedulers';
export { clipGradNorm } from './clip';
