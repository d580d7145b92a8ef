#!/usr/bin/python3
"""PyTorch fixture for the resize behind the Fashion-MNIST scenes (lib/data/fashion-scenes.ts):
test/fixtures/resize-bilinear.json, checked by test/data-fashion-scenes.test.ts.

Regenerate (Debian's python3-torch 1.13):

    /usr/bin/python3 scripts/make-scene-fixtures.py

Each case is torch.nn.functional.interpolate(x, size, mode='bilinear', align_corners=False) of a byte
image, evaluated in float64 and stored unrounded as float32 ({"shape", "f32": base64 little-endian}).
Inputs: the first two test images of the embedded Fashion-MNIST subset (data/fashion-mnist-small) at
the scene sizes 21, 28, 35, 42 (0.75x-1.5x) and 25x31, and a seeded 7x9 random byte image shrunk and
stretched to 5x13. The output is deterministic.
"""
import base64
import gzip
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(2)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def enc(a):
    a = np.asarray(a, dtype=np.float32)
    return {'shape': list(a.shape), 'f32': base64.b64encode(a.tobytes()).decode('ascii')}


def embedded_images(count):
    with gzip.open(os.path.join(ROOT, 'data', 'fashion-mnist-small', 't10k-images-idx3-ubyte.gz')) as f:
        raw = f.read()
    return np.frombuffer(raw[16:16 + count * 784], dtype=np.uint8).reshape(count, 28, 28)


def case(name, image, size):
    x = torch.tensor(image, dtype=torch.float64)[None, None]
    y = F.interpolate(x, size=size, mode='bilinear', align_corners=False)[0, 0]
    return {'name': name, 'input': enc(image), 'size': list(size), 'output': enc(y.numpy())}


def main():
    cases = []
    for i, image in enumerate(embedded_images(2)):
        for size in [(21, 21), (28, 28), (35, 35), (42, 42), (25, 31)]:
            cases.append(case(f'test image {i} to {size[0]}x{size[1]}', image, size))
    noise = np.random.RandomState(7).randint(0, 256, size=(7, 9)).astype(np.uint8)
    cases.append(case('random 7x9 to 5x13', noise, (5, 13)))
    out = {'generator': 'scripts/make-scene-fixtures.py', 'torch': torch.__version__, 'cases': cases}
    path = os.path.join(ROOT, 'test', 'fixtures', 'resize-bilinear.json')
    with open(path, 'w') as f:
        json.dump(out, f, indent=1)
    print(f'wrote {path}: {len(cases)} cases')


if __name__ == '__main__':
    main()
