#!/usr/bin/python3
"""PyTorch golden fixtures for gatedTanh, WaveNet's gated activation (test/fixtures/gated-tanh.json),
checked by test/fixtures-gated-tanh.test.ts.

Regenerate (Debian's python3-torch 1.13):

    /usr/bin/python3 scripts/make-gated-tanh-fixtures.py

Same case format and method as scripts/make-fixtures.py (whose helpers this imports): PyTorch computes
tanh(a)·sigmoid(b) with a, b = x.chunk(2, dim) in float64 from float32 inputs, checked against its own
float32 run; each case stores the output and the gradient of sum(output * g) for x. Shapes: WaveNet's
N×2C×T along dim 1, other dims (negative too), and inputs wide enough to saturate tanh and sigmoid.
"""
import importlib.util
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location('make_fixtures', os.path.join(HERE, 'make-fixtures.py'))
mf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mf)
run_case, randn = mf.run_case, mf.randn

torch.set_num_threads(2)


def gated_tanh(x, dim):
    a, b = x.chunk(2, dim)
    return torch.tanh(a) * torch.sigmoid(b)


def cases():
    out = []
    seed = 9100
    for shape, dim, scale in [([2, 8, 37], 1, 1.5), ([3, 4, 6], -1, 2.0), ([6, 5], 0, 3.0), ([2, 2, 3, 4], 1, 6.0),
                              ([1, 32, 300], 1, 1.0)]:
        seed += 1
        x = randn(torch.Generator().manual_seed(seed), *shape, scale=scale)
        out.append(run_case(f'gatedTanh {shape} dim {dim} scale {scale}', 'gatedTanh', {'dim': dim}, {'x': x},
                            lambda ts, d=dim: gated_tanh(ts['x'], d), seed))
    return out


def main():
    all_cases = cases()
    path = os.path.join(mf.OUT_DIR, 'gated-tanh.json')
    with open(path, 'w') as f:
        json.dump({'generator': 'scripts/make-gated-tanh-fixtures.py', 'torch': torch.__version__, 'cases': all_cases}, f,
                  separators=(',', ':'))
        f.write('\n')
    print(f'gated-tanh.json: {len(all_cases)} cases, {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    main()
