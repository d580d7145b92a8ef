#!/usr/bin/python3
"""The PyTorch side of scripts/bench-speech-vs-torch.mjs: the same WaveNet classifier as `atrous train
--task speech` (scripts/torch_speech_models.py), on the same corpus files (manifest.json + 16-bit WAVs
from `atrous data speech`), the same input (one second, μ-law values 2c/255 - 1; training clips cropped
or padded at a random offset, test clips centred), Adam with a per-batch cosine schedule. Prints one
JSON line: clips/s of the training batch loop (data loading outside the clock) and test accuracy on the
held-out voices.

Run: /usr/bin/python3 scripts/train-torch-speech.py --data DIR [--epochs 1] [--max-batches N]
     [--batch-size 16] [--lr 2e-3] [--threads 2] [--seed 0] [--causal]
"""
import argparse
import json
import math
import os
import sys
import time
import wave

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_speech_models import WaveNetClassifier  # noqa: E402


def read_wav16(path):
    with wave.open(path, 'rb') as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError(f'{path}: expected 16-bit mono (a corpus from `atrous data speech`)')
        return np.frombuffer(w.readframes(w.getnframes()), dtype='<i2').astype(np.float32) / 32768


def mu_law_input(x):
    c = np.clip(x, -1, 1)
    f = np.sign(c) * np.log1p(255 * np.abs(c)) / np.log1p(255)
    return (2 * np.floor((f + 1) / 2 * 255 + 0.5) / 255 - 1).astype(np.float32)


def fixed_length(clip, length, u):
    slack = abs(len(clip) - length)
    offset = slack // 2 if u is None else int(u * (slack + 1))
    if len(clip) >= length:
        return clip[offset:offset + length]
    out = np.zeros(length, np.float32)
    out[offset:offset + len(clip)] = clip
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--data', required=True)
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--max-batches', type=int, default=None)
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--lr', type=float, default=2e-3)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--causal', action='store_true')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    manifest = json.load(open(os.path.join(a.data, 'manifest.json')))
    rate = manifest['sampleRate']
    split = {s: [c for c in manifest['clips'] if c['split'] == s] for s in ('train', 'test')}
    clips = {s: [read_wav16(os.path.join(a.data, c['file'])) for c in split[s]] for s in split}
    labels = {s: np.array([c['label'] for c in split[s]]) for s in split}
    model = WaveNetClassifier(len(manifest['words']), readout='steps' if a.causal else 'pool')
    batches = math.ceil(len(clips['train']) / a.batch_size)
    if a.max_batches:
        batches = min(batches, a.max_batches)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, a.epochs * batches))
    trained, seconds = 0, 0.0
    for _ in range(a.epochs):
        order = rng.permutation(len(clips['train']))
        model.train()
        for b in range(batches):
            idx = order[b * a.batch_size:(b + 1) * a.batch_size]
            x = torch.from_numpy(np.stack([mu_law_input(fixed_length(clips['train'][i], rate, rng.random())) for i in idx]))[:, None, :]
            y = torch.from_numpy(labels['train'][idx])
            start = time.perf_counter()
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            sched.step()
            seconds += time.perf_counter() - start
            trained += len(idx)
    model.eval()
    correct = 0
    with torch.no_grad():
        for s in range(0, len(clips['test']), 64):
            x = torch.from_numpy(np.stack([mu_law_input(fixed_length(c, rate, None)) for c in clips['test'][s:s + 64]]))[:, None, :]
            correct += int((model(x).argmax(1).numpy() == labels['test'][s:s + 64]).sum())
    print(json.dumps({'samplesPerSecond': trained / seconds, 'accuracy': correct / len(clips['test']), 'clips': trained}))


if __name__ == '__main__':
    main()
