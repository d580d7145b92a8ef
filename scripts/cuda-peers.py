#!/usr/bin/env python3
"""Times cuBLAS and cuDNN (through PyTorch, TF32 off: float32 as ours) on the cases that
atrous_cuda_bench timed, and prints both side by side in one table. Rows whose pass ends in '-tf32'
(our TF32 tensor-core SGEMM: sgemm-N,nn-tf32, and the convolutions under --tf32) are timed against
cuBLAS and cuDNN with TF32 allowed (torch.backends.cuda.matmul.allow_tf32, cudnn.allow_tf32).

usage: python3 scripts/cuda-peers.py --ours build-cuda/ours.csv [--suite native/bench/conv-suite.json] [--repeats 5]
ours.csv is atrous_cuda_bench's output: '#' comment lines, then case,pass,gflop,ms.
Timing matches the bench: median over repeats of the mean of 5 back-to-back runs, synchronized.
"""
import argparse
import json
import statistics
import sys

import torch
import torch.nn.functional as F


def read_ours(path):
    comments, rows = [], []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if line.startswith('#'):
                comments.append(line)
                continue
            case, pass_, gflop, ms = line.split(',')
            if case == 'case':
                continue
            rows.append((case, pass_, float(gflop), float(ms)))
    return comments, rows


def median_ms(fn, repeats, inner=5):
    for _ in range(2):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(inner):
            fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / inner)
    return statistics.median(times)


def conv_runner(shape, pass_):
    """A closure running one pass of a suite shape with cuDNN. Asymmetric (causal) padding is applied
    to the input once, outside the timing, so only the convolution is timed."""
    dev = torch.device('cuda')
    one_d = shape['dims'] == 1
    n, cin, cout, k = shape['N'], shape['Cin'], shape['Cout'], shape['k']
    stride, dil, pad, groups = shape['stride'], shape['dil'], shape['pad'], shape['groups']
    if one_d:
        x = torch.randn(n, cin, shape['W'], device=dev)
        w = torch.randn(cout, cin // groups, k, device=dev)
        if shape.get('causal'):
            x = F.pad(x, (pad, 0))
            padding = [0]
        else:
            padding = [pad]
        stride_, dil_ = [stride], [dil]
    else:
        x = torch.randn(n, cin, shape['H'], shape['W'], device=dev)
        w = torch.randn(cout, cin // groups, k, k, device=dev)
        padding, stride_, dil_ = [pad, pad], [stride, stride], [dil, dil]
    b = torch.randn(cout, device=dev)
    conv = F.conv1d if one_d else F.conv2d
    y = conv(x, w, b, stride_, padding, dil_, groups)
    dy = torch.randn_like(y)
    if pass_ == 'fwd':
        return lambda: conv(x, w, b, stride_, padding, dil_, groups)
    mask = [True, False, False] if pass_ == 'bwd-data' else [False, True, False]
    out_pad = [0] * len(padding)
    return lambda: torch.ops.aten.convolution_backward(dy, x, w, None, stride_, padding, dil_, False, out_pad,
                                                       groups, mask)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ours', required=True)
    ap.add_argument('--suite', default='native/bench/conv-suite.json')
    ap.add_argument('--repeats', type=int, default=5)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit('cuda-peers: torch sees no CUDA device')
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    shapes = {s['id']: s for s in json.load(open(args.suite))['shapes']}
    comments, ours = read_ours(args.ours)

    for c in comments:
        print(c)
    print(f'# peers: torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, TF32 off '
          f'(on for the *-tf32 rows), {torch.cuda.get_device_name(0)}')
    print(f'# reproduce: python3 {" ".join(sys.argv)}')
    pw = max([10] + [len(r[1]) for r in ours])
    header = f'{"case":<12} {"pass":<{pw}} {"GFLOP":>8} {"ours ms":>9} {"peer ms":>9} {"ours TF/s":>9} ' \
             f'{"peer TF/s":>9} {"ours/peer":>9}  peer'
    print(header)
    print('-' * len(header))
    for case, pass_, gflop, ms in ours:
        tf32 = pass_.endswith('-tf32')
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        if case.startswith('sgemm-'):
            size = int(case.split('-')[1])
            a = torch.randn(size, size, device='cuda')
            bm = torch.randn(size, size, device='cuda')
            peer, name = median_ms(lambda: torch.matmul(a, bm), args.repeats), 'cuBLAS'
        else:
            base_pass = pass_[:-len('-tf32')] if tf32 else pass_
            peer, name = median_ms(conv_runner(shapes[case], base_pass), args.repeats), 'cuDNN'
        name += ' TF32' if tf32 else ''
        tf = lambda t: gflop / t if t > 0 else float('nan')  # GFLOP / ms = TFLOP/s
        print(f'{case:<12} {pass_:<{pw}} {gflop:>8.2f} {ms:>9.3f} {peer:>9.3f} {tf(ms):>9.2f} {tf(peer):>9.2f} '
              f'{peer / ms:>9.2f}  {name}')
        torch.cuda.empty_cache()


if __name__ == '__main__':
    main()
