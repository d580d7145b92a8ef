#!/usr/bin/python3
"""PyTorch golden fixtures for atrous (test/fixtures/*.json), checked by test/fixtures-*.test.ts.

fixtures-README
---------------
Regenerate (Debian's python3-torch 1.13; the python3 first on PATH cannot see it):

    /usr/bin/python3 scripts/make-fixtures.py

The output is deterministic (every case seeds torch with its own index; the random configurations
come from random.Random(fixed seed)), so rerunning rewrites identical files. Tests never run Python:
the JSON files are committed.

Files (each {"generator", "torch", "cases": [...]}):
  conv2d.json      ~60 conv2d configurations: odd sizes, [h, w] pairs for stride/padding/dilation,
                   'same' (odd total pad: PyTorch puts the extra on the right/bottom), 'valid', groups
                   (depthwise, channel multipliers), no bias, dilation past the input, padding past
                   the kernel, 1×1 outputs, 1×1 kernels, then seeded random ones.
  conv1d.json      ~40 conv1d configurations incl. 'causal' (F.pad left by dilation·(k−1), then conv1d;
                   stride 1 and 2), 'same', 'valid', groups, no bias.
  conv-suite.json  the 8 geometries of native/bench/conv-suite.json scaled down (batch 1-2, fewer channels,
                   smaller spatial), keeping kernel, dilation, padding, stride, groups (S5 is conv1d).
  linear.json, relu.json, pool.json (maxPool2d, avgPool2d with count_include_pad, adaptiveAvgPool2d
                   with sizes that do not divide the input), loss.json (crossEntropy, mseLoss),
  cnn.json         a small dilated CNN: conv → relu → dilated conv → relu → maxPool2d → flatten →
                   linear → crossEntropy, forward and the gradients of every parameter and the input.

A case is {"name", "op", "config", "inputs", "g", "output", "grads"}:
  config  the op's arguments beside the tensors, spelled as atrous's API takes them (padding a number,
          [h, w], 'same', 'valid' or 'causal'; bias: false when the op runs without one).
  inputs  name → tensor (input, weight, bias, x, a, b, logits...); targets of crossEntropy are ints.
  g       the random upstream gradient: grads are d/d(inputs) of sum(output * g).
  output, grads  PyTorch's results; grads has one entry per tensor in inputs.
A tensor is {"shape": [...], "f32": "<base64>"}: the values as float32 little-endian bytes, base64.
Inputs and g are float32 values; PyTorch evaluates each case in float64 from those exact values and
the results are rounded to float32 (so the goldens carry no float32 accumulation error of their own),
and the generator checks that PyTorch's own float32 run agrees to 1e-5 relative L2.
"""
import base64
import json
import os
import random
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

warnings.filterwarnings('ignore', message="Using padding='same'")

torch.set_num_threads(2)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, 'test', 'fixtures')
FLOAT32_AGREEMENT = 1e-5


class DegenerateCase(Exception):
    """An output or gradient that is all zeros would compare trivially; random configs skip these."""


def enc(t):
    a = t.detach().to(torch.float32).contiguous().numpy().astype('<f4')
    return {'shape': list(t.shape), 'f32': base64.b64encode(a.tobytes()).decode('ascii')}


def rel_l2(a, b):
    a, b = a.double(), b.double()
    den = b.norm().item()
    num = (a - b).norm().item()
    return num / den if den > 0 else num


