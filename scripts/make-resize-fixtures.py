#!/usr/bin/python3
"""PyTorch goldens for resizing and pooling over sequences (test/fixtures/resize-pool1d.json), checked by
test/fixtures-resize-pool1d.test.ts.

Regenerate (Debian's python3-torch 1.13):

    /usr/bin/python3 scripts/make-resize-fixtures.py

The file holds
  cases    op cases in scripts/make-fixtures.py's format (run_case: float64 goldens from float32 inputs,
           the float32 run checked to agree): interpolate in every mode, alignCorners on and off, size and
           scaleFactor (integer, non-integer, downsampling); maxPool1d / avgPool1d (stride != kernel,
           padding); adaptiveAvgPool1d / adaptiveMaxPool1d (sizes that do not divide L); adaptiveMaxPool2d.
  modules  nn layer cases in scripts/make-nn-fixtures.py's format (layer_case): BatchNorm1d on N×C×L and
           N×C in training (outputs, gradients, running statistics) and eval, and the new pooling and
           Upsample layers.

torch 1.13's nearest backward shortcuts out == in and out == 2·in (nearest_idx) while its forward for
C > 1 does not, so with a scale factor whose output happens to be in or 2·in (say 2.1 on 3 samples) its
gradient is not the forward's; such configurations are left out, and every interpolate case is checked
to satisfy the adjoint identity sum(f(p)·g) = sum(p·grad) (f is linear), so one cannot slip in.
C = 1 is avoided for nearest: torch then takes its channels-last kernel, which has the same shortcuts.
"""
import importlib.util
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    spec = importlib.util.spec_from_file_location(name.replace('-', '_'), os.path.join(HERE, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ops = load('make-fixtures')  # run_case, randn, OUT_DIR; sets torch's thread count to 2
layers = load('make-nn-fixtures')  # layer_case, random_running_stats


def check_adjoint(name, fn, x, case_seed):
    """fn is linear in x: <fn(p), g> must equal <p, grad of <fn(x), g>> for a random probe p."""
    x = x.double().requires_grad_(True)
    y = fn({'x': x})
    gen = torch.Generator().manual_seed(case_seed + 31)
    g = torch.randn(y.shape, generator=gen, dtype=torch.float64)
    (y * g).sum().backward()
    p = torch.randn(x.shape, generator=gen, dtype=torch.float64)
    lhs = (fn({'x': p}) * g).sum().item()
    rhs = (p * x.grad).sum().item()
    if abs(lhs - rhs) > 1e-9 * max(1.0, abs(lhs)):
        sys.exit(f'{name}: torch backward is not the adjoint of its forward ({lhs} vs {rhs}); leave this case out')


def interpolate_cases():
    cases = []
    # (x shape, options as at.interpolate takes them)
    specs = [
        ([2, 3, 5], {'size': 12}), ([2, 3, 11], {'size': 4}), ([2, 3, 6], {'scaleFactor': 2}),
        ([2, 3, 6], {'scaleFactor': 2.5}), ([2, 3, 10], {'scaleFactor': 0.6}), ([2, 3, 7], {'scaleFactor': 1.7}),
        ([2, 3, 5], {'size': 1}), ([1, 2, 1], {'size': 4}),
        ([2, 2, 4, 5], {'size': [7, 9]}), ([2, 2, 7, 6], {'size': [3, 2]}), ([2, 2, 3, 4], {'scaleFactor': 2}),
        ([2, 2, 4, 6], {'scaleFactor': [1.5, 0.7]}), ([2, 2, 7, 9], {'scaleFactor': 0.5}), ([1, 3, 4, 5], {'size': [4, 11]}),
    ]
    linear_specs = [
        ([2, 3, 5], {'size': 12}), ([2, 3, 11], {'size': 4}), ([2, 3, 6], {'scaleFactor': 2.5}),
        ([2, 3, 11], {'scaleFactor': 0.45}), ([2, 3, 7], {'scaleFactor': 1.3}), ([2, 2, 6], {'size': 1}),
        ([1, 2, 1], {'size': 4}), ([2, 3, 4], {'scaleFactor': 1.2}),  # scale given, size unchanged: copied
    ]
    bilinear_specs = [
        ([2, 2, 4, 5], {'size': [7, 9]}), ([2, 2, 8, 9], {'size': [3, 4]}), ([1, 3, 4, 6], {'scaleFactor': [1.5, 2.3]}),
        ([2, 2, 9, 7], {'scaleFactor': 0.6}), ([2, 2, 4, 5], {'size': [4, 11]}), ([1, 2, 1, 3], {'size': [3, 1]}),
    ]
    runs = [(s, dict(o, mode='nearest')) for s, o in specs]
    for align in (False, True):
        runs += [(s, dict(o, mode='linear', alignCorners=align)) for s, o in linear_specs]
        runs += [(s, dict(o, mode='bilinear', alignCorners=align)) for s, o in bilinear_specs]
    for i, (shape, config) in enumerate(runs):
        seed = 7000 + i
        gen = torch.Generator().manual_seed(seed)
        x = ops.randn(gen, *shape)
        kwargs = {'mode': config['mode']}
        if 'size' in config:
            kwargs['size'] = config['size']
        else:
            sf = config['scaleFactor']
            kwargs['scale_factor'] = tuple(sf) if isinstance(sf, list) else sf
        if 'alignCorners' in config:
            kwargs['align_corners'] = config['alignCorners']
        fn = lambda ts, kw=kwargs: F.interpolate(ts['x'], **kw)  # noqa: E731
        name = f'interpolate {shape} {config}'
        check_adjoint(name, fn, x, seed)
        cases.append(ops.run_case(name, 'interpolate', config, {'x': x}, fn, seed))
    return cases


def pool1d_cases():
    cases = []
    idx = 0
    # kernel, stride (None = kernel), padding, L
    specs = [(3, None, 0, 10), (3, 2, 1, 11), (4, 1, 2, 9), (2, 3, 0, 10), (5, 2, 2, 5), (1, 2, 0, 7)]
    for op, fn in (('maxPool1d', F.max_pool1d), ('avgPool1d', F.avg_pool1d)):
        for k, s, p, length in specs:
            gen = torch.Generator().manual_seed(7500 + idx)
            x = ops.randn(gen, 2, 3, length)
            stride = s if s is not None else k
            cases.append(ops.run_case(f'{op} k={k} s={s} p={p} on L={length}', op, {'kernel': k, 'stride': s, 'padding': p},
                                      {'x': x}, lambda ts, k=k, st=stride, p=p, fn=fn: fn(ts['x'], k, st, p), 7500 + idx))
            idx += 1
    for op, fn in (('adaptiveAvgPool1d', F.adaptive_avg_pool1d), ('adaptiveMaxPool1d', F.adaptive_max_pool1d)):
        for out, length in ((3, 10), (4, 7), (8, 5), (1, 9), (5, 5)):
            gen = torch.Generator().manual_seed(7500 + idx)
            x = ops.randn(gen, 2, 3, length)
            cases.append(ops.run_case(f'{op} L={length} -> {out}', op, {'outputSize': out}, {'x': x},
                                      lambda ts, o=out, fn=fn: fn(ts['x'], o), 7500 + idx))
            idx += 1
    for out, size in (([3, 2], [7, 5]), ([7, 6], [5, 5]), ([1, 1], [6, 8]), ([4, 3], [9, 11])):
        gen = torch.Generator().manual_seed(7500 + idx)
        x = ops.randn(gen, 2, 3, *size)
        cases.append(ops.run_case(f'adaptiveMaxPool2d {size} -> {out}', 'adaptiveMaxPool2d', {'outputSize': out}, {'x': x},
                                  lambda ts, o=out: F.adaptive_max_pool2d(ts['x'], o), 7500 + idx))
        idx += 1
    return cases


def module_cases():
    torch.manual_seed(11)
    rs = layers.random_running_stats
    lc = layers.layer_case
    return [
        lc('batchnorm1d train N×C×L', nn.BatchNorm1d(3), {'type': 'BatchNorm1d', 'args': [3]}, (4, 3, 5), setup=rs),
        lc('batchnorm1d train N×C', nn.BatchNorm1d(3), {'type': 'BatchNorm1d', 'args': [3]}, (6, 3), setup=rs),
        lc('batchnorm1d train cumulative eps', nn.BatchNorm1d(4, momentum=None, eps=1e-3),
           {'type': 'BatchNorm1d', 'args': [4, {'momentum': None, 'eps': 1e-3}]}, (3, 4, 2), setup=rs),
        lc('batchnorm1d train momentum 0.3 N×C', nn.BatchNorm1d(2, momentum=0.3),
           {'type': 'BatchNorm1d', 'args': [2, {'momentum': 0.3}]}, (5, 2), setup=rs),
        lc('batchnorm1d train no affine', nn.BatchNorm1d(3, affine=False), {'type': 'BatchNorm1d', 'args': [3, {'affine': False}]},
           (2, 3, 4)),
        lc('batchnorm1d eval N×C×L', nn.BatchNorm1d(3), {'type': 'BatchNorm1d', 'args': [3]}, (2, 3, 5), train=False, setup=rs),
        lc('batchnorm1d eval N×C', nn.BatchNorm1d(3), {'type': 'BatchNorm1d', 'args': [3]}, (5, 3), train=False, setup=rs),
        lc('maxpool1d', nn.MaxPool1d(3, 2, 1), {'type': 'MaxPool1d', 'args': [3, 2, 1]}, (2, 2, 9)),
        lc('avgpool1d', nn.AvgPool1d(4, 3, 2), {'type': 'AvgPool1d', 'args': [4, 3, 2]}, (2, 2, 10)),
        lc('adaptiveavgpool1d', nn.AdaptiveAvgPool1d(4), {'type': 'AdaptiveAvgPool1d', 'args': [4]}, (2, 3, 9)),
        lc('adaptivemaxpool1d', nn.AdaptiveMaxPool1d(4), {'type': 'AdaptiveMaxPool1d', 'args': [4]}, (2, 3, 9)),
        lc('adaptivemaxpool2d', nn.AdaptiveMaxPool2d((2, 3)), {'type': 'AdaptiveMaxPool2d', 'args': [[2, 3]]}, (2, 2, 5, 7)),
        lc('upsample linear align', nn.Upsample(scale_factor=2.5, mode='linear', align_corners=True),
           {'type': 'Upsample', 'args': [{'scaleFactor': 2.5, 'mode': 'linear', 'alignCorners': True}]}, (2, 3, 4)),
        lc('upsample nearest 2-d', nn.Upsample(size=(5, 7)), {'type': 'Upsample', 'args': [{'size': [5, 7]}]}, (1, 2, 3, 4)),
        lc('upsample bilinear', nn.Upsample(scale_factor=(1.5, 0.5), mode='bilinear'),
           {'type': 'Upsample', 'args': [{'scaleFactor': [1.5, 0.5], 'mode': 'bilinear'}]}, (2, 2, 4, 6)),
    ]


def main():
    path = os.path.join(ops.OUT_DIR, 'resize-pool1d.json')
    cases = interpolate_cases() + pool1d_cases()
    modules = module_cases()
    with open(path, 'w') as f:
        json.dump({'generator': 'scripts/make-resize-fixtures.py', 'torch': torch.__version__, 'cases': cases,
                   'modules': modules}, f, separators=(',', ':'))
        f.write('\n')
    print(f'resize-pool1d.json: {len(cases)} op cases, {len(modules)} module cases, {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    main()
