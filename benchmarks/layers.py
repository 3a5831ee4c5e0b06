"""Fused vs composed vs PyTorch: forward + backward time of every two-implementation layer.

Run:  python benchmarks/layers.py [--rounds 4] [--repeats 3] [--only conv] [--markdown]

Each row times one forward and one backward on the workload shapes of the layers issue
(float32, PyTorch on the CPU with 2 threads, everything in one process) and prints median
milliseconds, the ratios fused / PyTorch and composed / fused, and for convolutions the
achieved GFLOP/s of the fused op (forward + backward = 3 GEMM-sized products).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from _malloc import keep_freed_memory

import autograd
import nn.functional as F
from autograd import Tensor


def _tensor(rng, shape, requires_grad=True):
    return Tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=requires_grad)


def _timings(step, repeats):
    """One round: let the cores settle, warm up, then ``repeats`` timed steps (seconds)."""
    # The other library's idle worker threads keep spinning for a while after their last
    # call (OpenBLAS's for ~0.1 s) and would steal these cores: let them park first.
    time.sleep(0.5)
    step()  # warm-up: first-touch page faults and caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def _median_ms(steps: dict, repeats: int, rounds: int) -> dict:
    """Median ms of each step, timed in ``rounds`` interleaved rounds.

    These machines drift (shared hosts, clock changes) over seconds: interleaving the
    libraries round by round exposes each to the same drift, so their ratio holds still.
    """
    samples = {key: [] for key in steps}
    for _ in range(rounds):
        for key, (step, share) in steps.items():
            samples[key] += _timings(step, max(1, round(repeats * share)))
    return {key: 1e3 * statistics.median(times) for key, times in samples.items()}


def _npgrad_step(fn, inputs, impl):
    def step():
        for t in inputs:
            t.grad = None
        out = fn(*inputs, impl=impl)
        out.backward(np.ones(out.shape, dtype=out.dtype))

    return step


def _torch_step(torch, fn, inputs):
    leaves = [torch.tensor(t.data, requires_grad=t.requires_grad) for t in inputs]

    def step():
        for t in leaves:
            t.grad = None
        out = fn(*leaves)
        out.backward(torch.ones_like(out))

    return step


def cases(torch):
    """(name, npgrad fn(*inputs, impl), torch fn, input shapes, GFLOP per fwd+bwd or None)."""
    tf = torch.nn.functional
    rows = []
    for x, w, pad in [
        ((64, 3, 32, 32), (32, 3, 7, 7), 3),
        ((64, 64, 32, 32), (64, 64, 3, 3), 1),
        ((64, 128, 16, 16), (128, 128, 3, 3), 1),
    ]:
        N, C, H, W = x
        Fo, _, KH, KW = w
        flops = 3 * 2 * N * Fo * H * W * C * KH * KW / 1e9  # same-size output
        rows.append((
            f"conv2d x{x} w{w} pad {pad}",
            lambda x, w, b, impl, p=pad: F.conv2d(x, w, b, padding=p, impl=impl),
            lambda x, w, b, p=pad: tf.conv2d(x, w, b, padding=p),
            [x, w, (Fo,)],
            flops,
        ))  # fmt: skip
    rows.append((
        "max_pool2d 2x2 (64,64,32,32)",
        lambda x, impl: F.max_pool2d(x, 2, impl=impl),
        lambda x: tf.max_pool2d(x, 2),
        [(64, 64, 32, 32)],
        None,
    ))  # fmt: skip
    rows.append((
        "avg_pool2d 2x2 (64,64,32,32)",
        lambda x, impl: F.avg_pool2d(x, 2, impl=impl),
        lambda x: tf.avg_pool2d(x, 2),
        [(64, 64, 32, 32)],
        None,
    ))  # fmt: skip
    rows.append((
        "batch_norm train (64,64,32,32)",
        lambda x, g, b, impl: F.batch_norm(x, None, None, g, b, training=True, impl=impl),
        lambda x, g, b: tf.batch_norm(x, None, None, g, b, training=True),
        [(64, 64, 32, 32), (64,), (64,)],
        None,
    ))  # fmt: skip
    rows.append((
        "layer_norm (256,1024)",
        lambda x, g, b, impl: F.layer_norm(x, (1024,), g, b, impl=impl),
        lambda x, g, b: tf.layer_norm(x, (1024,), g, b),
        [(256, 1024), (1024,), (1024,)],
        None,
    ))  # fmt: skip
    rows.append((
        "group_norm 32 groups (64,64,32,32)",
        lambda x, g, b, impl: F.group_norm(x, 32, g, b, impl=impl),
        lambda x, g, b: tf.group_norm(x, 32, g, b),
        [(64, 64, 32, 32), (64,), (64,)],
        None,
    ))  # fmt: skip
    rows.append((
        "instance_norm (64,64,32,32)",
        lambda x, g, b, impl: F.instance_norm(x, g, b, impl=impl),
        lambda x, g, b: tf.instance_norm(x, weight=g, bias=b),
        [(64, 64, 32, 32), (64,), (64,)],
        None,
    ))  # fmt: skip
    target = np.random.default_rng(0).integers(0, 10, 256)
    rows.append((
        "cross_entropy (256,10)",
        lambda x, impl: F.cross_entropy(x, target, impl=impl),
        lambda x: tf.cross_entropy(x, torch.tensor(target)),
        [(256, 10)],
        None,
    ))  # fmt: skip
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds per layer")
    parser.add_argument("--only", default="", help="run rows whose name contains this")
    parser.add_argument(
        "--default-malloc", action="store_true", help="keep glibc's thresholds (see _malloc.py)"
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    if not args.default_malloc:
        keep_freed_memory()
    try:
        import torch
    except ImportError:
        raise SystemExit("benchmarks/layers.py needs PyTorch: pip install torch==2.13.0") from None
    torch.set_num_threads(2)
    autograd.manual_seed(0)
    rng = np.random.default_rng(0)

    header = (
        "layer",
        "fused ms",
        "composed ms",
        "torch ms",
        "fused/torch",
        "comp/fused",
        "GFLOP/s",
    )
    fmt = "{:<38}{:>10}{:>13}{:>10}{:>13}{:>12}{:>9}"
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
    else:
        print(fmt.format(*header))
    for name, ours, theirs, shapes, gflop in cases(torch):
        if args.only not in name:
            continue
        inputs = [_tensor(rng, s) for s in shapes]
        steps = {
            "fused": (_npgrad_step(ours, inputs, "fused"), 1.0),
            "composed": (_npgrad_step(ours, inputs, "composed"), 0.5),
            "torch": (_torch_step(torch, theirs, inputs), 1.0),
        }
        ms = _median_ms(steps, args.repeats, args.rounds)
        fused, composed, reference = ms["fused"], ms["composed"], ms["torch"]
        cells = (
            name,
            f"{fused:.1f}",
            f"{composed:.1f}",
            f"{reference:.1f}",
            f"{fused / reference:.2f}x",
            f"{composed / fused:.2f}x",
            f"{gflop / fused * 1e3:.0f}" if gflop else "",
        )
        print("| " + " | ".join(cells) + " |" if args.markdown else fmt.format(*cells), flush=True)


if __name__ == "__main__":
    main()
