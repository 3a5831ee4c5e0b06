"""Argument and input checks shared by the layer classes."""

from __future__ import annotations

from autograd import Tensor


def describe(layer) -> str:
    """The layer as its one-line repr, e.g. ``Conv2d(3, 32, kernel_size=(5, 5))``."""
    return f"{type(layer).__name__}({layer.extra_repr()})"


def check_input(layer, x, ok, expected: str) -> None:
    """Raise unless ``x`` is a Tensor and ``ok(x)``; the message says what was ``expected``."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{describe(layer)}: expected a Tensor, got {type(x).__name__}")
    if not ok(x):
        raise ValueError(f"{describe(layer)}: expected input {expected}, got {x.shape}")


def positive_int(value, name: str, owner: str) -> int:
    """``value`` as an int, raising unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")
    return value


def check_reduction(reduction: str, owner: str) -> str:
    """Raise unless ``reduction`` is one of the three reductions every loss takes."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{owner}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction
