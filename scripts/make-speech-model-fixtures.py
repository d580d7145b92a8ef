#!/usr/bin/python3
"""PyTorch goldens for the speech models (test/fixtures/speech-models.json), checked by
test/fixtures-speech-models.test.ts: the WaveNet classifier (both readouts) and the log-mel CNN
(scripts/torch_speech_models.py, the same parameter names as lib/models/wavenet.ts and mel-cnn.ts);
each case stores the state, the input, the output, the loss and every parameter's gradient (eval mode).

Run: /usr/bin/python3 scripts/make-speech-model-fixtures.py   (Debian's python3-torch 1.13)
"""
import importlib.util
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from torch_speech_models import MelCnn, WaveNetClassifier  # noqa: E402

_spec = importlib.util.spec_from_file_location('make_sequence_model_fixtures', os.path.join(HERE, 'make-sequence-model-fixtures.py'))
sf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sf)  # defines helpers; main() is guarded
model_case, write_json = sf.model_case, sf.nf.write_json

torch.set_num_threads(2)


def main():
    cases = []
    for i, readout in enumerate(['pool', 'steps']):
        torch.manual_seed(9300 + i)
        config = {'classes': 5, 'residualChannels': 6, 'skipChannels': 8, 'dilations': [1, 2, 4, 8], 'stacks': 2, 'readout': readout}
        model = WaveNetClassifier(**config)
        x = torch.rand(3, 1, 70) * 2 - 1  # μ-law input values in [-1, 1]
        cases.append(model_case(f'wavenet-{readout}', config, model, x, torch.tensor([4, 0, 2]), F.cross_entropy))
    torch.manual_seed(9310)
    config = {'classes': 4, 'nMels': 10, 'channels': 12, 'kernel': 3, 'dilations': [1, 2, 4]}
    model = MelCnn(**config)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm1d):  # eval mode: non-trivial running statistics
            m.running_mean.copy_(torch.randn(m.num_features) * 0.3)
            m.running_var.copy_(torch.rand(m.num_features) + 0.5)
    x = torch.randn(2, 10, 23)
    cases.append(model_case('mel-cnn', config, model, x, torch.tensor([3, 1]), F.cross_entropy))
    write_json('speech-models.json', {'models': cases})


if __name__ == '__main__':
    main()
