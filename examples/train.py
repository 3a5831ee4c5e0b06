"""Train a model with npgrad: the main job.

Run:  python examples/train.py                     # a small ConvNet on Digits, ~1 minute
      python examples/train.py --model resnet18 --dataset cifar10 --data-dir ~/data \
          --optimizer momentum --lr 0.05 --epochs 30 --batch-size 128
      python examples/train.py --resume runs/digits-convnet   # continue a stopped run

Everything goes to a run folder (--out, default runs/<dataset>-<model>): config.json,
checkpoint.npz after every epoch (written atomically), metrics.csv, curves.png (loss and
accuracy against epoch) and graph.svg (the model's graph for one batch). Each epoch's
shuffling, augmentation and dropout are seeded from (--seed, epoch), so a run resumed from
its checkpoint continues exactly as if it had never stopped.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the `examples` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import autograd  # noqa: E402
import nn  # noqa: E402
import optim  # noqa: E402
from examples.training import (  # noqa: E402
    DATASETS,
    MODELS,
    NORMS,
    OPTIMIZERS,
    build_model,
    build_optimizer,
    evaluate,
    load_dataset,
    train_epoch,
)

METRICS = ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one clear line, not a usage dump
        self.exit(2, f"train.py: error: {message} (see --help)\n")


def parse_args(argv=None):
    p = _Parser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=MODELS, default="convnet")
    p.add_argument("--norm", choices=NORMS, default="none")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument(
        "--scheduler",
        choices=("cosine", "none"),
        default="cosine",
        help="cosine anneals the lr to 0 over --epochs",
    )
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--epochs", type=int, default=None, help="default 30 (or the resumed run's)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--impl", choices=("fused", "composed"), default="fused")
    p.add_argument("--dataset", choices=DATASETS, default="digits")
    p.add_argument("--data-dir", default="data_cache", help="folder holding cifar-10-batches-py")
    p.add_argument("--out", default=None, help="run folder (default runs/<dataset>-<model>)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run saved in RUN_DIR")
    p.add_argument("--no-graph", action="store_true", help="skip drawing graph.svg")
    p.add_argument(
        "--stop-after",
        type=int,
        metavar="EPOCH",
        help="end this invocation after EPOCH (resume later with --resume)",
    )
    args = p.parse_args(argv)
    if args.epochs is None and not args.resume:
        args.epochs = 30
    if (args.epochs is not None and args.epochs < 1) or args.batch_size < 1 or args.lr <= 0:
        p.error("--epochs and --batch-size must be >= 1 and --lr > 0")
    return args


def load_run(args):
    """Merge a stopped run's config into ``args`` (a new --epochs may extend it)."""
    run = Path(args.resume)
    if not (run / "config.json").is_file() or not (run / "checkpoint.npz").is_file():
        raise FileNotFoundError(f"{run} is not a run folder (no config.json / checkpoint.npz)")
    config = json.loads((run / "config.json").read_text())
    epochs = args.epochs if args.epochs is not None else config["epochs"]
    keep = {"epochs": epochs, "out": str(run), "resume": str(run), "stop_after": args.stop_after}
    vars(args).update({**config, **keep})
    return run


def write_metrics(path, history):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=METRICS)
        writer.writeheader()
        for row in history:
            writer.writerow({k: f"{row[k]:.6f}" if isinstance(row[k], float) else row[k]
                             for k in METRICS})  # fmt: skip


def plot_curves(path, history, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for split in ("train", "test"):
        ax_loss.plot(epochs, [h[f"{split}_loss"] for h in history], marker="o", label=split)
        ax_acc.plot(epochs, [h[f"{split}_acc"] for h in history], marker="o", label=split)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    run = load_run(args) if args.resume else Path(args.out or f"runs/{args.dataset}-{args.model}")
    run.mkdir(parents=True, exist_ok=True)
    from tqdm import tqdm

    # data
    train, test, num_classes = load_dataset(args.dataset, args.data_dir, seed=args.seed)
    print(f"{args.dataset}: {len(train.y)} train / {len(test.y)} test, shape {train.x.shape[1:]}")

    # model and optimizer
    autograd.manual_seed(args.seed)
    model = build_model(args.model, train.x.shape[1:], num_classes, args.norm, args.impl)
    optimizer = build_optimizer(args.optimizer, model.parameters(), args.lr, args.weight_decay)
    scheduler = None
    if args.scheduler == "cosine":
        scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    n_params = sum(p.size for p in model.parameters())
    print(f"{args.model} ({args.impl}): {n_params:,} parameters; {args.optimizer} lr {args.lr}")

    history, start_epoch = [], 1
    if args.resume:
        checkpoint = nn.load(run / "checkpoint.npz")
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(checkpoint["scheduler"])
        history = [dict(zip(METRICS, row)) for row in np.asarray(checkpoint["history"]).tolist()]
        for row in history:
            row["epoch"] = int(row["epoch"])
        start_epoch = len(history) + 1
        print(f"resumed {run} after epoch {start_epoch - 1}")
    else:
        config = {k: v for k, v in vars(args).items() if k not in ("resume", "out", "stop_after")}
        (run / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        if not args.no_graph:
            model.eval()
            batch = autograd.Tensor(train.x[: min(args.batch_size, 8)])
            loss_graph = nn.functional.cross_entropy(model(batch), train.y[: len(batch.data)])
            path = autograd.render_graph(
                loss_graph, run / "graph.svg", params=dict(model.named_parameters())
            )
            print(f"graph of one batch: {path}")

    # the loop
    for epoch in range(start_epoch, args.epochs + 1):
        epoch_seed = args.seed * 100_003 + epoch  # the same for an interrupted run
        autograd.manual_seed(epoch_seed)
        started = time.perf_counter()
        with tqdm(total=len(train.y), desc=f"epoch {epoch}/{args.epochs}", unit="img",
                  leave=False, disable=None) as bar:  # fmt: skip

            def progress(n, loss, acc, bar=bar):
                bar.update(n)
                bar.set_postfix(loss=f"{loss:.4f}", acc=f"{acc:.3f}")

            train_loss, train_acc = train_epoch(
                model, optimizer, train, args.batch_size, epoch_seed, args.dataset, progress
            )
        if scheduler is not None:
            scheduler.step()
        test_loss, test_acc = evaluate(model, test)
        seconds = time.perf_counter() - started
        history.append(dict(zip(METRICS, (epoch, train_loss, train_acc, test_loss, test_acc,
                                          seconds))))  # fmt: skip
        print(
            f"epoch {epoch:3d}  train loss {train_loss:.4f} acc {train_acc:.2%}  "
            f"test loss {test_loss:.4f} acc {test_acc:.2%}  ({seconds:.1f} s, "
            f"{len(train.y) / seconds:.0f} img/s)"
        )
        nn.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict() if scheduler is not None else {},
                "history": np.array([[h[k] for k in METRICS] for h in history], dtype=np.float64),
            },
            run / "checkpoint.npz",
        )
        write_metrics(run / "metrics.csv", history)
        plot_curves(run / "curves.png", history, f"{args.model} on {args.dataset}")
        if args.stop_after is not None and epoch >= args.stop_after and epoch < args.epochs:
            print(f"stopped after epoch {epoch}; continue with --resume {run}")
            break

    final = history[-1]
    if final["epoch"] == args.epochs:
        print(f"done: test accuracy {final['test_acc']:.2%}; run folder {run}")
    return history


if __name__ == "__main__":
    try:
        main()
    except (FileNotFoundError, ImportError, ValueError) as error:
        sys.exit(f"train.py: error: {error}")
