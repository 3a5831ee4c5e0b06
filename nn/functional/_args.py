"""Argument checks shared by the layer functions: impl choice, int-or-pair, input rank."""

from __future__ import annotations

from autograd import Tensor

IMPLS = ("fused", "composed")


def check_impl(impl: str, op: str) -> None:
    """Raise unless ``impl`` is one of the two implementations."""
    if impl not in IMPLS:
        raise ValueError(f"{op}: impl must be 'fused' or 'composed', got {impl!r}")


def pair(value, name: str, op: str, minimum: int = 0) -> tuple[int, int]:
    """An int or a pair of ints as a pair, each at least ``minimum``."""
    if isinstance(value, int):
        value = (value, value)
    try:
        first, second = (int(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}") from None
    if first < minimum or second < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return first, second


def check_tensor(x, op: str, ndims: tuple[int, ...], what: str) -> Tensor:
    """Raise unless ``x`` is a Tensor whose rank is one of ``ndims`` (``what`` names it)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor for {what}, got {type(x).__name__}")
    if x.ndim not in ndims:
        wanted = " or ".join(f"{n}-d" for n in ndims)
        raise ValueError(f"{op}: expected {wanted} input {what}, got shape {x.shape}")
    return x
