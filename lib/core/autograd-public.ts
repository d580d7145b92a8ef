// at.autograd: PyTorch's torch.autograd switches that are not ops (anomaly mode).
export { AnomalyError, detectAnomaly, isAnomalyEnabled, setDetectAnomaly } from './anomaly';
