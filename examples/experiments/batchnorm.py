"""Batch normalization against none in a deep fully connected net (CS231n assignment 2).

Run:  python examples/experiments/batchnorm.py              # Digits, about 5 s on 2 cores
      python -m examples.experiments.batchnorm --epochs 20
      python examples/experiments/batchnorm.py --dataset cifar10 --data-dir ~/data

Two FullyConnectedNets with five hidden layers of 100, one with BatchNorm1d after every
hidden Linear and one without, start from CS231n's small initialisation (weights from
N(0, weight_scale^2), default 2e-2) and train with Adam from the same seed on the same
minibatches. Writes to --out (default runs/experiments/batchnorm): batchnorm.png (the
minibatch training loss, and train and val accuracy per epoch), results.md / results.csv
(final numbers) and history.json (every curve).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the `examples` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

import autograd  # noqa: E402
import nn  # noqa: E402
import optim  # noqa: E402
from examples.experiments import harness, report  # noqa: E402

NAME = "batchnorm"


def parse_args(argv=None):
    p = harness.make_parser(NAME, __doc__, epochs=20)
    p.add_argument("--hidden", type=int, nargs="+", default=[100] * 5, help="hidden widths")
    p.add_argument("--weight-scale", type=float, default=2e-2)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=50)
    return harness.parse_args(p, argv)


def main(argv=None):
    args = parse_args(argv)
    train, val, num_classes = harness.load_data(args)

    runs = {}
    for label, normalization in (("batchnorm", "batchnorm"), ("no norm", None)):
        autograd.manual_seed(args.seed)
        model = nn.models.FullyConnectedNet(
            args.hidden,
            input_dim=int(np.prod(train.x.shape[1:])),
            num_classes=num_classes,
            normalization=normalization,
            weight_scale=args.weight_scale,
        )
        optimizer = optim.Adam(model.parameters(), lr=args.lr)
        runs[label] = harness.track(
            label, model, optimizer, train, val, args.epochs, args.batch_size, args.seed
        )

    panels = [
        report.loss_panel(runs),
        report.epoch_panel(runs, "train_acc", "train accuracy"),
        report.epoch_panel(runs, "val_acc", "val accuracy"),
    ]
    depth = len(args.hidden) + 1
    report.save_figure(
        args.out / f"{NAME}.png",
        f"Batch norm in a {depth}-layer net on {args.dataset} (weight scale {args.weight_scale:g})",
        panels,
    )

    print(harness.write_summary(args.out, runs, f"{NAME} on {args.dataset}"))
    return runs


if __name__ == "__main__":
    harness.run(main, NAME)
