#!/usr/bin/python3
"""PyTorch golden fixtures for the Wave-2 ops (test/fixtures/wave2-ops.json), checked by
test/fixtures-wave2.test.ts.

Regenerate (Debian's python3-torch 1.13):

    /usr/bin/python3 scripts/make-wave2-fixtures.py

Same case format and method as scripts/make-fixtures.py (whose helpers this imports): each case is
evaluated by PyTorch in float64 from float32 inputs, checked against PyTorch's own float32 run, and
stores the output and the gradient of sum(output * g) for every float input. Ops: transpose, permute,
unsqueeze, squeeze, cat, tanh, sigmoid, softmax, logSoftmax (several shapes, negative dims) and
crossEntropy (N×C and N×C×d1×…, ignoreIndex, weight, labelSmoothing, each reduction; weight and
targets in config/targets since they take no gradient). argmax cases hold only inputs and the
indices (config.indices), as it has no gradient.
"""
import importlib.util
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location('make_fixtures', os.path.join(HERE, 'make-fixtures.py'))
mf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mf)
run_case, randn, enc = mf.run_case, mf.randn, mf.enc

torch.set_num_threads(2)


def shape_cases():
    cases = []
    seed = 7000
    for shape, d0, d1 in [([2, 3], 0, 1), ([2, 3, 4], -1, 0), ([3, 1, 5, 2], 1, -2), ([4, 5, 6], 2, 2), ([6], 0, -1)]:
        seed += 1
        x = randn(torch.Generator().manual_seed(seed), *shape)
        cases.append(run_case(f'transpose {shape} {d0} {d1}', 'transpose', {'dim0': d0, 'dim1': d1}, {'x': x},
                              lambda ts, a=d0, b=d1: ts['x'].transpose(a, b), seed))
    for shape, dims in [([2, 3, 4], [2, 0, 1]), ([2, 3, 4, 5], [0, 2, 3, 1]), ([3, 4, 5, 2], [-1, 1, -4, 2]),
                        ([5, 33, 40], [0, 2, 1]), ([2, 3], [0, 1]), ([1, 4, 1, 3], [3, 2, 1, 0])]:
        seed += 1
        x = randn(torch.Generator().manual_seed(seed), *shape)
        cases.append(run_case(f'permute {shape} {dims}', 'permute', {'dims': dims}, {'x': x},
                              lambda ts, p=dims: ts['x'].permute(*p), seed))
    for shape, dim in [([2, 3], 0), ([2, 3], 2), ([2, 3], -1), ([4], -2)]:
        seed += 1
        x = randn(torch.Generator().manual_seed(seed), *shape)
        cases.append(run_case(f'unsqueeze {shape} {dim}', 'unsqueeze', {'dim': dim}, {'x': x},
                              lambda ts, d=dim: ts['x'].unsqueeze(d), seed))
    for shape, dim in [([2, 1, 3], 1), ([2, 1, 3], -2), ([2, 1, 3], 0), ([1, 3, 1], None)]:
        seed += 1
        x = randn(torch.Generator().manual_seed(seed), *shape)
        cases.append(run_case(f'squeeze {shape} {dim}', 'squeeze', {'dim': dim}, {'x': x},
                              lambda ts, d=dim: ts['x'].squeeze() if d is None else ts['x'].squeeze(d), seed))
    for shapes, dim in [([[2, 3], [4, 3]], 0), ([[2, 3], [2, 1], [2, 5]], 1), ([[2, 3, 4], [2, 2, 4]], -2),
                        ([[3, 2, 2], [3, 2, 5]], -1), ([[5], [7]], 0)]:
        seed += 1
        gen = torch.Generator().manual_seed(seed)
        inputs = {f't{i}': randn(gen, *s) for i, s in enumerate(shapes)}
        cases.append(run_case(f'cat {shapes} {dim}', 'cat', {'dim': dim}, inputs,
                              lambda ts, d=dim, k=len(shapes): torch.cat([ts[f't{i}'] for i in range(k)], d), seed))
    return cases


def argmax_cases():
    cases = []
    for i, (shape, dim) in enumerate([([3, 5], 1), ([3, 5], 0), ([2, 4, 3], -2), ([2, 3, 4], 2), ([7], None), ([2, 3, 4], -3)]):
        x = randn(torch.Generator().manual_seed(7500 + i), *shape)
        x.view(-1)[1] = x.view(-1)[0] = 9.0  # a tie: the first wins
        idx = x.argmax() if dim is None else x.argmax(dim)
        cases.append({'name': f'argmax {shape} {dim}', 'op': 'argmax', 'config': {'dim': dim, 'indices': idx.flatten().tolist(),
                      'shape': list(idx.shape)}, 'inputs': {'x': enc(x)}})
    return cases


