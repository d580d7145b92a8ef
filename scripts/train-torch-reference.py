#!/usr/bin/python3
"""PyTorch reference for `atrous train`: the same dilated CNN (conv -> dilated conv -> pool -> conv ->
dilated conv -> pool, BatchNorm and ReLU after each conv, Linear(3136, 128) -> ReLU -> Dropout(0.25) ->
Linear(128, 10)), the same data and normalisation, Adam with the same per-batch cosine learning rate,
batch 64, no augmentation. Prints test accuracy, seconds and images/s per epoch.

Usage: /usr/bin/python3 scripts/train-torch-reference.py [--data /usr/share/datasets/fashion-mnist]
       [--epochs 2] [--threads 2] [--lr 0.002] [--batch-size 64] [--max-batches N]

--max-batches N trains at most N batches per epoch, as `atrous train --max-batches N` does (the cosine
schedule then spans epochs * N steps, as there); images/s counts the images trained on, and like
`atrous train` it times the training batches only, not the test evaluation.
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from fashion_mnist_torch import load


def conv_bn_relu(cin, cout, dilation):
    return [nn.Conv2d(cin, cout, 3, padding=dilation, dilation=dilation, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class DilatedCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(*conv_bn_relu(1, 32, 1), *conv_bn_relu(32, 32, 2), nn.MaxPool2d(2),
                                      *conv_bn_relu(32, 64, 1), *conv_bn_relu(64, 64, 2), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(1), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, 10))

    def forward(self, x):
        return self.head(self.features(x))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--max-batches", type=int, default=None, help="at most this many training batches per epoch")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    xtr, ytr = load(a.data, "train")
    xte, yte = load(a.data, "t10k")
    model = DilatedCnn()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    steps = (len(xtr) + a.batch_size - 1) // a.batch_size
    if a.max_batches is not None:
        steps = min(steps, a.max_batches)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.epochs * steps)
    print(f"torch {torch.__version__}, {a.threads} threads, {len(xtr)} train / {len(xte)} test images, batch {a.batch_size}, lr {a.lr}")
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        t0 = time.perf_counter()
        total = 0.0
        images = 0
        for i in range(steps):
            idx = perm[i * a.batch_size:(i + 1) * a.batch_size]
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            images += len(idx)
        seconds = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            correct = sum((model(xte[i:i + 500]).argmax(1) == yte[i:i + 500]).sum().item() for i in range(0, len(xte), 500))
        print(f"epoch {epoch + 1}/{a.epochs}  train loss {total / images:.4f}  test accuracy {100 * correct / len(xte):.2f}%  "
              f"{seconds:.1f} s  {images / seconds:.0f} images/s", flush=True)


if __name__ == "__main__":
    main()
