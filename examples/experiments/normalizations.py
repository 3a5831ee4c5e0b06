"""Batch, layer, instance, group, switchable and no normalization in a small ConvNet.

Run:  python examples/experiments/normalizations.py         # Digits, about 15 s on 2 cores
      python -m examples.experiments.normalizations --norms batch group none --epochs 20
      python examples/experiments/normalizations.py --model resnet18 --epochs 3
                                          # about 5 s per epoch and norm on Digits
      python examples/experiments/normalizations.py --dataset cifar10 --data-dir ~/data

The ConvNet is {conv 3x3 - norm - relu - 2x2 max pool} x 2 - linear (--channels wide,
default 16 and 32), built here from nn layers, with the norm one of
  batch       BatchNorm2d(C)                    statistics over (N, H, W) per channel
  layer       GroupNorm(1, C)                   over (C, H, W) per sample
  instance    InstanceNorm2d(C, affine=True)    over (H, W) per sample and channel
  group       GroupNorm(--groups, C)            over (C/G, H, W) per sample and group
  switchable  SwitchableNorm2d(C)               a learned mix of instance, layer and batch
  none        Identity
Every variant starts from the same seed, sees the same minibatches and trains with Adam.
--model resnet18 uses nn.models.resnet18(norm=...) instead (batch, layer, instance, group
with GroupNorm(32, C), none; switchable is for the ConvNet only, and on Digits, whose 8x8
images reach layer4 as 1x1 maps, instance is left out too). Writes to --out (default
runs/experiments/normalizations): normalizations.png (minibatch training loss, train and
val accuracy per epoch), results.md / results.csv and history.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the `examples` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


import autograd  # noqa: E402
import nn  # noqa: E402
import optim  # noqa: E402
from examples.experiments import harness, report  # noqa: E402

NAME = "normalizations"
NORMS = ("batch", "layer", "instance", "group", "switchable", "none")
RESNET_NORMS = ("batch", "layer", "instance", "group", "none")


def parse_args(argv=None):
    p = harness.make_parser(NAME, __doc__, epochs=15)
    p.add_argument("--model", choices=("convnet", "resnet18"), default="convnet")
    p.add_argument(
        "--norms",
        nargs="+",
        choices=NORMS,
        default=None,
        help="variants to compare (default: all the model supports)",
    )
    p.add_argument("--channels", type=int, nargs=2, default=[16, 32], help="ConvNet widths")
    p.add_argument("--groups", type=int, default=4, help="groups of the ConvNet's GroupNorm")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--batch-size", type=int, default=50)
    args = harness.parse_args(p, argv)
    supported = NORMS if args.model == "convnet" else RESNET_NORMS
    if args.model == "resnet18" and args.dataset == "digits":
        # layer4 sees 8x8 digits as 1x1 maps, and a 1x1 map has no instance statistics
        supported = tuple(n for n in supported if n != "instance")
    args.norms = args.norms or list(supported)
    if unsupported := [n for n in args.norms if n not in supported]:
        p.error(f"--model {args.model} on {args.dataset} takes no norm {', '.join(unsupported)}")
    if args.model == "convnet" and any(c % args.groups for c in args.channels):
        p.error(f"--groups {args.groups} must divide the --channels {args.channels}")
    return args


def norm_layer(norm: str, channels: int, groups: int) -> nn.Module:
    """The ConvNet's normalization for ``channels`` feature maps."""
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "layer":
        return nn.GroupNorm(1, channels)  # LayerNorm over (C, H, W), affine per channel
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if norm == "group":
        return nn.GroupNorm(groups, channels)
    if norm == "switchable":
        return nn.SwitchableNorm2d(channels)
    return nn.Identity()


def convnet(input_shape, num_classes, norm, channels, groups) -> nn.Sequential:
    """{conv 3x3 - norm - relu - 2x2 max pool} x len(channels) - linear."""
    C, H, W = input_shape
    layers = []
    for width in channels:
        # a norm's shift makes the conv bias redundant; without one the conv needs it
        layers += [
            nn.Conv2d(C, width, 3, padding=1, bias=norm == "none"),
            norm_layer(norm, width, groups),
            nn.ReLU(),
            nn.MaxPool2d(2),
        ]
        C, H, W = width, H // 2, W // 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(C * H * W, num_classes))


def main(argv=None):
    args = parse_args(argv)
    train, val, num_classes = harness.load_data(args)
    input_shape = train.x.shape[1:]

    runs = {}
    for norm in args.norms:
        autograd.manual_seed(args.seed)
        if args.model == "convnet":
            model = convnet(input_shape, num_classes, norm, args.channels, args.groups)
        else:
            model = nn.models.resnet18(
                num_classes, norm=None if norm == "none" else norm, in_channels=input_shape[0]
            )
        optimizer = optim.Adam(model.parameters(), lr=args.lr)
        runs[norm] = harness.track(
            norm, model, optimizer, train, val, args.epochs, args.batch_size, args.seed
        )

    panels = [
        report.loss_panel(runs),
        report.epoch_panel(runs, "train_acc", "train accuracy (eval mode)"),
        report.epoch_panel(runs, "val_acc", "val accuracy"),
    ]
    what = f"ConvNet {args.channels}" if args.model == "convnet" else "ResNet-18"
    report.save_figure(
        args.out / f"{NAME}.png", f"Normalizations, {what} on {args.dataset}", panels
    )

    title = f"{NAME} ({what}) on {args.dataset}"
    print(harness.write_summary(args.out, runs, title, key_columns=(("norm", ""),)))
    return runs


if __name__ == "__main__":
    harness.run(main, NAME)
