// at.nn.parallel: data-parallel training (docs/API.md "Scale-out").
export { DistributedDataParallel, type DistributedDataParallelOptions } from './distributed';
