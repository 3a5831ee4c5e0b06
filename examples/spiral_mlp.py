"""Train a two-layer MLP on the spiral data set, written with bare Tensor ops.

The smallest end-to-end use of the engine: parameters are leaf Tensors, the forward pass
is arithmetic on them, ``loss.backward()`` fills their ``.grad``, and plain SGD updates
them under ``no_grad``. It then renders the computation graph of one step.

Run:  python examples/spiral_mlp.py [--steps 2000] [--hidden 100] [--out runs/spiral]
Writes OUT/graph.svg (or graph.dot without Graphviz) and prints the training accuracy.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import autograd
from autograd import Tensor, no_grad
from data import make_spiral


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--reg", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/spiral")
    args = parser.parse_args(argv)

    X, y = make_spiral(seed=args.seed)
    autograd.manual_seed(args.seed)
    x = Tensor(X)
    params = {
        "W1": autograd.randn(2, args.hidden) * 0.1,
        "b1": autograd.zeros(args.hidden),
        "W2": autograd.randn(args.hidden, 3) * 0.1,
        "b2": autograd.zeros(3),
    }
    for p in params.values():
        p.requires_grad_()
    W1, b1, W2, b2 = params.values()
    rows = np.arange(len(y))

    def loss_fn():
        scores = (x @ W1 + b1).relu() @ W2 + b2
        log_probs = scores - scores.logsumexp(axis=1, keepdims=True)
        data_loss = -log_probs[rows, y].mean()
        return data_loss + args.reg * ((W1 * W1).sum() + (W2 * W2).sum()), scores

    for step in range(args.steps):
        loss, scores = loss_fn()
        for p in params.values():
            p.grad = None
        loss.backward()
        with no_grad():
            for p in params.values():
                p -= args.lr * p.grad
        if step % (args.steps // 10 or 1) == 0:
            print(f"step {step:5d}  loss {loss.item():.4f}")

    loss, scores = loss_fn()
    accuracy = float((scores.data.argmax(axis=1) == y).mean())
    print(f"final loss {loss.item():.4f}  training accuracy {accuracy:.1%}")
    out = Path(args.out)
    path = autograd.render_graph(loss, out / "graph", format="svg", params=params)
    print(f"graph of one step written to {path}")
    return accuracy


if __name__ == "__main__":
    main()
