#!/usr/bin/python3
"""The PyTorch side of scripts/bench-tcn.mjs: the same TCN as atrous's presets (locuslab/TCN's
TemporalBlock: two weight-normed causal dilated convs, ReLU, a 1x1 downsample where the width changes; a
Linear head on the last step), Adam at a constant rate, trained for a wall-clock budget.
--task adding: --preset tcn-adding-600 (8 levels x 24 channels, kernel 8, batch 32, lr 2e-3), test MSE
on 1000 sequences. --task seq-fashion-mnist: --preset tcn-seq-mnist (8 levels x 25 channels, kernel 7,
batch 64, lr 2e-3) on Fashion-MNIST read pixel by pixel (784 steps, raster order), cross-entropy, test
accuracy on the 10,000 test images. The metric against training seconds goes to --out as JSON (the
clock counts training steps only; each test evaluation is timed apart).
--init paper is what locuslab/TCN's code does in effect: N(0, 0.01) on the downsample and head weights
(its N(0, 0.01) on conv1/conv2 is overwritten by weight_norm's recompute); 'normal' applies N(0, 0.01)
to conv1/conv2 before weight norm; 'default' keeps PyTorch's layer defaults.

Run: /usr/bin/python3 scripts/bench-tcn-torch.py [--task adding|seq-fashion-mnist] --seed 1 --budget-s 600 --out torch-1.json
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from fashion_mnist_torch import load

# As lib/cli/tasks/presets.ts: levels, channels, kernel, batch, lr.
PRESETS = {
    'adding': dict(levels=8, channels=24, kernel=8, batch=32, lr=2e-3),
    'seq-fashion-mnist': dict(levels=8, channels=25, kernel=7, batch=64, lr=2e-3),
}


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
    def __init__(self, cin, hidden, levels, k, init, outputs=1):
        super().__init__()
        self.blocks = nn.Sequential(*[TemporalBlock(cin if i == 0 else hidden, hidden, k, 2 ** i, init) for i in range(levels)])
        self.head = nn.Linear(hidden, outputs)
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


class AddingData:
    """Adding sequences generated per batch from the seed; test: 1000 fixed sequences, lower MSE is better."""
    metric = 'testMse'

    def __init__(self, seed, T):
        self.T = T
        self.test_x, self.test_y = adding_batch(1000, T, torch.Generator().manual_seed(2 ** 40 % (2 ** 63)))
        self.gen = torch.Generator().manual_seed(seed)

    def batches(self, n):
        while True:
            yield adding_batch(n, self.T, self.gen)

    def loss(self, out, y):
        return F.mse_loss(out, y)

    def evaluate(self, model):
        return F.mse_loss(model(self.test_x), self.test_y).item()


class SeqFashionData:
    """Fashion-MNIST images as N x 1 x 784 sequences, reshuffled every epoch; test accuracy on t10k."""
    metric = 'testAccuracy'

    def __init__(self, seed, data):
        x, self.y = load(data, 'train')
        self.x = x.reshape(len(x), 1, 784)
        tx, self.test_y = load(data, 't10k')
        self.test_x = tx.reshape(len(tx), 1, 784)
        self.gen = torch.Generator().manual_seed(seed)

    def batches(self, n):
        while True:
            perm = torch.randperm(len(self.x), generator=self.gen)
            for i in range(0, len(perm) - n + 1, n):
                idx = perm[i:i + n]
                yield self.x[idx], self.y[idx]

    def loss(self, out, y):
        return F.cross_entropy(out, y)

    def evaluate(self, model):
        correct = 0
        for i in range(0, len(self.test_x), 250):
            correct += (model(self.test_x[i:i + 250]).argmax(1) == self.test_y[i:i + 250]).sum().item()
        return correct / len(self.test_x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--task', default='adding', choices=list(PRESETS))
    p.add_argument('--data', default='/usr/share/datasets/fashion-mnist')
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
    cfg = PRESETS[args.task]
    if args.task == 'adding':
        data, T, model = AddingData(args.seed, args.seq_len), args.seq_len, Tcn(2, cfg['channels'], cfg['levels'], cfg['kernel'], args.init)
    else:
        data, T, model = SeqFashionData(args.seed, args.data), 784, Tcn(1, cfg['channels'], cfg['levels'], cfg['kernel'], args.init, outputs=10)
    batch = cfg['batch']
    opt = torch.optim.Adam(model.parameters(), lr=cfg['lr'])
    points, trained, step, loss_sum, loss_count = [], 0.0, 0, 0.0, 0

    def record():
        nonlocal loss_sum, loss_count
        t0 = time.perf_counter()
        model.eval()
        with torch.no_grad():
            value = data.evaluate(model)
        model.train()
        points.append({'t': trained, 'step': step, 'trainLoss': loss_sum / loss_count if loss_count else None, data.metric: value,
                       'evalSeconds': time.perf_counter() - t0})
        loss_sum, loss_count = 0.0, 0

    record()
    next_eval = args.eval_every_s
    for x, y in data.batches(batch):  # batches made outside the clock, as atrous's are made before its step
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = data.loss(model(x), y)
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
        if trained >= args.budget_s:
            break
    sps = step * batch / trained
    with open(args.out, 'w') as f:
        json.dump({'side': 'pytorch', 'task': args.task, 'seed': args.seed, 'init': args.init, 'seqLen': T, 'threads': args.threads,
                   'budget': args.budget_s, 'steps': step, 'samplesPerSecond': sps, 'points': points}, f, indent=1)
    print(f'pytorch {args.task} seed {args.seed}: {step} steps in {trained:.1f} s ({sps:.0f} samples/s), final {data.metric} {points[-1][data.metric]:.4g}')


if __name__ == '__main__':
    main()
