"""Layers that only reshape or pass their input on: Flatten and Identity."""

from __future__ import annotations

from autograd import Tensor
from nn.layers._checks import check_input
from nn.module import Module


class Flatten(Module):
    """Flatten axes ``start_axis`` onwards into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_axis: int = 1):
        super().__init__()
        self.start_axis = start_axis

    def forward(self, x: Tensor) -> Tensor:
        start = self.start_axis
        check_input(
            self, x, lambda x: -x.ndim <= start < x.ndim,
            f"with more than {start if start >= 0 else -start - 1} axes",
        )  # fmt: skip
        return x.flatten(start)

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}"


class Identity(Module):
    """Return the input unchanged; any constructor arguments are ignored (as PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x