def activation_cases():
    cases = []
    seed = 7600
    for op, fn in [('tanh', torch.tanh), ('sigmoid', torch.sigmoid)]:
        for shape, scale in [([7], 1.0), ([3, 4, 5], 3.0), ([2, 50], 12.0)]:
            seed += 1
            x = randn(torch.Generator().manual_seed(seed), *shape, scale=scale)
            cases.append(run_case(f'{op} {shape} scale {scale}', op, {}, {'x': x}, lambda ts, f=fn: f(ts['x']), seed))
    for op, fn in [('softmax', F.softmax), ('logSoftmax', F.log_softmax)]:
        for shape, dim, scale in [([4, 5], -1, 1.0), ([4, 5], 0, 1.0), ([2, 3, 4, 5], 1, 2.0), ([2, 3, 4], -2, 1.0),
                                  ([3, 6], 1, 40.0), ([5], 0, 1.0)]:
            seed += 1
            x = randn(torch.Generator().manual_seed(seed), *shape, scale=scale)
            cases.append(run_case(f'{op} {shape} dim {dim} scale {scale}', op, {'dim': dim}, {'x': x},
                                  lambda ts, f=fn, d=dim: f(ts['x'], dim=d), seed))
    return cases


def cross_entropy_cases():
    cases = []
    seed = 7800
    configs = [
        # logits shape, options (weight True: a random positive C-vector), ignored positions
        ([4, 5], {}, 0),
        ([4, 5], {'reduction': 'sum'}, 0),
        ([4, 5], {'reduction': 'none'}, 0),
        ([6, 4], {'ignoreIndex': -100}, 2),
        ([6, 4], {'ignoreIndex': 1}, 0),
        ([6, 4], {'weight': True}, 0),
        ([6, 4], {'weight': True, 'ignoreIndex': -100}, 2),
        ([6, 4], {'weight': True, 'reduction': 'sum'}, 1),
        ([6, 4], {'weight': True, 'reduction': 'none'}, 1),
        ([5, 3], {'labelSmoothing': 0.1}, 0),
        ([5, 3], {'labelSmoothing': 0.2, 'reduction': 'sum'}, 1),
        ([5, 3], {'labelSmoothing': 0.3, 'reduction': 'none'}, 1),
        ([6, 4], {'labelSmoothing': 0.15}, 2),
        ([6, 4], {'labelSmoothing': 0.15, 'weight': True}, 2),
        ([6, 4], {'labelSmoothing': 0.25, 'weight': True, 'reduction': 'sum'}, 1),
        ([6, 4], {'labelSmoothing': 0.25, 'weight': True, 'reduction': 'none'}, 1),
        ([2, 3, 4], {}, 0),
        ([2, 3, 4, 5], {}, 0),
        ([2, 4, 3, 3], {'ignoreIndex': 255}, 3),
        ([2, 4, 3, 3], {'weight': True, 'ignoreIndex': -100}, 3),
        ([2, 4, 3, 3], {'reduction': 'none', 'labelSmoothing': 0.1}, 2),
        ([3, 5, 7], {'weight': True, 'labelSmoothing': 0.2, 'ignoreIndex': -100}, 4),
        ([3, 5, 7], {'reduction': 'sum', 'labelSmoothing': 0.05}, 0),
    ]
    for shape, opts, ignored in configs:
        seed += 1
        gen = torch.Generator().manual_seed(seed)
        logits = randn(gen, *shape, scale=2.0)
        c = shape[1]
        positions = [shape[0]] + shape[2:]
        targets = torch.randint(0, c, positions, generator=gen)
        ignore_index = opts.get('ignoreIndex', -100)
        flat = targets.view(-1)
        for k in torch.randperm(flat.numel(), generator=gen)[:ignored].tolist():
            flat[k] = ignore_index
        config = {k: v for k, v in opts.items() if k != 'weight'}
        weight = None
        if opts.get('weight'):
            weight = (torch.rand(c, generator=gen, dtype=torch.float32) * 2 + 0.1).to(torch.float32)
            config['weight'] = weight.tolist()

        def fn(ts, t=targets, w=weight, o=opts, ii=ignore_index):
            x = ts['logits']
            return F.cross_entropy(x, t, weight=None if w is None else w.to(x.dtype), ignore_index=ii,
                                   reduction=o.get('reduction', 'mean'), label_smoothing=o.get('labelSmoothing', 0.0))

        cases.append(run_case(f'crossEntropy {shape} {opts} ignored {ignored}', 'crossEntropy', config, {'logits': logits},
                              fn, seed, targets=targets.view(-1).tolist()))
    return cases


def main():
    cases = shape_cases() + argmax_cases() + activation_cases() + cross_entropy_cases()
    path = os.path.join(mf.OUT_DIR, 'wave2-ops.json')
    with open(path, 'w') as f:
        json.dump({'generator': 'scripts/make-wave2-fixtures.py', 'torch': torch.__version__, 'cases': cases}, f,
                  separators=(',', ':'))
        f.write('\n')
    print(f'wave2-ops.json: {len(cases)} cases, {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    main()
