#!/usr/bin/python3
"""PyTorch's side of `node scripts/profile-train-step.cjs --model M`: the same model's training step
(Adam), its median over --steps timed steps, then torch.profiler's per-op self CPU times over
--profile-steps steps. The models are the PyTorch builds that atrous's fixtures are checked against:
  char-lm  CharLm (scripts/make-sequence-model-fixtures.py), batch 32 x 128 ids, 109 symbols
  wavenet  WaveNetClassifier (scripts/torch_speech_models.py), batch 16 one-second mu-law clips, 14 words
  deeplab  DeepLabLite (scripts/make-segmentation-model-fixtures.py), DRN 16-32-64 at 1,2,5, ASPP 2,4,6,
           batch 32 random 64x64 scenes, 11 labels
Run with the allocator settings of the benchmarks (TORCH_GLIBC_TUNABLES in scripts/bench-common.cjs):
  GLIBC_TUNABLES=glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=1073741824 \\
  /usr/bin/python3 scripts/profile-torch-step.py --model deeplab [--steps 20] [--profile-steps 10] [--threads 2]
"""
import argparse
import importlib.util
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

HERE = os.path.dirname(os.path.abspath(__file__))


def load_module(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def char_lm():
    m = load_module('sequence_models', 'make-sequence-model-fixtures.py')
    ids = (torch.arange(32 * 128).reshape(32, 128) * 31 % 109).long()
    return m.CharLm(109, 32, 128, 2, [1, 2, 4, 8, 16, 32, 64]), ids, ((ids + 1) % 109).long()


def wavenet():
    sys.path.insert(0, HERE)
    from torch_speech_models import WaveNetClassifier
    words, samples, batch = 14, 8000, 16
    wave = torch.rand(batch, 1, samples) * 2 - 1
    mu = torch.floor((torch.sign(wave) * torch.log1p(255 * wave.abs()) / torch.log1p(torch.tensor(255.0)) + 1) / 2 * 255 + 0.5)
    x = 2 * mu / 255 - 1  # the mu-law codes as the model's input, as lib/models/wavenet.ts muLawInput
    return WaveNetClassifier(words), x, (torch.arange(batch) * 5 % words).long()


def deeplab():
    m = load_module('seg_models', 'make-segmentation-model-fixtures.py')
    classes = 11
    model = m.DeepLabLite(classes, (16, 32, 64), (1, 2, 5), 32, (2, 4, 6))
    return model, torch.rand(32, 1, 64, 64), torch.randint(0, classes, (32, 64, 64))


MODELS = {'char-lm': char_lm, 'wavenet': wavenet, 'deeplab': deeplab}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--model', required=True, choices=list(MODELS))
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--profile-steps', type=int, default=10)
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model, x, targets = MODELS[a.model]()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), targets)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(5):
        step()
    ts = []
    for _ in range(a.steps):
        t = time.perf_counter()
        step()
        ts.append(time.perf_counter() - t)
    ts.sort()
    print(f'torch {a.model} step median ms {1000 * ts[len(ts) // 2]:.2f} ({a.steps} steps, {a.threads} threads, '
          f'GLIBC_TUNABLES={os.environ.get("GLIBC_TUNABLES", "(unset)")})')
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(a.profile_steps):
            step()
    print(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=40))


if __name__ == '__main__':
    main()
