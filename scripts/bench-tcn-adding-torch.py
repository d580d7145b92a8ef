#!/usr/bin/python3
"""The PyTorch side of scripts/bench-tcn-adding.mjs: the same adding model as atrous's --preset
tcn-adding-600 (locuslab/TCN's TemporalBlock: two weight-normed causal dilated convs, ReLU, a 1x1
downsample where the width changes; 8 levels x 24 channels, kernel 8; a Linear head on the last step),
batch 32, Adam 2e-3 at a constant rate, trained for a wall-clock budget. Loss against training seconds
goes to --out as JSON (the clock counts training steps only; each test evaluation on 1000 sequences is
timed apart). --init paper is what locuslab/TCN's code does in effect: N(0, 0.01) on the downsample and
head weights (its N(0, 0.01) on conv1/conv2 is overwritten by weight_norm's recompute); 'normal' applies
N(0, 0.01) to conv1/conv2 before weight norm; 'default' keeps PyTorch's layer defaults.

Run: /usr/bin/python3 scripts/bench-tcn-adding-torch.py --seed 1 --budget-s 600 --out torch-1.json
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class TemporalBlock(nn.Module):
    def __init__(self, cin, cout, k, d, init):
        super().__init__()
        self.conv1 = nn.Conv1d(cin, cout, k, dilation=d)
        self.conv2 = nn.Conv1d(cout, cout, k, dilation=d)
        if init == 'normal':
            self.conv1.weight.data.normal_(0, 0.01)
            self.conv2.weight.data.normal_(0, 0.01)
        self.conv1 = nn.utils.weight_norm(self.conv1)
        self.conv2 = nn.utils.weight_norm(self.conv2)
        self.downsample = nn.Conv1d(cin, cout, 1) if cin != cout else None
        if init != 'default' and self.downsample is not None:
            self.downsample.weight.data.normal_(0, 0.01)
        self.left = (k - 1) * d

    def forward(self, x):
        h = F.relu(self.conv1(F.pad(x, (self.left, 0))))
        h = F.relu(self.conv2(F.pad(h, (self.left, 0))))
        return F.relu(h + (x if self.downsample is None else self.downsample(x)))


class Tcn(nn.Module):
    def __init__(self, cin, hidden, levels, k, init):
        super().__init__()
        self.blocks = nn.Sequential(*[TemporalBlock(cin if i == 0 else hidden, hidden, k, 2 ** i, init) for i in range(levels)])
        self.head = nn.Linear(hidden, 1)
        if init != 'default':
            self.head.weight.data.normal_(0, 0.01)

    def forward(self, x):
        return self.head(self.blocks(x)[:, :, -1])


def adding_batch(n, T, gen):
    """As lib/data/synthetic-tasks.ts addingProblem: values U[0,1), one mark in each half, target their sum."""
    values = torch.rand(n, T, generator=gen)
    a = torch.randint(0, T // 2, (n,), generator=gen)
    b = torch.randint(T // 2, T, (n,), generator=gen)
    mask = torch.zeros(n, T)
    mask[torch.arange(n), a] = 1
    mask[torch.arange(n), b] = 1
    x = torch.stack([values, mask], 1)
    return x, (values * mask).sum(1, keepdim=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--budget-s', type=float, default=600)
    p.add_argument('--out', required=True)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--init', default='paper', choices=['paper', 'default', 'normal'])
    p.add_argument('--seq-len', type=int, default=600)
    p.add_argument('--eval-every-s', type=float, default=20)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    T = args.seq_len
    model = Tcn(2, 24, 8, 8, args.init)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    test_x, test_y = adding_batch(1000, T, torch.Generator().manual_seed(2 ** 40 % (2 ** 63)))
    data_gen = torch.Generator().manual_seed(args.seed)
    points, trained, step, loss_sum, loss_count = [], 0.0, 0, 0.0, 0

    def record():
        nonlocal loss_sum, loss_count
        t0 = time.perf_counter()
        model.eval()
        with torch.no_grad():
            mse = F.mse_loss(model(test_x), test_y).item()
        model.train()
        points.append({'t': trained, 'step': step, 'trainLoss': loss_sum / loss_count if loss_count else None, 'testMse': mse,
                       'evalSeconds': time.perf_counter() - t0})
        loss_sum, loss_count = 0.0, 0

    record()
    next_eval = args.eval_every_s
    while trained < args.budget_s:
        x, y = adding_batch(32, T, data_gen)  # data generation outside the clock, as atrous's batches are made before its step
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        value = loss.item()
        trained += time.perf_counter() - t0
        step += 1
        loss_sum += value
        loss_count += 1
        if trained >= next_eval or trained >= args.budget_s:
            record()
            next_eval += args.eval_every_s
    sps = step * 32 / trained
    with open(args.out, 'w') as f:
        json.dump({'side': 'pytorch', 'seed': args.seed, 'init': args.init, 'seqLen': T, 'threads': args.threads, 'budget': args.budget_s,
                   'steps': step, 'samplesPerSecond': sps, 'points': points}, f, indent=1)
    print(f'pytorch seed {args.seed}: {step} steps in {trained:.1f} s ({sps:.0f} samples/s), final test MSE {points[-1]["testMse"]:.3e}')


if __name__ == '__main__':
    main()
