"""PyTorch's side of `node scripts/profile-train-step.cjs --model wavenet`: the same WaveNet classifier
(scripts/torch_speech_models.py), batch 16 random one-second μ-law clips at 8 kHz, 14 words, Adam lr 1e-3;
prints the step median and torch.profiler's per-op self CPU times over --profile-steps steps.
Run: GLIBC_TUNABLES=<TORCH_GLIBC_TUNABLES of scripts/bench-common.cjs> /usr/bin/python3 scripts/profile-torch-speech-step.py
     [--batch 16] [--steps 20] [--profile-steps 10] [--threads 2]
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_speech_models import WaveNetClassifier  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('--batch', type=int, default=16)
p.add_argument('--steps', type=int, default=20)
p.add_argument('--threads', type=int, default=2)
p.add_argument('--profile-steps', type=int, default=10)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
words, samples = 14, 8000
model = WaveNetClassifier(words)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
wave = torch.rand(a.batch, 1, samples) * 2 - 1
mu = torch.floor((torch.sign(wave) * torch.log1p(255 * wave.abs()) / torch.log1p(torch.tensor(255.0)) + 1) / 2 * 255 + 0.5)
x = 2 * mu / 255 - 1  # the μ-law codes as the model's input, as lib/models/wavenet.ts muLawInput
targets = (torch.arange(a.batch) * 5 % words).long()


def step():
    opt.zero_grad()
    loss = F.cross_entropy(model(x), targets)
    loss.backward()
    opt.step()
    return loss.item()


for _ in range(3):
    step()
ts = []
for _ in range(a.steps):
    t = time.perf_counter()
    step()
    ts.append(time.perf_counter() - t)
ts.sort()
print(f'torch step median ms {1000 * ts[len(ts) // 2]:.2f} (batch {a.batch}, {a.threads} threads)')
with profile(activities=[ProfilerActivity.CPU]) as prof:
    for _ in range(a.profile_steps):
        step()
print(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=30))
