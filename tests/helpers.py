"""Shared test helpers: random float64 inputs, the gradcheck one-liner, the torch oracle."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor


def rand_tensors(*shapes, seed=0, positive=False, requires_grad=True):
    """Float64 tensors of the given shapes with normal entries (or in [0.5, 2] if positive)."""
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        data = rng.uniform(0.5, 2.0, shape) if positive else rng.standard_normal(shape)
        out.append(Tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad))
    return out


def check_grads(fn, *shapes, seed=0, positive=False, atol=1e-6, rtol=1e-5):
    """gradcheck ``fn`` in float64 on random inputs of ``shapes``; returns the inputs."""
    inputs = rand_tensors(*shapes, seed=seed, positive=positive)
    assert autograd.gradcheck(fn, inputs, atol=atol, rtol=rtol)
    return inputs


def torch_or_skip():
    """The torch module, or skip the calling test when PyTorch is not installed."""
    return pytest.importorskip("torch")


def to_torch(t, requires_grad=None):
    """A float64-preserving torch copy of a Tensor or ndarray (a leaf)."""
    torch = torch_or_skip()
    data = t.data if isinstance(t, Tensor) else np.asarray(t)
    flag = (
        t.requires_grad if requires_grad is None and isinstance(t, Tensor) else bool(requires_grad)
    )
    return torch.tensor(np.array(data), requires_grad=flag)


# Broadcasting shape pairs every binary op is checked on: a scalar with a matrix, (3,1) with
# (1,4), (3,1) with (4,), leading-axis broadcasting, equal shapes; both orders.
BROADCAST_PAIRS = [
    ((), (2, 3)),
    ((3, 1), (1, 4)),
    ((3, 1), (4,)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (3, 4)),
    ((2, 1, 4), (3, 1)),
    ((2, 3), (2, 3)),
]
BROADCAST_PAIRS += [(b, a) for a, b in BROADCAST_PAIRS if a != b]


def shape_id(shape) -> str:
    """A test id for a shape: "2x3", or "0d" for a scalar."""
    return "x".join(map(str, shape)) or "0d"
