"""Fashion-MNIST for the PyTorch sides of the benchmarks: the IDX files (.gz or plain) as atrous reads
them (lib/data/fashion-mnist.ts), normalised with atrous's mean and std. Imported by
scripts/train-torch-reference.py and scripts/bench-tcn-torch.py."""
import gzip
import os

import numpy as np
import torch

MEAN, STD = 0.286, 0.353


def read_idx(path):
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    ndims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndims).reshape(shape)


def find(data, base):
    for name in (base + ".gz", base):
        if os.path.exists(os.path.join(data, name)):
            return os.path.join(data, name)
    raise FileNotFoundError(f"Fashion-MNIST: '{data}' lacks {base}[.gz]")


def load(data, split):
    """(N x 1 x 28 x 28 float32 normalised images, N int64 labels) of split 'train' or 't10k'."""
    images = read_idx(find(data, f"{split}-images-idx3-ubyte"))
    labels = read_idx(find(data, f"{split}-labels-idx1-ubyte"))
    x = (torch.from_numpy(images.astype(np.float32)) / 255.0 - MEAN) / STD
    return x.unsqueeze(1), torch.from_numpy(labels.astype(np.int64))
