#!/usr/bin/python3
"""PyTorch's side of scripts/bench-api-vs-torch.mjs: a long-lived worker, so that torch is imported once
and its timings can alternate with ours round by round. Reads one JSON request per line on stdin,
answers one JSON line on stdout:

  {"op": "version"}                                   -> {"torch": "1.13.0", "mkldnn": true, "threads": 2,
                                                          "blas": "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"}
  {"op": "conv", "shape": {suite entry}, "pass": "fwd" | "fwdbwd", "repeats": R}
  {"op": "linear", "m": M, "n": N, "k": K, "repeats": R}  -> {"seconds": median of R timings after a warm-up}

conv is used as PyTorch users call it: F.conv2d / F.conv1d with a bias (not requiring grad); fwdbwd has
input and weight requiring grad, clears their .grad, then y.sum().backward(). The causal conv1d (S5)
is F.pad on the left then F.conv1d, as PyTorch code writes it. linear is x @ w.T, x M x K, w N x K.
Usage: started by the bench with --threads N; not meant to be run by hand.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F


WARM_UP_CALLS = 30  # as scripts/bench-api-vs-torch.mjs: 30 calls or 1.5 s, whichever comes first
WARM_UP_SECONDS = 1.5


def median_seconds(run, repeats):
    start = time.perf_counter()
    for calls in range(WARM_UP_CALLS):
        run()
        if calls >= 1 and time.perf_counter() - start >= WARM_UP_SECONDS:
            break
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def conv_runner(s, pass_name):
    one_d = s["dims"] == 1
    causal = bool(s.get("causal"))
    grad = pass_name == "fwdbwd"
    cin_g = s["Cin"] // s["groups"]
    x = torch.randn(*([s["N"], s["Cin"], s["W"]] if one_d else [s["N"], s["Cin"], s["H"], s["W"]]), requires_grad=grad)
    w = torch.randn(*([s["Cout"], cin_g, s["k"]] if one_d else [s["Cout"], cin_g, s["k"], s["k"]]), requires_grad=grad)
    b = torch.randn(s["Cout"])
    conv = F.conv1d if one_d else F.conv2d
    pad = 0 if causal else s["pad"]

    def forward():
        xi = F.pad(x, (s["pad"], 0)) if causal else x
        return conv(xi, w, b, stride=s["stride"], padding=pad, dilation=s["dil"], groups=s["groups"])

    if not grad:
        return forward

    def forward_backward():
        x.grad = None
        w.grad = None
        forward().sum().backward()

    return forward_backward


def linear_runner(m, n, k):
    x = torch.randn(m, k)
    w = torch.randn(n, k)
    return lambda: x @ w.T


def blas_library():
    """The BLAS shared library this process loaded (Debian's torch takes whichever libblas.so.3 the
    alternatives point at: the reference BLAS makes x @ w.T ~50x slower than OpenBLAS)."""
    x = torch.ones(2, 2)
    x @ x  # BLAS is loaded lazily on some builds
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.rsplit("/", 1)[-1].lower()}
    return ", ".join(sorted(paths)) or "none found in /proc/self/maps"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    for line in sys.stdin:
        req = json.loads(line)
        if req["op"] == "version":
            out = {"torch": torch.__version__, "mkldnn": torch.backends.mkldnn.is_available(), "threads": torch.get_num_threads(),
                   "blas": blas_library()}
        elif req["op"] == "conv":
            out = {"seconds": median_seconds(conv_runner(req["shape"], req["pass"]), req["repeats"])}
        elif req["op"] == "linear":
            out = {"seconds": median_seconds(linear_runner(req["m"], req["n"], req["k"]), req["repeats"])}
        else:
            out = {"error": f"unknown op {req['op']!r}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
