"""Per-op Python overhead: a long chain of elementwise ops on tiny tensors, npgrad vs PyTorch.

Run:  python benchmarks/overhead.py [--ops 1000] [--repeats 30] [--warmup 3]

On shape (4,) float32 the arithmetic is free, so the time per op is the framework's own
cost: building a graph node in forward and running one VJP in backward. Each run builds a
chain of ``--ops`` ops cycling through the same six ops in both libraries (x * 0.9, x + 0.1,
tanh, x - c, exp, sigmoid; the values stay in a bounded range), then backpropagates from its
sum. Forward and backward are timed separately; the table shows the median of ``--repeats``
runs after ``--warmup`` runs, as microseconds per op, with PyTorch on the CPU limited to 2
threads, everything in one process. A bare NumPy loop (forward only, and a hand-written
backward over the saved values) shows the floor that any NumPy-based engine starts from.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import time

import numpy as np

from autograd import Tensor

SHAPE = (4,)
SCALE, SHIFT = np.float32(0.9), np.float32(0.1)


def _npgrad_chain(x, c, n_ops):
    y = x
    for i in range(n_ops):
        kind = i % 6
        if kind == 0:
            y = y * 0.9
        elif kind == 1:
            y = y + 0.1
        elif kind == 2:
            y = y.tanh()
        elif kind == 3:
            y = y - c
        elif kind == 4:
            y = y.exp()
        else:
            y = y.sigmoid()
    return y


def _torch_chain(torch, x, c, n_ops):
    y = x
    for i in range(n_ops):
        kind = i % 6
        if kind == 0:
            y = y * 0.9
        elif kind == 1:
            y = y + 0.1
        elif kind == 2:
            y = torch.tanh(y)
        elif kind == 3:
            y = y - c
        elif kind == 4:
            y = torch.exp(y)
        else:
            y = torch.sigmoid(y)
    return y


def _numpy_forward(x, c, n_ops):
    """The same chain on bare ndarrays, keeping what a backward needs (as an engine would)."""
    y, saved = x, []
    for i in range(n_ops):
        kind = i % 6
        if kind == 0:
            y = y * SCALE
        elif kind == 1:
            y = y + SHIFT
        elif kind == 2:
            y = np.tanh(y)
        elif kind == 3:
            y = y - c
        elif kind == 4:
            y = np.exp(y)
        else:
            y = 1 / (1 + np.exp(-y))
        saved.append(y)
    return y, saved


def _numpy_backward(saved, n_ops):
    """The chain's VJPs by hand, from the saved outputs (the floor for any engine's backward)."""
    g = np.ones(SHAPE, dtype=np.float32)
    for i in range(n_ops - 1, -1, -1):
        kind, out = i % 6, saved[i]
        if kind == 0:
            g = g * SCALE
        elif kind == 2:
            g = g * (1 - out * out)
        elif kind == 4:
            g = g * out
        elif kind == 5:
            g = g * (out * (1 - out))
        # add and sub pass the gradient through unchanged
    return g


def _time(forward, backward, repeats, warmup):
    """Median forward and backward seconds over ``repeats`` runs after ``warmup`` runs."""
    fwd, bwd = [], []
    for k in range(warmup + repeats):
        gc.collect()  # start every run from the same heap state
        start = time.perf_counter()
        state = forward()
        middle = time.perf_counter()
        backward(state)
        end = time.perf_counter()
        if k >= warmup:
            fwd.append(middle - start)
            bwd.append(end - middle)
    return statistics.median(fwd), statistics.median(bwd)


def bench_npgrad(n_ops, repeats, warmup):
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal(SHAPE).astype(np.float32), requires_grad=True)
    c = Tensor(np.full(SHAPE, 0.5, dtype=np.float32))

    def forward():
        x.grad = None
        return _npgrad_chain(x, c, n_ops).sum()

    def backward(loss):
        loss.backward()

    result = _time(forward, backward, repeats, warmup)
    return result, x.grad.data


def bench_torch(torch, n_ops, repeats, warmup):
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal(SHAPE).astype(np.float32), requires_grad=True)
    c = torch.full(SHAPE, 0.5, dtype=torch.float32)

    def forward():
        x.grad = None
        return _torch_chain(torch, x, c, n_ops).sum()

    def backward(loss):
        loss.backward()

    result = _time(forward, backward, repeats, warmup)
    return result, x.grad.numpy()


def bench_numpy(n_ops, repeats, warmup):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE).astype(np.float32)
    c = np.full(SHAPE, 0.5, dtype=np.float32)
    grads = []

    def forward():
        return _numpy_forward(x, c, n_ops)[1]

    def backward(saved):
        grads.append(_numpy_backward(saved, n_ops))

    result = _time(forward, backward, repeats, warmup)
    return result, grads[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1000, help="ops in the chain")
    parser.add_argument("--repeats", type=int, default=30, help="timed runs (median taken)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first")
    args = parser.parse_args()

    try:
        import torch
    except ImportError:
        torch = None

    n = args.ops
    rows = {"npgrad": bench_npgrad(n, args.repeats, args.warmup)}
    if torch is not None:
        torch.set_num_threads(2)
        rows["PyTorch"] = bench_torch(torch, n, args.repeats, args.warmup)
    rows["NumPy loop"] = bench_numpy(n, args.repeats, args.warmup)

    # the three must compute the same gradient, or the timing compares different work
    reference = rows["npgrad"][1]
    for name, (_, grad) in rows.items():
        np.testing.assert_allclose(grad, reference, rtol=1e-4, err_msg=name)

    versions = f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else "")
    print(
        f"chain of {n} elementwise ops on shape {SHAPE} float32, median of {args.repeats} runs "
        f"after {args.warmup} warm-up; Python {platform.python_version()}, {versions}"
        + (", torch threads 2" if torch else ", PyTorch not installed")
    )
    header = ("fwd us/op", "bwd us/op", "fwd+bwd", "fwd ratio", "bwd ratio")
    print(f"{'':12} " + " ".join(f"{h:>10}" for h in header))
    base = rows.get("PyTorch", (None,))[0]
    for name, ((fwd, bwd), _) in rows.items():
        fwd_us, bwd_us = 1e6 * fwd / n, 1e6 * bwd / n
        ratios = ("", "")
        if base is not None:
            ratios = (f"{fwd / base[0]:.2f}x", f"{bwd / base[1]:.2f}x")
        print(
            f"{name:12} {fwd_us:10.2f} {bwd_us:10.2f} {fwd_us + bwd_us:10.2f} "
            f"{ratios[0]:>10} {ratios[1]:>10}"
        )
    if base is not None:
        print("ratios are each row's time / PyTorch's (npgrad/PyTorch in the npgrad row)")


if __name__ == "__main__":
    main()
