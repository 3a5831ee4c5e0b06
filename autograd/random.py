"""The one random generator of npgrad: every random draw in the four packages uses it."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed every random function of autograd, nn, optim and data."""
    global _generator
    _generator = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    """The global ``numpy.random.Generator`` (re-created by ``manual_seed``)."""
    return _generator
