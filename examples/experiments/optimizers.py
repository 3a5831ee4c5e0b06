"""SGD, SGD with momentum, RMSprop and Adam on the same net (CS231n assignment 2).

Run:  python examples/experiments/optimizers.py             # Digits, about 5 s on 2 cores
      python -m examples.experiments.optimizers --lr sgd=0.1 adam=3e-3 --epochs 20
      python examples/experiments/optimizers.py --dataset cifar10 --data-dir ~/data

A FullyConnectedNet with five hidden layers of 100 is trained from the same initial
weights (PyTorch's default initialisation, or N(0, --weight-scale^2)) on the same
minibatches by each update rule of --optimizers, each at its own learning rate (defaults
below; change one with --lr NAME=VALUE). "momentum" is SGD with momentum 0.9. Writes to
--out (default runs/experiments/optimizers): optimizers.png (the minibatch training loss per
iteration, lightly smoothed, and train and val accuracy per epoch), results.md /
results.csv and history.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the `examples` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

import autograd  # noqa: E402
import nn  # noqa: E402
from examples.experiments import harness, report  # noqa: E402
from examples.training import build_optimizer  # noqa: E402

NAME = "optimizers"
# each the best of a coarse grid (steps of 2-3x) for the default budget on Digits
LR = {"sgd": 0.2, "momentum": 0.05, "rmsprop": 3e-3, "adam": 3e-3}


def _lr(text):
    name, _, value = text.partition("=")
    if name not in LR or not value:
        raise argparse.ArgumentTypeError(
            f"expected NAME=VALUE with NAME one of {', '.join(LR)}, got {text!r}"
        )
    return name, float(value)


def parse_args(argv=None):
    p = harness.make_parser(NAME, __doc__, epochs=20)
    p.add_argument("--optimizers", nargs="+", choices=list(LR), default=list(LR))
    described = " ".join(f"{k}={v:g}" for k, v in LR.items())
    p.add_argument(
        "--lr",
        type=_lr,
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help=f"learning rates to change (defaults: {described})",
    )
    p.add_argument("--hidden", type=int, nargs="+", default=[100] * 5, help="hidden widths")
    p.add_argument("--weight-scale", type=float, default=None, help="default: PyTorch's init")
    p.add_argument("--batch-size", type=int, default=50)
    args = harness.parse_args(p, argv)
    args.lrs = {**LR, **dict(args.lr)}
    return args


def main(argv=None):
    args = parse_args(argv)
    train, val, num_classes = harness.load_data(args)

    runs, lrs = {}, {}
    for name in args.optimizers:
        autograd.manual_seed(args.seed)  # the same initial weights for every optimizer
        model = nn.models.FullyConnectedNet(
            args.hidden,
            input_dim=int(np.prod(train.x.shape[1:])),
            num_classes=num_classes,
            weight_scale=args.weight_scale,
        )
        optimizer = build_optimizer(name, model.parameters(), args.lrs[name])
        label = f"{name} (lr {args.lrs[name]:g})"
        runs[label] = harness.track(
            label, model, optimizer, train, val, args.epochs, args.batch_size, args.seed
        )
        lrs[label] = (name, args.lrs[name])

    panels = [
        report.loss_panel(runs, per="iteration"),
        report.epoch_panel(runs, "train_acc", "train accuracy"),
        report.epoch_panel(runs, "val_acc", "val accuracy"),
    ]
    depth = len(args.hidden) + 1
    report.save_figure(
        args.out / f"{NAME}.png", f"Update rules, {depth}-layer net on {args.dataset}", panels
    )

    columns = [
        ("optimizer", ""),
        ("lr", "g"),
        ("final train loss", ".4f"),
        ("train acc", ".1%"),
        ("val acc", ".1%"),
        ("s/epoch", ".2f"),
    ]
    rows = [
        [*lrs[k], c.train_loss[-1], c.train_acc[-1], c.val_acc[-1], c.seconds_per_epoch()]
        for k, c in runs.items()
    ]
    title = f"{NAME} on {args.dataset}"
    print(report.write_table(args.out, columns, rows, title, harness.TIMING_NOTE))
    report.save_history(args.out / "history.json", {k: c.as_dict() for k, c in runs.items()})
    return runs


if __name__ == "__main__":
    harness.run(main, NAME)