def run_case(name, op, config, inputs, fn, seed, targets=None):
    """inputs: name → float32 tensor (None = absent); fn(dict of tensors) → output tensor."""
    present = {k: v for k, v in inputs.items() if v is not None}
    results = {}
    for dtype in (torch.float64, torch.float32):
        ts = {k: v.clone().to(dtype).requires_grad_(True) for k, v in present.items()}
        out = fn(ts)
        if dtype == torch.float64:
            gen = torch.Generator().manual_seed(seed + 7919)
            g = torch.randn(out.shape, generator=gen, dtype=torch.float32)
        (out * g.to(dtype)).sum().backward()
        results[dtype] = (out.detach(), {k: t.grad.detach() for k, t in ts.items()})
    out64, grads64 = results[torch.float64]
    out32, grads32 = results[torch.float32]
    checks = [('output', out32, out64)] + [(k, grads32[k], grads64[k]) for k in grads64]
    for what, a, b in checks:
        err = rel_l2(a, b)
        if not err <= FLOAT32_AGREEMENT:
            sys.exit(f'{name}: torch float32 vs float64 {what} rel L2 {err:.3g} > {FLOAT32_AGREEMENT}')
        if b.norm().item() == 0:
            raise DegenerateCase(f'{name}: {what} is all zeros')
    case = {
        'name': name,
        'op': op,
        'config': config,
        'inputs': {k: enc(v) for k, v in present.items()},
        'g': enc(g),
        'output': enc(out64),
        'grads': {k: enc(v) for k, v in grads64.items()},
    }
    if targets is not None:
        case['targets'] = targets
    return case


def randn(seed_gen, *shape, scale=1.0):
    return (torch.randn(*shape, generator=seed_gen, dtype=torch.float32) * scale).to(torch.float32)


# ----------------------------------------------------------------------------------------------
# conv


def torch_padding(padding):
    """atrous padding → (padding for F.convNd, extra left pad for causal)."""
    if isinstance(padding, list):
        return tuple(padding)
    return padding


