// at.nn.utils: PyTorch's torch.nn.utils names for what lives in at.optim.
import { clipGradNorm } from '../optim/clip';

export const utils = { clipGradNorm };
