"""Dropout as a layer: active in training mode, the identity in evaluation mode."""

from __future__ import annotations

import nn.functional as F
from autograd import Tensor
from nn.module import Module


class Dropout(Module):
    """Inverted dropout: zero each element with probability ``p``, scale the rest by 1/(1-p).

    The mask comes from the global generator (``autograd.manual_seed``). In ``eval()`` mode
    the layer passes its input through unchanged.
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p is the probability to drop, in [0, 1]; got {p!r}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, training=self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
