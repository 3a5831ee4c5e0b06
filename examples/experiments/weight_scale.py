"""Sensitivity to the weight initialisation scale, with and without batch norm (CS231n).

Run:  python examples/experiments/weight_scale.py           # Digits, about 10 s on 2 cores
      python -m examples.experiments.weight_scale --num-scales 20 --epochs 20
      python examples/experiments/weight_scale.py --dataset cifar10 --data-dir ~/data

An eight-layer FullyConnectedNet (seven hidden layers of 50) is trained from weights drawn
from N(0, weight_scale^2) for each weight_scale on a log grid (--num-scales values from
10^--log-range[0] to 10^--log-range[1], default 9 values from 1e-4 to 1), once with
BatchNorm1d and once without, with Adam for --epochs. Without normalization only a narrow
band of scales trains: smaller ones make the activations (and gradients) vanish through
the layers, larger ones make them explode. Writes to --out (default
runs/experiments/weight_scale): weight_scale.png (final train accuracy, val accuracy and
training loss against the scale), results.md / results.csv and history.json.
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

NAME = "weight_scale"
MODELS = {"batchnorm": "batchnorm", "no norm": None}


def parse_args(argv=None):
    p = harness.make_parser(NAME, __doc__, epochs=10)
    p.add_argument("--num-scales", type=int, default=9, help="points on the log grid")
    p.add_argument(
        "--log-range",
        type=float,
        nargs=2,
        default=[-4.0, 0.0],
        metavar=("LO", "HI"),
        help="the grid runs from 10^LO to 10^HI",
    )
    p.add_argument("--hidden", type=int, nargs="+", default=[50] * 7, help="hidden widths")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=50)
    args = harness.parse_args(p, argv)
    if args.smoke:
        args.num_scales = 3
    if args.num_scales < 1:
        p.error("--num-scales must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    train, val, num_classes = harness.load_data(args)

    scales = np.logspace(*args.log_range, num=args.num_scales)
    runs = {}  # (model, scale) -> Curves
    for name, normalization in MODELS.items():
        for scale in scales:
            autograd.manual_seed(args.seed)
            model = nn.models.FullyConnectedNet(
                args.hidden,
                input_dim=int(np.prod(train.x.shape[1:])),
                num_classes=num_classes,
                normalization=normalization,
                weight_scale=float(scale),
            )
            optimizer = optim.Adam(model.parameters(), lr=args.lr)
            label = f"{name}, scale {scale:.1e}"
            runs[name, scale] = harness.track(
                label, model, optimizer, train, val, args.epochs, args.batch_size, args.seed
            )

    def final(metric):
        return [
            report.Series(
                scales,
                [getattr(runs[name, s], metric)[-1] for s in scales],
                name,
                {"marker": "o", "ms": 4},
            )
            for name in MODELS
        ]

    log = {"xscale": "log"}
    panels = [
        report.Panel("final train accuracy", "weight scale", "accuracy", final("train_acc"), **log),
        report.Panel("final val accuracy", "weight scale", "accuracy", final("val_acc"), **log),
        report.Panel(
            "final training loss",
            "weight scale",
            "cross-entropy loss",
            final("train_loss"),
            xscale="log",
            yscale="log",
        ),
    ]
    depth = len(args.hidden) + 1
    report.save_figure(
        args.out / f"{NAME}.png",
        f"Weight scale, {depth}-layer net, {args.epochs} epochs on {args.dataset}",
        panels,
    )

    columns = [("weight scale", ".1e")]
    for name in MODELS:
        columns += [
            (f"{name} train acc", ".1%"),
            (f"{name} val acc", ".1%"),
            (f"{name} train loss", ".3g"),
        ]
    rows = []
    for scale in scales:
        row = [float(scale)]
        for name in MODELS:
            c = runs[name, scale]
            row += [c.train_acc[-1], c.val_acc[-1], c.train_loss[-1]]
        rows.append(row)
    print(report.write_table(args.out, columns, rows, f"{NAME} on {args.dataset}"))
    report.save_history(args.out / "history.json", {c.label: c.as_dict() for c in runs.values()})
    return runs


if __name__ == "__main__":
    harness.run(main, NAME)
