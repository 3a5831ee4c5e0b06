"""Batch normalization against the batch size (CS231n assignment 2).

Run:  python examples/experiments/batchnorm_batch_size.py   # Digits, about 10 s on 2 cores
      python -m examples.experiments.batchnorm_batch_size --batch-sizes 2 5 10 50 200
      python examples/experiments/batchnorm_batch_size.py --dataset cifar10 --data-dir ~/data

The five-hidden-layer FullyConnectedNet of batchnorm.py trained with BatchNorm1d at each of
--batch-sizes (default 5, 10, 50) and, as the baseline, without normalization at the
smallest batch size; every run starts from the same weights (CS231n's N(0, 2e-2^2)) and
uses Adam. Small batches give noisy batch statistics, and the running averages used at
evaluation drift from what the net was trained with. Writes to --out (default
runs/experiments/batchnorm_batch_size): batchnorm_batch_size.png (minibatch training loss,
and train and val accuracy per epoch in eval mode), results.md / results.csv and
history.json.
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

NAME = "batchnorm_batch_size"


def parse_args(argv=None):
    p = harness.make_parser(NAME, __doc__, epochs=10)
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[5, 10, 50])
    p.add_argument("--hidden", type=int, nargs="+", default=[100] * 5, help="hidden widths")
    p.add_argument("--weight-scale", type=float, default=2e-2)
    p.add_argument("--lr", type=float, default=1e-3)
    args = harness.parse_args(p, argv)
    if min(args.batch_sizes) < 2:
        p.error("batch norm needs --batch-sizes of at least 2")
    return args


def main(argv=None):
    args = parse_args(argv)
    train, val, num_classes = harness.load_data(args)

    smallest = min(args.batch_sizes)
    configs = [(f"baseline (no norm), batch {smallest}", None, smallest)]
    configs += [(f"batchnorm, batch {b}", "batchnorm", b) for b in sorted(args.batch_sizes)]
    runs, batch_size = {}, {}
    for label, normalization, batch in configs:
        autograd.manual_seed(args.seed)  # the same initial weights for every run
        model = nn.models.FullyConnectedNet(
            args.hidden,
            input_dim=int(np.prod(train.x.shape[1:])),
            num_classes=num_classes,
            normalization=normalization,
            weight_scale=args.weight_scale,
        )
        optimizer = optim.Adam(model.parameters(), lr=args.lr)
        runs[label] = harness.track(
            label, model, optimizer, train, val, args.epochs, batch, args.seed
        )
        batch_size[label] = batch

    # smooth each loss over about the same number of images, whatever its batch size
    weights = {k: max(0.0, 1 - b / 500) for k, b in batch_size.items()}
    panels = [
        report.loss_panel(runs, weight=weights),
        report.epoch_panel(runs, "train_acc", "train accuracy (eval mode)"),
        report.epoch_panel(runs, "val_acc", "val accuracy"),
    ]
    report.save_figure(
        args.out / f"{NAME}.png", f"Batch norm and batch size on {args.dataset}", panels
    )

    key_columns = (("model", ""), ("batch size", "d"))
    keys = {k: [k, batch_size[k]] for k in runs}
    title = f"{NAME} on {args.dataset}"
    print(harness.write_summary(args.out, runs, title, key_columns, keys))
    return runs


if __name__ == "__main__":
    harness.run(main, NAME)
