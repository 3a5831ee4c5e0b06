"""Functions that make tensors, and the module-level combining ops."""

from __future__ import annotations

import numpy as np

from autograd import ops
from autograd.random import generator
from autograd.tensor import Tensor

_FLOAT = np.float32


def _shape(shape) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` like PyTorch."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """A new Tensor holding a copy of ``data`` (same dtype policy as ``Tensor``)."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        data = data.copy()
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(*shape, requires_grad: bool = False, dtype=None) -> Tensor:
    """A tensor of zeros, float32 unless ``dtype`` says otherwise."""
    return Tensor(np.zeros(_shape(shape), dtype=dtype or _FLOAT), requires_grad)


def ones(*shape, requires_grad: bool = False, dtype=None) -> Tensor:
    """A tensor of ones, float32 unless ``dtype`` says otherwise."""
    return Tensor(np.ones(_shape(shape), dtype=dtype or _FLOAT), requires_grad)


def full(shape, value, requires_grad: bool = False, dtype=None) -> Tensor:
    """A tensor filled with ``value``, float32 unless ``dtype`` says otherwise."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor(np.full(shape, value, dtype=dtype or _FLOAT), requires_grad)


def eye(n: int, m: int | None = None, requires_grad: bool = False, dtype=None) -> Tensor:
    """The (n, m) identity matrix, float32 unless ``dtype`` says otherwise."""
    return Tensor(np.eye(n, m, dtype=dtype or _FLOAT), requires_grad)


def randn(*shape, requires_grad: bool = False, dtype=None) -> Tensor:
    """Standard normal samples from the global generator (see ``manual_seed``)."""
    data = generator().standard_normal(_shape(shape))
    return Tensor(data.astype(dtype or _FLOAT), requires_grad)


def rand(*shape, requires_grad: bool = False, dtype=None) -> Tensor:
    """Uniform samples in [0, 1) from the global generator (see ``manual_seed``)."""
    data = generator().random(_shape(shape))
    return Tensor(data.astype(dtype or _FLOAT), requires_grad)


def arange(start, stop=None, step=1, requires_grad: bool = False, dtype=None) -> Tensor:
    """Evenly spaced values in [start, stop): int64 for integer arguments, else float32."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
        dtype = np.int64 if integral else _FLOAT
    return Tensor(np.arange(start, stop, step, dtype=dtype), requires_grad)


def zeros_like(t, requires_grad: bool = False, dtype=None) -> Tensor:
    """Zeros with ``t``'s shape and (unless given) dtype."""
    return Tensor(np.zeros(np.shape(_array(t)), dtype=dtype or _array(t).dtype), requires_grad)


def ones_like(t, requires_grad: bool = False, dtype=None) -> Tensor:
    """Ones with ``t``'s shape and (unless given) dtype."""
    return Tensor(np.ones(np.shape(_array(t)), dtype=dtype or _array(t).dtype), requires_grad)


def _array(t):
    return t.data if isinstance(t, Tensor) else np.asarray(t)


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (NumPy's ``concatenate``)."""
    return ops.Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis (NumPy's ``stack``)."""
    return ops.Stack.apply(*tensors, axis=axis)


def where(cond, a, b) -> Tensor:
    """``a`` where ``cond`` is true, else ``b`` (broadcasting); ``cond`` gets no gradient."""
    return ops.Where.apply(cond, a, b)


def maximum(a, b) -> Tensor:
    """Elementwise maximum; on ties each side gets half the gradient."""
    return ops.Maximum.apply(a, b)


def minimum(a, b) -> Tensor:
    """Elementwise minimum; on ties each side gets half the gradient."""
    return ops.Minimum.apply(a, b)


def pad(x, pad_width, value: float = 0.0) -> Tensor:
    """Constant padding with NumPy's ``pad_width`` (int, pair, or one pair per axis)."""
    return ops.Pad.apply(x, pad_width=pad_width, value=value)
