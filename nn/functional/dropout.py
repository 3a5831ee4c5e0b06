"""Inverted dropout."""

from __future__ import annotations

import numpy as np

from autograd import Tensor
from autograd.random import generator


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the survivors by 1 / (1 - p).

    Inverted dropout keeps the expected activation unchanged, so evaluation (or
    ``training=False``) is the identity. The mask comes from the global generator, so
    ``autograd.manual_seed`` makes it reproducible.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p is the probability to drop and must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * np.zeros(x.shape, dtype=x.dtype)
    keep = generator().random(x.shape) >= p
    return x * (keep * (1.0 / (1.0 - p))).astype(x.dtype)
