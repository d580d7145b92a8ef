#!/usr/bin/python3
"""Conv suite: atrous vs PyTorch, side by side, interleaved in one run.

Usage (after `npm run bench:native` has built build-native/atrous_bench):
    /usr/bin/python3 scripts/bench-conv-vs-torch.py [--rounds 3] [--repeats 5] [--threads 2] [--shapes S1,S4]
        [--passes fwd,bwd-data,bwd-weight] [--paths auto,direct,...] [--bench PATH[,PATH]]

For each shape of native/bench/conv-suite.json and each pass (fwd, bwd-data, bwd-weight), it
alternates `atrous_bench conv --shape ID --pass P` (ours, in its own process, timed inside it) with
PyTorch timing the same pass in this process, `rounds` times, and reports the median of each side's
per-round medians as nominal GFLOP/s and their ratio. Needs Debian's python3-torch (apt).
PyTorch's causal conv1d (S5) is F.pad followed by conv1d, as PyTorch code does it.

To compare ways of running ours in the same rounds: --paths auto,direct,channels_last runs each forced
path (ATROUS_CONV_PATH; auto is the planner's choice) as its own column, and --bench A,B runs each
build's bench (two checkouts' build-native/atrous_bench); every variant alternates with PyTorch.
--passes fwd,bwd-data limits the passes.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSES = ["fwd", "bwd-data", "bwd-weight"]


def geometry(s):
    one_d = s["dims"] == 1
    pad = s["pad"]
    return dict(one_d=one_d, causal=bool(s.get("causal")), pad=pad, k=s["k"], stride=s["stride"], dil=s["dil"],
                groups=s["groups"], N=s["N"], Cin=s["Cin"], Cout=s["Cout"], H=s["H"], W=s["W"])


def flops(g):
    if g["one_d"]:
        lp = g["W"] + (g["pad"] if g["causal"] else 2 * g["pad"])
        ow = (lp - g["dil"] * (g["k"] - 1) - 1) // g["stride"] + 1
        return 2.0 * g["N"] * g["Cout"] * ow * (g["Cin"] // g["groups"]) * g["k"]
    span = g["dil"] * (g["k"] - 1) + 1
    oh = (g["H"] + 2 * g["pad"] - span) // g["stride"] + 1
    ow = (g["W"] + 2 * g["pad"] - span) // g["stride"] + 1
    return 2.0 * g["N"] * g["Cout"] * oh * ow * (g["Cin"] // g["groups"]) * g["k"] * g["k"]


def torch_runner(g, pass_name):
    torch.manual_seed(0)
    if g["one_d"]:
        x = torch.randn(g["N"], g["Cin"], g["W"])
        w = torch.randn(g["Cout"], g["Cin"] // g["groups"], g["k"])
        conv = F.conv1d
    else:
        x = torch.randn(g["N"], g["Cin"], g["H"], g["W"])
        w = torch.randn(g["Cout"], g["Cin"] // g["groups"], g["k"], g["k"])
        conv = F.conv2d
    b = torch.randn(g["Cout"])
    pad = 0 if g["causal"] else g["pad"]

    def prepared(t):
        return F.pad(t, (g["pad"], 0)) if g["causal"] else t

    def forward():
        with torch.no_grad():
            return conv(prepared(x), w, b, stride=g["stride"], padding=pad, dilation=g["dil"], groups=g["groups"])

    y = forward()
    dy = torch.randn_like(y)
    xp = prepared(x)
    nd = 1 if g["one_d"] else 2
    args = dict(bias_sizes=[g["Cout"]], stride=[g["stride"]] * nd, padding=[pad] * nd, dilation=[g["dil"]] * nd,
                transposed=False, output_padding=[0] * nd, groups=g["groups"])

    def backward(mask):
        return torch.ops.aten.convolution_backward(dy, xp, w, args["bias_sizes"], args["stride"], args["padding"],
                                                   args["dilation"], args["transposed"], args["output_padding"],
                                                   args["groups"], mask)

    if pass_name == "fwd":
        return forward
    if pass_name == "bwd-data":
        return lambda: backward([True, False, False])
    return lambda: backward([False, True, False])


def median_seconds(run, repeats):
    run()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def ours_seconds(bench, shape_id, pass_name, repeats, threads, path="auto"):
    env = dict(os.environ, ATROUS_NUM_THREADS=str(threads))
    if path != "auto":
        env["ATROUS_CONV_PATH"] = path
    out = subprocess.run([bench, "conv", "--shape", shape_id, "--pass", pass_name, "--repeats", str(repeats)],
                         check=True, capture_output=True, text=True, cwd=ROOT, env=env).stdout
    fields = dict(kv.split("=") for kv in out.split())
    return float(fields["seconds"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--shapes", default="")
    ap.add_argument("--passes", default=",".join(PASSES))
    ap.add_argument("--paths", default="auto")
    ap.add_argument("--bench", default=os.path.join(ROOT, "build-native", "atrous_bench"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    suite = json.load(open(os.path.join(ROOT, "native", "bench", "conv-suite.json")))["shapes"]
    wanted = set(filter(None, a.shapes.split(",")))
    passes = [p for p in a.passes.split(",") if p]
    for p in passes:
        if p not in PASSES:
            sys.exit(f"--passes expects some of {','.join(PASSES)}, but got '{p}'")
    benches = [b for b in a.bench.split(",") if b]
    variants = [(b, path) for b in benches for path in a.paths.split(",") if path]
    names = ["atrous"] if len(variants) == 1 else [
        (f"#{benches.index(b) + 1}:" if len(benches) > 1 else "") + path for b, path in variants]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# {' '.join(sys.argv)}")
    print(f"# machine: {cpu}, {os.cpu_count()} cpus; threads={a.threads}; torch {torch.__version__} "
          f"(mkldnn={torch.backends.mkldnn.is_available()}); python {platform.python_version()}")
    for i, b in enumerate(benches):
        if len(benches) > 1:
            print(f"# #{i + 1}: {b}")
    print(f"# nominal GFLOP/s, median over {a.rounds} interleaved rounds of median-of-{a.repeats}; "
          "ratio = torch time / atrous time")
    print(f"{'id':4} {'pass':10} " + " ".join(f"{n:>18}" for n in names) + f" {'torch':>8} " +
          " ".join(f"{'ratio':>6}" for _ in names))
    totals = {}
    for s in suite:
        if wanted and s["id"] not in wanted:
            continue
        g = geometry(s)
        fl = flops(g)
        for p in passes:
            run = torch_runner(g, p)
            ours, theirs = [[] for _ in variants], []
            for _ in range(a.rounds):
                for i, (b, path) in enumerate(variants):
                    ours[i].append(ours_seconds(b, s["id"], p, a.repeats, a.threads, path))
                theirs.append(median_seconds(run, a.repeats))
            o = [statistics.median(v) for v in ours]
            t = statistics.median(theirs)
            totals.setdefault(s["id"], [0.0, 0.0])
            totals[s["id"]][0] += o[0]
            totals[s["id"]][1] += t
            print(f"{s['id']:4} {p:10} " + " ".join(f"{fl / x * 1e-9:18.1f}" for x in o) +
                  f" {fl / t * 1e-9:8.1f} " + " ".join(f"{t / x:6.2f}" for x in o), flush=True)
    if passes == PASSES:
        print(f"\n# forward+backward (sum of the three passes' median times, {names[0]}): ratio = torch time / atrous time")
        for sid, (o, t) in totals.items():
            print(f"{sid:4} fwd+bwd    atrous {o * 1e3:8.1f} ms  torch {t * 1e3:8.1f} ms  ratio {t / o:5.2f}")


if __name__ == "__main__":
    main()
