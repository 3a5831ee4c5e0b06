"""The same training run with fused and with composed layers: same curves, different speed.

Run:  python examples/experiments/fused_vs_composed.py      # Digits, about 10 s on 2 cores
      python -m examples.experiments.fused_vs_composed --epochs 20 --optimizer adam
      python examples/experiments/fused_vs_composed.py --dataset cifar10 --data-dir ~/data

Two models, ThreeLayerConvNet (conv - relu - pool - linear - relu - linear; for Digits 64
3x3 filters and 256 hidden units, as examples/train.py builds it) and a FullyConnectedNet
with BatchNorm1d (hidden 100, 100, 100), are each built twice from the same seed, once with
impl="fused" (one graph node per layer, a hand-derived VJP) and once with impl="composed"
(the layer built from autograd primitives, the engine derives the gradient), and trained
with SGD + momentum (or --optimizer adam) on the same minibatches. The two runs compute the
same function with float32 operations in a different order, so they differ only by
round-off, which training may amplify. Reported per model: the max |loss difference| over
all iterations, the max |difference| of the final parameters and buffers and of the final
val logits, and each implementation's training time per epoch. The loss itself is
F.cross_entropy's default (fused) implementation in both runs.

Why SGD with momentum by default, not Adam: the gradient of a Linear bias that feeds a batch
norm is mathematically zero (the norm subtracts the mean), so numerically it is round-off
of either sign. Adam divides by the gradient's own running RMS and turns that noise into
steps of size lr, so with --optimizer adam those biases, and the running means they shift,
drift apart by up to lr per step. The training-mode outputs (the losses) still agree, but
the eval-mode ones differ a little, as the running means lag behind the drifting biases.

Writes to --out (default runs/experiments/fused_vs_composed): fused_vs_composed.png (both
loss curves, and their difference per iteration on a log scale), results.md / results.csv
and history.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the `examples` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

import autograd  # noqa: E402
from examples.experiments import harness, report  # noqa: E402
from examples.training import build_model, build_optimizer  # noqa: E402

NAME = "fused_vs_composed"
MODELS = {  # label -> build_model's name and keyword arguments
    "ThreeLayerConvNet": ("convnet", {}),
    "FC net + batchnorm": ("mlp", {"norm": "batch", "hidden_dims": [100, 100, 100]}),
}
IMPLS = ("fused", "composed")


def parse_args(argv=None):
    p = harness.make_parser(NAME, __doc__, epochs=10)
    p.add_argument(
        "--optimizer",
        choices=("momentum", "adam"),
        default="momentum",
        help="SGD with momentum 0.9, or Adam (see the note above)",
    )
    p.add_argument("--lr", type=float, default=None, help="default 0.02 (momentum), 1e-3 (adam)")
    p.add_argument("--batch-size", type=int, default=50)
    args = harness.parse_args(p, argv)
    if args.lr is None:
        args.lr = 0.02 if args.optimizer == "momentum" else 1e-3
    return args


def max_state_difference(a, b) -> float:
    """The largest |difference| over every float entry of two state dicts."""
    return max(
        float(np.max(np.abs(a[k].astype(np.float64) - b[k]), initial=0.0))
        for k in a
        if np.issubdtype(a[k].dtype, np.floating)
    )


def main(argv=None):
    args = parse_args(argv)
    train, val, num_classes = harness.load_data(args)

    runs, results = {}, []
    for label, (name, kwargs) in MODELS.items():
        states, logits = {}, {}
        for impl in IMPLS:
            autograd.manual_seed(args.seed)  # the same initial weights for both
            model = build_model(name, train.x.shape[1:], num_classes, impl=impl, **kwargs)
            optimizer = build_optimizer(args.optimizer, model.parameters(), args.lr)
            runs[label, impl] = harness.track(
                f"{label} {impl}",
                model,
                optimizer,
                train,
                val,
                args.epochs,
                args.batch_size,
                args.seed,
            )
            states[impl] = model.state_dict()
            model.eval()
            with autograd.no_grad():
                logits[impl] = model(autograd.Tensor(val.x)).data
        fused, composed = (runs[label, impl] for impl in IMPLS)
        loss_diff = np.abs(np.subtract(fused.iter_loss, composed.iter_loss))
        results.append(
            {
                "model": label,
                "iterations": len(loss_diff),
                "max loss diff": float(loss_diff.max()),
                "max param diff": max_state_difference(states["fused"], states["composed"]),
                "max logit diff": float(np.max(np.abs(logits["fused"] - logits["composed"]))),
                "val acc fused": fused.val_acc[-1],
                "val acc composed": composed.val_acc[-1],
                "s/epoch fused": fused.seconds_per_epoch(),
                "s/epoch composed": composed.seconds_per_epoch(),
            }
        )

    loss_series, diff_series = [], []
    for i, label in enumerate(MODELS):
        fused, composed = (runs[label, impl] for impl in IMPLS)
        x = list(range(1, len(fused.iter_loss) + 1))
        loss_series += [
            report.Series(
                x, fused.iter_loss, f"{label}, fused", {"color": f"C{i}", "lw": 2.5, "alpha": 0.5}
            ),
            report.Series(
                x, composed.iter_loss, f"{label}, composed", {"color": "k", "lw": 0.8, "ls": "--"}
            ),
        ]
        diff = np.abs(np.subtract(fused.iter_loss, composed.iter_loss))
        nonzero = np.flatnonzero(diff)  # a log axis has no 0: equal losses are left out
        diff_series.append(
            report.Series(
                nonzero + 1, diff[nonzero], label, {"color": f"C{i}", "marker": ".", "ls": ""}
            )
        )
    panels = [
        report.Panel("training loss (minibatch)", "iteration", "cross-entropy loss", loss_series),
        report.Panel(
            "|fused - composed| loss (0 not drawn)",
            "iteration",
            "absolute difference",
            diff_series,
            yscale="log",
        ),
    ]
    report.save_figure(
        args.out / f"{NAME}.png", f"Fused vs composed layers, same seed, {args.dataset}", panels
    )

    columns = [
        ("model", ""),
        ("iterations", "d"),
        ("max loss diff", ".1e"),
        ("max param diff", ".1e"),
        ("max logit diff", ".1e"),
        ("val acc fused", ".1%"),
        ("val acc composed", ".1%"),
        ("s/epoch fused", ".2f"),
        ("s/epoch composed", ".2f"),
    ]
    rows = [[r[name] for name, _ in columns] for r in results]
    title = f"{NAME} on {args.dataset}"
    print(report.write_table(args.out, columns, rows, title, harness.TIMING_NOTE))
    report.save_history(args.out / "history.json", {c.label: c.as_dict() for c in runs.values()})
    return results


if __name__ == "__main__":
    harness.run(main, NAME)
