"""A full training step (forward, backward, optimizer step) of each model, npgrad vs PyTorch.

Run:  python benchmarks/models.py [--rounds 3] [--repeats 3] [--only resnet] [--markdown]

Models and batches (the nn/optim issue's workload): FullyConnectedNet 3072-100x5-10 with
batch norm at batch 200, ThreeLayerConvNet at batch 50, resnet18(norm="batch") and
resnet18(norm="group") at batch 32, all float32 on 3x32x32 inputs, SGD with momentum
(the same architectures in both libraries; weights differ, which does not change timing).
Each (library, model) pair runs in fresh child processes, alternating with the other
library's for ``--rounds`` rounds, so that its peak resident memory (ru_maxrss) is its own
and both see the same machine drift; the table gives the median step time over all
rounds, the ratio npgrad / PyTorch and each one's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _malloc import keep_freed_memory

ROOT = Path(__file__).resolve().parent.parent
_MIN_SECONDS = 0.5  # each process times steps for at least this long
MODELS = {
    "fc_net_bn": ("FullyConnectedNet 3072-100x5-10, batchnorm", 200),
    "three_layer_convnet": ("ThreeLayerConvNet", 50),
    "resnet18_batch": ("resnet18(norm='batch')", 32),
    "resnet18_group": ("resnet18(norm='group')", 32),
}


def _torch_model(torch, name):
    tnn = torch.nn
    if name == "fc_net_bn":
        layers, width = [], 3 * 32 * 32
        for _ in range(5):
            layers += [tnn.Linear(width, 100), tnn.BatchNorm1d(100), tnn.ReLU()]
            width = 100
        return tnn.Sequential(tnn.Flatten(), *layers, tnn.Linear(width, 10))
    if name == "three_layer_convnet":
        return tnn.Sequential(
            tnn.Conv2d(3, 32, 7, padding=3), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
            tnn.Linear(32 * 16 * 16, 100), tnn.ReLU(), tnn.Linear(100, 10),
        )  # fmt: skip
    return None


def _npgrad_model(name):
    import nn

    if name == "fc_net_bn":
        return nn.models.FullyConnectedNet([100] * 5, normalization="batchnorm")
    if name == "three_layer_convnet":
        return nn.models.ThreeLayerConvNet()
    return nn.models.resnet18(norm=name.split("_")[1])


def child(library, name, repeats):
    """Time ``repeats`` training steps in this process; print one JSON line."""
    batch = MODELS[name][1]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    if library == "torch":
        import torch

        torch.set_num_threads(2)
        torch.manual_seed(0)
        model = _torch_model(torch, name)
        if model is None:  # the ResNets: build npgrad's and mirror it in torch for the weights
            model = _torch_resnet(torch, name)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        xt, yt = torch.tensor(x), torch.tensor(y)

        def step():
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xt), yt)
            loss.backward()
            opt.step()
    else:
        import autograd
        import nn.functional as F
        import optim

        autograd.manual_seed(0)
        model = _npgrad_model(name)
        opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        xt = autograd.Tensor(x)

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(xt), y)
            loss.backward()
            opt.step()

    step()  # warm-up: first-touch allocations, caches (each library runs in its own process)
    times = []
    started = time.perf_counter()
    # at least `repeats` steps, and more for small models: a few ms per step is all noise
    while len(times) < repeats or time.perf_counter() - started < _MIN_SECONDS:
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"ms": [1e3 * t for t in times], "peak_mib": peak_mib}))


def _torch_resnet(torch, name):
    """torchvision's ResNet-18 layout for 32x32 inputs, from torch.nn blocks."""
    tnn = torch.nn
    norm = name.split("_")[1]

    def norm_layer(c):
        return tnn.BatchNorm2d(c) if norm == "batch" else tnn.GroupNorm(32, c)

    class Block(tnn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = norm_layer(cout)
            self.conv2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = norm_layer(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = tnn.Sequential(
                    tnn.Conv2d(cin, cout, 1, stride, bias=False), norm_layer(cout)
                )

        def forward(self, x):
            out = torch.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return torch.relu(out + (x if self.downsample is None else self.downsample(x)))

    layers, cin = [tnn.Conv2d(3, 64, 3, 1, 1, bias=False), norm_layer(64), tnn.ReLU()], 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
        cin = cout
    layers += [tnn.AdaptiveAvgPool2d(1), tnn.Flatten(), tnn.Linear(512, 10)]
    return tnn.Sequential(*layers)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="least timed steps per process")
    parser.add_argument("--rounds", type=int, default=3, help="processes per library")
    parser.add_argument("--only", default="", help="run models whose key contains this")
    parser.add_argument(
        "--default-malloc", action="store_true", help="keep glibc's thresholds (see _malloc.py)"
    )
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("LIBRARY", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        if not args.default_malloc:
            keep_freed_memory()
        child(*args.child, args.repeats)
        return

    header = ("model", "batch", "npgrad ms", "torch ms", "ratio", "npgrad MiB", "torch MiB")
    fmt = "{:<44}{:>6}{:>11}{:>10}{:>8}{:>12}{:>11}"
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header) if args.markdown
          else fmt.format(*header))  # fmt: skip
    for name, (label, batch) in MODELS.items():
        if args.only not in name:
            continue
        # Alternate the libraries' processes round by round: these machines drift over
        # seconds, and interleaving exposes both to the same drift.
        runs = {"npgrad": [], "torch": []}
        for _ in range(args.rounds):
            for library, results in runs.items():
                command = [sys.executable, __file__, "--child", library, name]
                command += ["--repeats", str(args.repeats)]
                command += ["--default-malloc"] if args.default_malloc else []
                done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
                if done.returncode != 0:
                    raise SystemExit(f"{library} {name} failed:\n{done.stderr}")
                results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        ours, theirs = (
            {
                "ms": statistics.median(t for r in results for t in r["ms"]),
                "peak_mib": max(r["peak_mib"] for r in results),
            }
            for results in runs.values()
        )
        cells = (label, batch, f"{ours['ms']:.0f}", f"{theirs['ms']:.0f}",
                 f"{ours['ms'] / theirs['ms']:.2f}x", f"{ours['peak_mib']:.0f}",
                 f"{theirs['peak_mib']:.0f}")  # fmt: skip
        print("| " + " | ".join(map(str, cells)) + " |" if args.markdown else fmt.format(*cells),
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
