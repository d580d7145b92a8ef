#!/usr/bin/python3
"""PyTorch side of scripts/bench-segmentation-vs-torch.mjs: trains the DeepLab-lite model (DRN backbone,
ASPP, bilinear upsampling; the PyTorch build in scripts/make-segmentation-model-fixtures.py, the one the
parity fixture checks) on scenes exported by atrous's generator, for a fixed wall-clock budget, then
scores mIoU and pixel accuracy on the exported test scenes. Prints one line: RESULT {json}.

Usage: /usr/bin/python3 scripts/bench-segmentation-torch.py --train FILE --test FILE [--dilations 1,2,5]
       [--budget-s 600] [--batch-size 32] [--lr 0.002] [--threads 2] [--seed 0]
"""
import argparse
import importlib.util
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSES = 11


def read_scenes(path):
    """The exporter's format: b'ATSC', uint32 LE count, height, width; count·h·w image bytes; count·h·w mask bytes."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:4] != b'ATSC':
        raise ValueError(f'{path}: not a scene file (no ATSC magic)')
    n, h, w = struct.unpack_from('<III', data, 4)
    pixels = n * h * w
    images = np.frombuffer(data, np.uint8, pixels, 16).reshape(n, 1, h, w)
    masks = np.frombuffer(data, np.uint8, pixels, 16 + pixels).reshape(n, h, w)
    return images, masks


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--train', required=True)
    p.add_argument('--test', required=True)
    p.add_argument('--dilations', default='1,2,5')
    p.add_argument('--budget-s', type=float, default=600)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--lr', type=float, default=0.002)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    spec = importlib.util.spec_from_file_location('seg_models', os.path.join(HERE, 'make-segmentation-model-fixtures.py'))
    models = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(models)
    model = models.DeepLabLite(CLASSES, (16, 32, 64), tuple(int(d) for d in a.dilations.split(',')), 32, (2, 4, 6))
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    train_x, train_y = read_scenes(a.train)
    test_x, test_y = read_scenes(a.test)
    rng = np.random.default_rng(a.seed)
    model.train()
    images = steps = 0
    order, at = rng.permutation(len(train_x)), 0
    started = time.perf_counter()
    while time.perf_counter() - started < a.budget_s:
        if at + a.batch_size > len(order):
            order, at = rng.permutation(len(train_x)), 0
        idx = np.sort(order[at:at + a.batch_size])
        at += a.batch_size
        x = torch.from_numpy(train_x[idx].astype(np.float32) / 255)
        y = torch.from_numpy(train_y[idx].astype(np.int64))
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        images += len(idx)
        steps += 1
    seconds = time.perf_counter() - started
    model.eval()
    counts = np.zeros(CLASSES * CLASSES, np.int64)
    with torch.no_grad():
        for s in range(0, len(test_x), 50):
            x = torch.from_numpy(test_x[s:s + 50].astype(np.float32) / 255)
            pred = model(x).argmax(1).numpy().reshape(-1)
            truth = test_y[s:s + 50].reshape(-1).astype(np.int64)
            counts += np.bincount(truth * CLASSES + pred, minlength=CLASSES * CLASSES)
    m = counts.reshape(CLASSES, CLASSES)
    tp = np.diag(m).astype(np.float64)
    union = m.sum(0) + m.sum(1) - tp
    iou = tp[union > 0] / union[union > 0]
    print('RESULT ' + json.dumps({'imagesPerSecond': images / seconds, 'seconds': seconds, 'steps': steps, 'images': images,
                                  'lastLoss': float(loss), 'mIoU': float(iou.mean()), 'pixelAccuracy': float(tp.sum() / m.sum())}))


if __name__ == '__main__':
    main()
