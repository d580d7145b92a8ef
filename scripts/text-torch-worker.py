#!/usr/bin/python3
"""The PyTorch side of scripts/bench-text-vs-torch.mjs: the same models (built as in
scripts/make-sequence-model-fixtures.py, whose classes this imports) on the same encoded data, trained
for a wall-clock budget with Adam on 2 threads; prints one JSON line with what it measured.

    /usr/bin/python3 scripts/text-torch-worker.py JOB.json
JOB: {"kind": "classify" | "bow" | "char-lm", "budget": seconds, "batchSize", "lr", "seed", data...}
"""
import importlib.util
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location('models', os.path.join(HERE, 'make-sequence-model-fixtures.py'))
models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(models)
torch.set_num_threads(2)


def batches_of(ids, labels, batch, gen):
    order = torch.randperm(len(ids), generator=gen).tolist()
    for b in range(0, len(order) - batch + 1, batch):
        rows = [ids[i] for i in order[b:b + batch]]
        width = max(1, max(len(r) for r in rows))
        x = torch.zeros(len(rows), width, dtype=torch.long)
        for i, r in enumerate(rows):
            x[i, :len(r)] = torch.tensor(r, dtype=torch.long)
        yield x, torch.tensor([labels[i] for i in order[b:b + batch]])


def bag_of_words(ids, vocab):
    x = torch.zeros(len(ids), vocab)
    for i, r in enumerate(ids):
        for t in r:
            if t > 1:
                x[i, t] += 1.0
    return torch.log1p(x)


def classify(job):
    gen = torch.Generator().manual_seed(job['seed'])
    torch.manual_seed(job['seed'])
    vocab, classes = job['vocabSize'], job['classes']
    if job['kind'] == 'bow':
        model = nn.Linear(vocab, classes)
        prepare = lambda x: bag_of_words(x, vocab)
        train_x, test_x = prepare(job['trainIds']), prepare(job['testIds'])
    else:
        model = models.TextCnn(vocab, classes, 64, 128, 3, [1, 2, 4, 8])
    opt = torch.optim.Adam(model.parameters(), lr=job['lr'])
    tokens = 0
    steps = 0
    start = time.perf_counter()
    train_seconds = 0.0
    while train_seconds < job['budget']:
        model.train()
        if job['kind'] == 'bow':
            order = torch.randperm(len(job['trainIds']), generator=gen)
            pairs = [(train_x[order[b:b + job['batchSize']]], torch.tensor(job['trainLabels'])[order[b:b + job['batchSize']]])
                     for b in range(0, len(order), job['batchSize'])]
        else:
            pairs = batches_of(job['trainIds'], job['trainLabels'], job['batchSize'], gen)
        for x, y in pairs:
            t0 = time.perf_counter()
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            train_seconds += time.perf_counter() - t0
            tokens += x.numel() if job['kind'] != 'bow' else 0
            steps += 1
            if train_seconds >= job['budget']:
                break
    model.eval()
    with torch.no_grad():
        if job['kind'] == 'bow':
            logits = model(test_x)
        else:
            width = max(len(r) for r in job['testIds'])
            x = torch.zeros(len(job['testIds']), width, dtype=torch.long)
            for i, r in enumerate(job['testIds']):
                x[i, :len(r)] = torch.tensor(r, dtype=torch.long)
            logits = model(x)
        acc = (logits.argmax(1) == torch.tensor(job['testLabels'])).float().mean().item()
    return {'accuracy': acc, 'steps': steps, 'trainSeconds': train_seconds, 'tokensPerSecond': tokens / train_seconds if tokens else None,
            'wall': time.perf_counter() - start}


def char_lm(job):
    torch.manual_seed(job['seed'])
    gen = torch.Generator().manual_seed(job['seed'])
    ids = torch.tensor(job['trainIds'], dtype=torch.long)
    test = torch.tensor(job['testIds'], dtype=torch.long)
    L, B = job['length'], job['batchSize']
    model = models.CharLm(job['vocabSize'], 32, 128, 2, [1, 2, 4, 8, 16, 32, 64])
    opt = torch.optim.Adam(model.parameters(), lr=job['lr'])
    windows = (len(ids) - 1) // L
    train_seconds, steps, tokens = 0.0, 0, 0
    while train_seconds < job['budget']:
        order = torch.randperm(windows, generator=gen)
        for b in range(0, windows - B + 1, B):
            starts = order[b:b + B] * L
            x = torch.stack([ids[s:s + L] for s in starts])
            y = torch.stack([ids[s + 1:s + 1 + L] for s in starts])
            t0 = time.perf_counter()
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            train_seconds += time.perf_counter() - t0
            steps += 1
            tokens += B * L
            if train_seconds >= job['budget']:
                break
    model.eval()
    tw = (len(test) - 1) // L
    with torch.no_grad():
        x = torch.stack([test[i * L:(i + 1) * L] for i in range(tw)])
        y = torch.stack([test[i * L + 1:(i + 1) * L + 1] for i in range(tw)])
        loss = F.cross_entropy(model(x), y).item()
    return {'bitsPerChar': loss / math.log(2), 'steps': steps, 'trainSeconds': train_seconds, 'tokensPerSecond': tokens / train_seconds}


if __name__ == '__main__':
    with open(sys.argv[1]) as f:
        job = json.load(f)
    print(json.dumps(char_lm(job) if job['kind'] == 'char-lm' else classify(job)))
