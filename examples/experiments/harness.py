"""What every experiment script shares: its command line, its data and a tracked training run.

The training itself is ``examples.training``'s ``train_epoch`` and ``evaluate``; ``track``
adds what the figures need on top: every minibatch's loss, and after each epoch (and before
the first) the eval-mode loss and accuracy on a fixed subset of up to TRAIN_EVAL_SIZE
training images and on the validation data.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

import autograd
from examples.experiments import report
from examples.training import Split, evaluate, load_dataset, train_epoch

DATASETS = ("digits", "cifar10")
TRAIN_SIZE = {"digits": None, "cifar10": 5000}  # None: the whole training split
VAL_SIZE = {"digits": None, "cifar10": 1000}  # CS231n's validation set is 1,000 images
TRAIN_EVAL_SIZE = 1000  # training accuracy is measured on this many training images
TIMING_NOTE = "s/epoch: the fastest epoch's training time, without evaluation."
SMOKE = {"epochs": 1, "train_size": 100, "val_size": 100}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one clear line, not a usage dump
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def make_parser(name: str, doc: str, epochs: int, train_size: dict | None = None):
    """The common options; a script adds its own and passes the result to ``parse_args``.

    ``train_size`` maps a data set to the default number of training images (None: all).
    """
    sizes = {**TRAIN_SIZE, **(train_size or {})}
    p = _Parser(
        prog=f"{name}.py",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(name=name, default_train_size=sizes)
    p.add_argument("--dataset", choices=DATASETS, default="digits")
    p.add_argument("--data-dir", default="data_cache", help="folder holding cifar-10-batches-py")
    p.add_argument("--out", default=None, help=f"output folder (default runs/experiments/{name})")
    p.add_argument("--seed", type=int, default=0, help="initial weights, data order, subsets")
    p.add_argument(
        "--epochs", type=int, default=epochs, help="training epochs per run (default %(default)s)"
    )
    described = ", ".join(f"{k} {'all' if v is None else v}" for k, v in sizes.items())
    p.add_argument(
        "--train-size",
        type=int,
        default=None,
        help=f"training images to use (default: {described})",
    )
    p.add_argument(
        "--smoke",
        action="store_true",
        help=f"a budget of seconds, for tests: {SMOKE['epochs']} epoch, "
        f"{SMOKE['train_size']} training and {SMOKE['val_size']} val images",
    )
    return p


def parse_args(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """Parse, apply --smoke and the data set's defaults, and make ``args.out`` a Path."""
    args = parser.parse_args(argv)
    args.val_size = VAL_SIZE[args.dataset]
    if args.smoke:  # an explicit --train-size still wins (a smaller smoke test)
        args.epochs, args.val_size = SMOKE["epochs"], SMOKE["val_size"]
        args.train_size = args.train_size or SMOKE["train_size"]
    elif args.train_size is None:
        args.train_size = args.default_train_size[args.dataset]
    if args.epochs < 1 or (args.train_size is not None and args.train_size < 1):
        parser.error("--epochs and --train-size must be >= 1")
    args.out = Path(args.out or f"runs/experiments/{args.name}")  # made when first written
    return args


def _subset(split: Split, size: int | None, seed: int) -> Split:
    if size is None or size >= len(split.y):
        return split
    keep = np.random.default_rng(seed).permutation(len(split.y))[:size]
    return Split(split.x[keep], split.y[keep])


def load_data(args: argparse.Namespace) -> tuple[Split, Split, int]:
    """(train, val, number of classes), cut to --train-size and the data set's val size.

    "val" is the held-out split of ``load_dataset``: Digits' 20% test split, CIFAR-10's
    test batch.
    """
    train, val, num_classes = load_dataset(args.dataset, args.data_dir, seed=args.seed)
    train = _subset(train, args.train_size, args.seed)
    val = _subset(val, args.val_size, args.seed + 1)
    print(f"{args.dataset}: {len(train.y)} train / {len(val.y)} val, shape {train.x.shape[1:]}")
    return train, val, num_classes


@dataclass
class Curves:
    """One configuration's run. Epoch lists start at epoch 0 (before any training)."""

    label: str
    iters_per_epoch: int
    iter_loss: list[float] = field(default_factory=list)  # each minibatch's training loss
    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)  # eval mode, training subset
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    train_seconds: list[float] = field(default_factory=list)  # training only, per epoch

    def iter_epochs(self) -> list[float]:
        """The x position (in epochs) of each entry of ``iter_loss``."""
        return [(i + 1) / self.iters_per_epoch for i in range(len(self.iter_loss))]

    def seconds_per_epoch(self) -> float:
        """The fastest epoch's training time: the one least slowed by other work on the machine."""
        return min(self.train_seconds)

    def as_dict(self) -> dict:
        return asdict(self)


def track(label, model, optimizer, train, val, epochs, batch_size, seed) -> Curves:
    """Train ``model`` for ``epochs`` (no augmentation), record its curves, print one line.

    Epoch ``e`` is seeded from (seed, e) exactly as ``examples.training.fit`` does, so every
    configuration of one experiment sees its training images in the same order.
    """
    curves = Curves(label, iters_per_epoch=math.ceil(len(train.y) / batch_size))
    train_eval = _subset(train, TRAIN_EVAL_SIZE, seed + 2)

    def measure(epoch, seconds):
        curves.epoch.append(epoch)
        for name, split in (("train", train_eval), ("val", val)):
            loss, acc = evaluate(model, split)
            getattr(curves, f"{name}_loss").append(loss)
            getattr(curves, f"{name}_acc").append(acc)
        if epoch:
            curves.train_seconds.append(seconds)

    measure(0, 0.0)
    for epoch in range(1, epochs + 1):
        epoch_seed = seed * 100_003 + epoch
        autograd.manual_seed(epoch_seed)  # dropout masks of this epoch
        start = time.perf_counter()
        train_epoch(model, optimizer, train, batch_size, epoch_seed, batch_losses=curves.iter_loss)
        measure(epoch, time.perf_counter() - start)
    print(
        f"  {label:<28} train loss {curves.train_loss[-1]:8.4f} acc {curves.train_acc[-1]:6.1%}"
        f"  val acc {curves.val_acc[-1]:6.1%}  ({sum(curves.train_seconds):.1f} s)"
    )
    return curves


# The final numbers of every run, after the columns that name it (see ``write_summary``).
SUMMARY_COLUMNS = [
    ("final train loss", ".4f"),
    ("train acc", ".1%"),
    ("val acc", ".1%"),
    ("best val acc", ".1%"),
    ("s/epoch", ".2f"),
]


def write_summary(out, runs: dict, title: str, key_columns=(("model", ""),), keys=None) -> str:
    """results.md/csv with one row per run (its ``keys`` cells, else its label, then the
    SUMMARY_COLUMNS), and history.json with every curve; returns the Markdown table."""
    rows = [
        [*(keys[k] if keys else [k]), c.train_loss[-1], c.train_acc[-1], c.val_acc[-1],
         max(c.val_acc), c.seconds_per_epoch()]
        for k, c in runs.items()
    ]  # fmt: skip
    text = report.write_table(out, [*key_columns, *SUMMARY_COLUMNS], rows, title, TIMING_NOTE)
    report.save_history(Path(out) / "history.json", {k: c.as_dict() for k, c in runs.items()})
    return text


def run(main, name: str) -> None:
    """Run an experiment's ``main``; bad data or arguments end in one line, not a trace."""
    try:
        main()
    except (FileNotFoundError, ImportError, ValueError) as error:
        sys.exit(f"{name}.py: error: {error}")
