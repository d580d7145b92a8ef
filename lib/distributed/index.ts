// at.distributed: data-parallel training over MPI (docs/API.md "Scale-out").
export {
  initProcessGroup,
  destroyProcessGroup,
  isInitialized,
  getRank,
  getWorldSize,
  allReduce,
  broadcast,
  barrier,
  type InitProcessGroupOptions,
  type ReduceOp,
} from './process-group';
export type { BackendName } from './backend';
