"""Dropout as a regulariser on a small training set (CS231n assignment 2).

Run:  python examples/experiments/dropout.py                # Digits, about 10 s on 2 cores
      python -m examples.experiments.dropout --ps 0 0.5 0.9 --train-size 100
      python examples/experiments/dropout.py --dataset cifar10 --data-dir ~/data

A FullyConnectedNet with two wide hidden layers (default 500, 500) is trained on only
--train-size images (default 200 Digits / 500 CIFAR-10) so that it overfits, once for each
dropout probability in --ps (p is the probability to DROP a unit, as in nn.Dropout; p = 0
is no dropout). All runs start from the same weights and see the same minibatches. Train
accuracy is measured in eval mode (no dropout) on the training images. Writes to --out
(default runs/experiments/dropout): dropout.png (train and val accuracy and val loss per
epoch), results.md / results.csv and history.json.
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

NAME = "dropout"


def parse_args(argv=None):
    p = harness.make_parser(NAME, __doc__, epochs=150, train_size={"digits": 200, "cifar10": 500})
    p.add_argument(
        "--ps",
        type=float,
        nargs="+",
        default=[0.0, 0.25, 0.5, 0.75],
        help="dropout probabilities (of dropping) to compare",
    )
    p.add_argument("--hidden", type=int, nargs="+", default=[500, 500], help="hidden widths")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=50)
    args = harness.parse_args(p, argv)
    if not all(0 <= p_ < 1 for p_ in args.ps):
        p.error("every dropout probability in --ps must be in [0, 1)")
    return args


def main(argv=None):
    args = parse_args(argv)
    train, val, num_classes = harness.load_data(args)

    runs = {}
    for p in args.ps:
        autograd.manual_seed(args.seed)  # Dropout has no parameters: the same initial weights
        model = nn.models.FullyConnectedNet(
            args.hidden,
            input_dim=int(np.prod(train.x.shape[1:])),
            num_classes=num_classes,
            dropout=p,
        )
        optimizer = optim.Adam(model.parameters(), lr=args.lr)
        label = f"p = {p:g}" + (" (no dropout)" if p == 0 else "")
        runs[label] = harness.track(
            label, model, optimizer, train, val, args.epochs, args.batch_size, args.seed
        )

    panels = [
        report.epoch_panel(runs, "train_acc", "train accuracy (eval mode)"),
        report.zoom(report.epoch_panel(runs, "val_acc", "val accuracy"), args.epochs // 5),
        report.zoom(
            report.epoch_panel(runs, "val_loss", "val loss", "cross-entropy loss"), args.epochs // 5
        ),
    ]
    for panel in panels:
        for s in panel.series:
            s.style["ms"] = 0  # many epochs: lines, not dots
    report.save_figure(
        args.out / f"{NAME}.png",
        f"Dropout on {len(train.y)} {args.dataset} training images (hidden {args.hidden})",
        panels,
    )

    columns = [
        ("dropout p", ""),
        ("train acc", ".1%"),
        ("val acc", ".1%"),
        ("best val acc", ".1%"),
        ("train - val", ".1%"),
        ("val loss", ".3f"),
    ]
    rows = [
        [
            k,
            c.train_acc[-1],
            c.val_acc[-1],
            max(c.val_acc),
            c.train_acc[-1] - c.val_acc[-1],
            c.val_loss[-1],
        ]
        for k, c in runs.items()
    ]
    print(report.write_table(args.out, columns, rows, f"{NAME} on {args.dataset}"))
    report.save_history(args.out / "history.json", {k: c.as_dict() for k, c in runs.items()})
    return runs


if __name__ == "__main__":
    harness.run(main, NAME)
