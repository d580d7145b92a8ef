// at.nn.utils: PyTorch's torch.nn.utils names: clipGradNorm (lives in at.optim) and weightNorm.
import { clipGradNorm } from '../optim/clip';
import { weightNorm } from './weight-norm';

export const utils = { clipGradNorm, weightNorm };
