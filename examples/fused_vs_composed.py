"""Every two-implementation layer, fused against composed against central differences.

Run:  python examples/fused_vs_composed.py [--seed 0] [--out runs/fused_vs_composed.md]

For each layer of nn.functional that exists twice, runs ``F.compare_impls`` on the same
random float64 inputs (small shapes, so the numeric gradient is quick) and prints one
table: for the output and for every input's gradient, the max absolute and relative
difference between fused and composed, and each one's max difference from the
central-difference gradient; then the graph node count and the forward + backward time of
each implementation. The same table is written as Markdown to --out.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import autograd
import nn.functional as F
from autograd import Tensor


def layer_cases(rng):
    """(label, function, positional inputs, keyword arguments) for every layer."""

    def t(*shape, grad=True, positive=False):
        data = rng.uniform(0.5, 1.5, shape) if positive else rng.standard_normal(shape)
        return Tensor(data, requires_grad=grad)

    def buffers(c):
        return {"running_mean": t(c, grad=False), "running_var": t(c, grad=False, positive=True)}

    return [
        ("conv2d", F.conv2d, (t(2, 3, 7, 6), t(4, 3, 3, 2), t(4)), {"stride": 2, "padding": 1}),
        ("max_pool2d", F.max_pool2d, (t(2, 3, 6, 7), 3), {"stride": 2, "padding": 1}),
        ("avg_pool2d", F.avg_pool2d, (t(2, 3, 6, 7), 2), {"padding": 1}),
        ("batch_norm (N,D)", F.batch_norm, (t(6, 5),),
         {**buffers(5), "weight": t(5), "bias": t(5), "training": True}),
        ("batch_norm spatial", F.batch_norm, (t(3, 4, 3, 5),),
         {**buffers(4), "weight": t(4), "bias": t(4), "training": True}),
        ("layer_norm", F.layer_norm, (t(4, 3, 5), (3, 5)), {"weight": t(3, 5), "bias": t(3, 5)}),
        ("group_norm", F.group_norm, (t(3, 6, 2, 3), 3), {"weight": t(6), "bias": t(6)}),
        ("instance_norm", F.instance_norm, (t(3, 4, 3, 3),), {"weight": t(4), "bias": t(4)}),
        ("switchable_norm", F.switchable_norm, (t(3, 4, 3, 3), t(3), t(3)),
         {**buffers(4), "weight": t(4), "bias": t(4), "training": True}),
        ("cross_entropy", F.cross_entropy, (t(6, 5), rng.integers(0, 5, 6)), {}),
    ]  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/fused_vs_composed.md")
    args = parser.parse_args(argv)
    autograd.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    header = ["layer", "value", "max |f-c|", "max rel", "max |f-num|", "max |c-num|",
              "nodes f/c", "ms f/c"]  # fmt: skip
    rows = []
    for label, fn, inputs, kwargs in layer_cases(rng):
        report = F.compare_impls(fn, *inputs, numeric=True, seed=args.seed, **kwargs)
        for i, r in enumerate(report.rows):
            first = i == 0
            rows.append([
                label if first else "",
                r.name,
                f"{r.max_abs:.1e}",
                f"{r.max_rel:.1e}",
                "" if r.fused_vs_numeric is None else f"{r.fused_vs_numeric:.1e}",
                "" if r.composed_vs_numeric is None else f"{r.composed_vs_numeric:.1e}",
                f"{report.nodes['fused']}/{report.nodes['composed']}" if first else "",
                "/".join(f"{1e3 * s:.2f}" for s in report.seconds.values()) if first else "",
            ])  # fmt: skip
    widths = [max(len(str(row[k])) for row in [header, *rows]) for k in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    out.write_text("\n".join(lines) + "\n")
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