def conv_case(name, dims, n, cin, cout, size, k, stride=1, padding=0, dilation=1, groups=1, bias=True, seed=0):
    """size and k are ints (conv1d) or [h, w] (conv2d; an int means square)."""
    gen = torch.Generator().manual_seed(1000 + seed)
    if dims == 2:
        size = size if isinstance(size, list) else [size, size]
        k = k if isinstance(k, list) else [k, k]
        x = randn(gen, n, cin, *size)
        w = randn(gen, cout, cin // groups, *k, scale=(cin // groups * k[0] * k[1]) ** -0.5)
    else:
        x = randn(gen, n, cin, size)
        w = randn(gen, cout, cin // groups, k, scale=(cin // groups * k) ** -0.5)
    b = randn(gen, cout) if bias else None
    conv = F.conv2d if dims == 2 else F.conv1d

    def fn(ts):
        xi = ts['input']
        pad = padding
        if pad == 'causal':
            xi = F.pad(xi, (dilation * (k - 1), 0))
            pad = 0
        return conv(xi, ts['weight'], ts.get('bias'), stride=torch_padding(stride),
                    padding=torch_padding(pad), dilation=torch_padding(dilation), groups=groups)

    config = {'stride': stride, 'padding': padding, 'dilation': dilation, 'groups': groups, 'bias': bias}
    return run_case(name, f'conv{dims}d', config, {'input': x, 'weight': w, 'bias': b}, fn, seed)


def conv_out(size, k, s, p_total, d):
    return (size + p_total - d * (k - 1) - 1) // s + 1


def pair(v):
    return v if isinstance(v, list) else [v, v]


def conv2d_out_ok(size, k, stride, padding, dilation):
    size, k, s, d = pair(size), pair(k), pair(stride), pair(dilation)
    for ax in range(2):
        if padding == 'valid':
            pt = 0
        elif padding == 'same':
            pt = d[ax] * (k[ax] - 1)
        else:
            pt = 2 * pair(padding)[ax]
        if size[ax] + pt < d[ax] * (k[ax] - 1) + 1:
            return False
    return True


def conv2d_cases():
    fixed = [
        # name, n, cin, cout, size, k, stride, padding, dilation, groups, bias
        ('plain 3x3 pad 1', 2, 3, 4, 7, 3, 1, 1, 1, 1, True),
        ('dilation 2 pad 2', 1, 3, 5, 9, 3, 1, 2, 2, 1, True),
        ('odd sizes 7x5 kernel 3x2', 2, 2, 3, [7, 5], [3, 2], 1, 0, 1, 1, True),
        ('stride pair [2,3]', 1, 3, 4, [11, 9], 3, [2, 3], 1, 1, 1, True),
        ('padding pair [2,0]', 1, 2, 3, [6, 8], 3, 1, [2, 0], 1, 1, True),
        ('dilation pair [1,3]', 2, 2, 2, [8, 10], 3, 1, [1, 3], [1, 3], 1, True),
        ('all pairs s[2,1] p[1,2] d[2,3]', 1, 3, 3, [9, 11], [3, 2], [2, 1], [1, 2], [2, 3], 1, True),
        ("'same' k3 d1", 1, 3, 4, [6, 7], 3, 1, 'same', 1, 1, True),
        ("'same' k2 (odd total pad: extra right/bottom)", 2, 2, 3, [5, 6], 2, 1, 'same', 1, 1, True),
        ("'same' k4x2 d[1,3] (odd totals)", 1, 2, 2, [7, 8], [4, 2], 1, 'same', [1, 3], 1, True),
        ("'same' k2 d3 (total 3)", 1, 3, 2, 6, 2, 1, 'same', 3, 1, False),
        ("'valid'", 1, 3, 4, [8, 6], 3, 1, 'valid', 1, 1, True),
        ("'valid' dilated stride 2", 2, 2, 3, 11, 3, 2, 'valid', 2, 1, True),
        ('groups 2', 2, 4, 6, 7, 3, 1, 1, 1, 2, True),
        ('groups 3 dilated', 1, 6, 3, 9, 3, 1, 2, 2, 3, True),
        ('depthwise groups == Cin', 2, 4, 4, 8, 3, 1, 2, 2, 4, True),
        ('depthwise stride 2 no bias', 1, 5, 5, 9, 3, 2, 1, 1, 5, False),
        ('channel multiplier 2 (groups == Cin, Cout = 2 Cin)', 1, 3, 6, 7, 3, 1, 1, 2, 3, True),
        ('channel multiplier 3 depthwise dilated', 2, 2, 6, [6, 9], [3, 2], 1, [2, 1], [2, 3], 2, True),
        ('no bias', 2, 3, 4, 6, 3, 1, 1, 1, 1, False),
        ('dilation larger than input', 1, 2, 3, 5, 2, 1, 3, 6, 1, True),
        ('dilation larger than input (pair)', 1, 2, 2, [4, 6], 3, 1, [4, 5], [4, 5], 1, True),
        ('padding larger than kernel', 1, 2, 3, 5, 2, 1, 3, 1, 1, True),
        ('padding larger than kernel, stride 3', 2, 2, 2, [4, 5], 3, 3, [4, 5], 1, 1, True),
        ('output 1x1 (kernel covers input)', 2, 3, 4, 5, 5, 1, 0, 1, 1, True),
        ('output 1x1 via dilation', 1, 2, 3, 5, 3, 1, 0, 2, 1, True),
        ('output 1x1 via stride', 1, 3, 2, 4, 3, 5, 0, 1, 1, True),
        ('kernel 1x1', 2, 5, 3, [4, 7], 1, 1, 0, 1, 1, True),
        ('kernel 1x1 stride 2 padding 1', 1, 3, 4, 7, 1, 2, 1, 1, 1, True),
        ('kernel 1x1 grouped', 1, 4, 6, 5, 1, 1, 0, 1, 2, False),
        ('input 1x1 with padding', 2, 2, 3, 1, 3, 1, 1, 1, 1, True),
        ('single row input', 1, 3, 2, [1, 9], [1, 3], 1, 0, [1, 2], 1, True),
        ('single column input', 1, 2, 2, [8, 1], [3, 1], [2, 1], [1, 0], [3, 1], 1, True),
        ('kernel 5 dilation 3 stride 2', 1, 2, 3, 13, 5, 2, 6, 3, 1, True),
    ]
    cases = []
    for i, (name, n, cin, cout, size, k, s, p, d, g, b) in enumerate(fixed):
        assert conv2d_out_ok(size, k, s, p, d), name
        cases.append(conv_case(name, 2, n, cin, cout, size, k, s, p, d, g, b, seed=i))

    rng = random.Random(20240602)
    i = len(cases)
    while len(cases) < 62:
        g = rng.choice([1, 1, 1, 2, 3, 'dw'])
        if g == 'dw':
            cin = rng.randint(1, 5)
            g = cin
            cout = cin * rng.randint(1, 3)
        else:
            cin = g * rng.randint(1, 3)
            cout = g * rng.randint(1, 3)
        n = rng.randint(1, 2)
        size = [rng.randint(1, 12), rng.randint(1, 12)]
        k = [rng.randint(1, 4), rng.randint(1, 4)]
        d = [rng.randint(1, 4), rng.randint(1, 4)]
        mode = rng.choice(['int', 'pair', 'pair', 'same', 'valid'])
        s = [rng.randint(1, 3), rng.randint(1, 3)] if mode != 'same' else 1
        if mode == 'int':
            p = rng.randint(0, 4)
        elif mode == 'pair':
            p = [rng.randint(0, 4), rng.randint(0, 4)]
        else:
            p = mode
        if mode == 'int' or rng.random() < 0.3:
            # exercise the scalar spellings too
            s = s if mode == 'same' else s[0]
            d = d[0]
            k = k[0]
        bias = rng.random() < 0.75
        if not conv2d_out_ok(size, k, s, p, d):
            continue
        try:
            cases.append(conv_case(f'random #{i}', 2, n, cin, cout, size, k, s, p, d, g, bias, seed=i))
        except DegenerateCase:
            continue
        i += 1
    return cases


def conv1d_cases():
    fixed = [
        # name, n, cin, cout, L, k, stride, padding, dilation, groups, bias
        ('plain k3 pad 1', 2, 3, 4, 9, 3, 1, 1, 1, 1, True),
        ('dilation 2 pad 2', 1, 3, 2, 11, 3, 1, 2, 2, 1, True),
        ('stride 2 odd length', 2, 2, 3, 13, 3, 2, 1, 1, 1, True),
        ('stride 3 dilation 2', 1, 3, 3, 17, 3, 3, 0, 2, 1, True),
        ("causal k2 d1", 1, 2, 3, 8, 2, 1, 'causal', 1, 1, True),
        ("causal k3 d2", 2, 3, 2, 10, 3, 1, 'causal', 2, 1, True),
        ("causal k2 d4 stride 2", 1, 2, 2, 11, 2, 2, 'causal', 4, 1, True),
        ("causal k3 d3 stride 2 no bias", 2, 3, 4, 12, 3, 2, 'causal', 3, 1, False),
        ("causal k4 d2 stride 2 grouped", 1, 4, 4, 9, 4, 2, 'causal', 2, 2, True),
        ("causal depthwise d8 (dilation past the input)", 1, 3, 3, 7, 2, 1, 'causal', 8, 3, True),
        ("causal k1", 2, 3, 2, 5, 1, 1, 'causal', 1, 1, True),
        ("causal stride 2 length 1", 1, 2, 3, 1, 3, 2, 'causal', 2, 1, True),
        ("'same' k3", 1, 3, 4, 8, 3, 1, 'same', 1, 1, True),
        ("'same' k2 (odd total pad: extra right)", 2, 2, 3, 7, 2, 1, 'same', 1, 1, True),
        ("'same' k4 d3 (total 9)", 1, 2, 2, 10, 4, 1, 'same', 3, 1, True),
        ("'same' k2 d5 grouped no bias", 1, 4, 2, 6, 2, 1, 'same', 5, 2, False),
        ("'valid'", 2, 3, 2, 9, 4, 1, 'valid', 1, 1, True),
        ("'valid' dilated stride 2", 1, 2, 3, 15, 3, 2, 'valid', 3, 1, True),
        ('groups 2', 2, 4, 6, 8, 3, 1, 1, 1, 2, True),
        ('depthwise groups == Cin', 1, 5, 5, 12, 3, 1, 2, 2, 5, True),
        ('channel multiplier 2', 2, 3, 6, 9, 3, 1, 1, 3, 3, True),
        ('no bias', 1, 3, 3, 7, 3, 1, 1, 1, 1, False),
        ('dilation larger than input', 1, 2, 2, 4, 2, 1, 3, 6, 1, True),
        ('padding larger than kernel', 2, 2, 3, 5, 2, 2, 4, 1, 1, True),
        ('output length 1', 1, 3, 2, 7, 7, 1, 0, 1, 1, True),
        ('output length 1 via stride', 2, 2, 2, 5, 3, 4, 0, 1, 1, True),
        ('kernel 1', 2, 4, 3, 6, 1, 1, 0, 1, 1, True),
        ('kernel 1 stride 2 pad 1', 1, 3, 2, 7, 1, 2, 1, 1, 1, False),
    ]
    cases = []
    for i, (name, n, cin, cout, length, k, s, p, d, g, b) in enumerate(fixed):
        cases.append(conv_case(name, 1, n, cin, cout, length, k, s, p, d, g, b, seed=500 + i))

    rng = random.Random(19680501)
    i = len(cases)
    while len(cases) < 42:
        g = rng.choice([1, 1, 2, 'dw'])
        if g == 'dw':
            cin = rng.randint(1, 6)
            g = cin
            cout = cin * rng.randint(1, 2)
        else:
            cin = g * rng.randint(1, 3)
            cout = g * rng.randint(1, 3)
        n = rng.randint(1, 2)
        length = rng.randint(1, 24)
        k = rng.randint(1, 5)
        d = rng.randint(1, 8)
        p = rng.choice([0, 1, 2, 3, 5, 'same', 'valid', 'causal', 'causal'])
        s = 1 if p == 'same' else rng.randint(1, 3)
        pt = {'same': d * (k - 1), 'valid': 0, 'causal': d * (k - 1)}.get(p, 2 * p if isinstance(p, int) else 0)
        if length + pt < d * (k - 1) + 1:
            continue
        bias = rng.random() < 0.75
        try:
            cases.append(conv_case(f'random #{i}', 1, n, cin, cout, length, k, s, p, d, g, bias, seed=500 + i))
        except DegenerateCase:
            continue
        i += 1
    return cases


def conv_suite_cases():
    with open(os.path.join(ROOT, 'native', 'bench', 'conv-suite.json')) as f:
        suite = json.load(f)['shapes']
    # Scaled down: batch 1-2, a few channels, small spatial; kernel/dilation/padding/stride/groups kept.
    scaled = {
        'S1': dict(n=2, cin=4, cout=4, size=12),
        'S2': dict(n=2, cin=6, cout=6, size=10),
        'S3': dict(n=1, cin=4, cout=4, size=16),
        'S4': dict(n=2, cin=6, cout=3, size=13),  # dilation 12 with 13×13: most taps land in padding
        'S5': dict(n=2, cin=4, cout=4, size=96),
        'S6': dict(n=2, cin=3, cout=6, size=15),
        'S7': dict(n=2, cin=6, cout=6, size=12),
        'S8': dict(n=1, cin=4, cout=4, size=20),
    }
    cases = []
    for j, s in enumerate(suite):
        sc = scaled[s['id']]
        groups = s['groups']
        if groups > 1:  # depthwise in the suite stays depthwise
            assert groups == s['Cin'] == s['Cout']
            groups = sc['cin']
        name = f"{s['id']} {s['name']} (scaled N={sc['n']} C={sc['cin']}->{sc['cout']} size {sc['size']})"
        if s['dims'] == 1:
            padding = 'causal' if s.get('causal') else s['pad']
            cases.append(conv_case(name, 1, sc['n'], sc['cin'], sc['cout'], sc['size'], s['k'], s['stride'],
                                   padding, s['dil'], groups, True, seed=900 + j))
        else:
            cases.append(conv_case(name, 2, sc['n'], sc['cin'], sc['cout'], sc['size'], s['k'], s['stride'],
                                   s['pad'], s['dil'], groups, True, seed=900 + j))
        cases[-1]['config']['suiteId'] = s['id']
    return cases


# ----------------------------------------------------------------------------------------------
# other ops


def linear_cases():
    specs = [('2-d', [4, 7], 5, True), ('2-d no bias', [3, 6], 4, False), ('one row', [1, 9], 3, True),
             ('one feature in', [5, 1], 4, True), ('one feature out', [6, 8], 1, True),
             ('3-d input (leading dims)', [2, 3, 5], 4, True), ('wider', [8, 33], 17, True)]
    cases = []
    for i, (name, xs, out, bias) in enumerate(specs):
        gen = torch.Generator().manual_seed(2000 + i)
        x = randn(gen, *xs)
        w = randn(gen, out, xs[-1], scale=xs[-1] ** -0.5)
        b = randn(gen, out) if bias else None
        cases.append(run_case(f'linear {name}', 'linear', {'bias': bias}, {'x': x, 'weight': w, 'bias': b},
                              lambda ts: F.linear(ts['x'], ts['weight'], ts.get('bias')), 2000 + i))
    return cases


def relu_cases():
    cases = []
    for i, shape in enumerate([[7], [3, 5], [2, 3, 4, 5], [1, 1, 9, 1]]):
        gen = torch.Generator().manual_seed(3000 + i)
        x = randn(gen, *shape)
        x = torch.where(x.abs() < 1e-3, torch.full_like(x, 0.5), x)  # keep away from the kink
        cases.append(run_case(f'relu {shape}', 'relu', {}, {'x': x}, lambda ts: F.relu(ts['x']), 3000 + i))
    return cases


def pool_cases():
    cases = []
    # kernel, stride (None = kernel), padding, size
    specs = [
        (2, None, 0, [6, 6]), (2, None, 0, [7, 5]), (3, 2, 1, [9, 9]), (3, 1, 0, [5, 7]),
        (3, 2, 0, [8, 11]), ([3, 2], [2, 1], [1, 0], [7, 6]), (2, 1, 1, [4, 5]), (4, 3, 2, [10, 9]),
        (1, 2, 0, [5, 5]), (5, None, 0, [5, 5]),
    ]
    idx = 0
    for op, fn in (('maxPool2d', F.max_pool2d), ('avgPool2d', F.avg_pool2d)):
        for k, s, p, size in specs:
            gen = torch.Generator().manual_seed(4000 + idx)
            x = randn(gen, 2, 3, *size)
            stride = s if s is not None else k
            config = {'kernel': k, 'stride': s, 'padding': p}
            name = f'{op} k={k} s={s} p={p} on {size}'
            cases.append(run_case(name, op, config, {'x': x},
                                  lambda ts, k=k, stride=stride, p=p, fn=fn: fn(ts['x'], k, stride, p), 4000 + idx))
            idx += 1
    for out_size, size in (([3, 3], [7, 7]), ([2, 3], [5, 8]), ([4, 4], [10, 9]), ([1, 1], [6, 5]),
                           ([3, 2], [3, 2]), ([5, 4], [3, 3]), ([4, 3], [9, 11])):
        gen = torch.Generator().manual_seed(4000 + idx)
        x = randn(gen, 2, 3, *size)
        name = f'adaptiveAvgPool2d {size} -> {out_size}'
        cases.append(run_case(name, 'adaptiveAvgPool2d', {'outputSize': out_size}, {'x': x},
                              lambda ts, o=out_size: F.adaptive_avg_pool2d(ts['x'], o), 4000 + idx))
        idx += 1
    return cases


def loss_cases():
    cases = []
    for i, (n, c) in enumerate([(4, 5), (1, 3), (8, 10), (5, 7), (6, 2)]):
        gen = torch.Generator().manual_seed(5000 + i)
        logits = randn(gen, n, c, scale=2.0)
        targets = torch.randint(0, c, (n,), generator=gen)
        cases.append(run_case(f'crossEntropy N={n} C={c}', 'crossEntropy', {}, {'logits': logits},
                              lambda ts, t=targets: F.cross_entropy(ts['logits'], t), 5000 + i,
                              targets=targets.tolist()))
    for i, shape in enumerate([[5], [3, 4], [2, 3, 4, 5], [1]]):
        gen = torch.Generator().manual_seed(5100 + i)
        a, b = randn(gen, *shape), randn(gen, *shape)
        cases.append(run_case(f'mseLoss {shape}', 'mseLoss', {}, {'a': a, 'b': b},
                              lambda ts: F.mse_loss(ts['a'], ts['b']), 5100 + i))
    return cases


def cnn_cases():
    """conv(3→4, k3, p1) → relu → conv(4→6, k3, d2, p2) → relu → maxPool2d(2) → flatten → linear → CE."""
    cases = []
    for i, (n, h, w, classes) in enumerate([(2, 8, 8, 5), (3, 9, 7, 4)]):
        gen = torch.Generator().manual_seed(6000 + i)
        x = randn(gen, n, 3, h, w)
        w1 = randn(gen, 4, 3, 3, 3, scale=27 ** -0.5)
        b1 = randn(gen, 4, scale=0.1)
        w2 = randn(gen, 6, 4, 3, 3, scale=36 ** -0.5)
        b2 = randn(gen, 6, scale=0.1)
        feat = 6 * (h // 2) * (w // 2)
        w3 = randn(gen, classes, feat, scale=feat ** -0.5)
        b3 = randn(gen, classes, scale=0.1)
        targets = torch.randint(0, classes, (n,), generator=gen)

        def fn(ts, t=targets):
            y = F.relu(F.conv2d(ts['input'], ts['conv1.weight'], ts['conv1.bias'], padding=1))
            y = F.relu(F.conv2d(y, ts['conv2.weight'], ts['conv2.bias'], padding=2, dilation=2))
            y = F.max_pool2d(y, 2)
            y = F.linear(torch.flatten(y, 1), ts['fc.weight'], ts['fc.bias'])
            return F.cross_entropy(y, t)

        inputs = {'input': x, 'conv1.weight': w1, 'conv1.bias': b1, 'conv2.weight': w2, 'conv2.bias': b2,
                  'fc.weight': w3, 'fc.bias': b3}
        config = {'conv1': {'padding': 1}, 'conv2': {'padding': 2, 'dilation': 2}, 'maxPool2d': 2, 'classes': classes}
        cases.append(run_case(f'dilated CNN N={n} {h}x{w} classes={classes}', 'cnn', config, inputs, fn,
                              6000 + i, targets=targets.tolist()))
    return cases


def write(name, cases):
    path = os.path.join(OUT_DIR, name)
    with open(path, 'w') as f:
        json.dump({'generator': 'scripts/make-fixtures.py', 'torch': torch.__version__, 'cases': cases},
                  f, separators=(',', ':'))
        f.write('\n')
    print(f'{name}: {len(cases)} cases, {os.path.getsize(path)} bytes')


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    write('conv2d.json', conv2d_cases())
    write('conv1d.json', conv1d_cases())
    write('conv-suite.json', conv_suite_cases())
    write('linear.json', linear_cases())
    write('relu.json', relu_cases())
    write('pool.json', pool_cases())
    write('loss.json', loss_cases())
    write('cnn.json', cnn_cases())


if __name__ == '__main__':
    main()
