"""Reductions. Each VJP reshapes the incoming gradient to keepdims form and broadcasts it
back over the reduced axes: sum and broadcast_to are partners."""

from __future__ import annotations

import math

import numpy as np

from autograd.function import Function, register
from autograd.tensor import Tensor


def normalize_axis(axis, ndim, op, shape=None):
    """``axis`` (None, int or tuple, negatives allowed) as None or a sorted tuple of ints."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(
                f"{op}: axis {a} is out of range for a tensor of {ndim} dims (shape {shape})"
            )
        result.append(int(a) % max(ndim, 1))
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(result))


def _keepdims_shape(shape, axes):
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand(grad_out, ctx):
    """The output gradient with the reduced axes put back as length 1 (keepdims form)."""
    if ctx.keepdims:
        return grad_out
    return grad_out.reshape(_keepdims_shape(ctx.in_shape, ctx.axes))


def _count(shape, axes):
    return math.prod(shape) if axes is None else math.prod(shape[a] for a in axes)


class _Reduction(Function):
    @staticmethod
    def _setup(ctx, a, axis, keepdims):
        ctx.axes = normalize_axis(axis, a.ndim, ctx.name, a.shape)
        ctx.keepdims = keepdims
        ctx.in_shape = a.shape
        return ctx.axes


@register("sum")
class Sum(_Reduction):  # d sum(a) = broadcast(d out)
    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        axes = _Reduction._setup(ctx, a, axis, keepdims)
        return np.sum(a, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad_out):
        return _expand(grad_out, ctx).broadcast_to(ctx.in_shape)


@register("mean")
class Mean(_Reduction):  # d mean(a) = broadcast(d out) / n
    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        axes = _Reduction._setup(ctx, a, axis, keepdims)
        return np.mean(a, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad_out):
        scale = 1.0 / _count(ctx.in_shape, ctx.axes)
        return (_expand(grad_out, ctx) * scale).broadcast_to(ctx.in_shape)


@register("var")
class Var(_Reduction):  # d var(a) = 2 (a - mean(a)) / (n - ddof) d out
    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False, ddof=0):
        axes = _Reduction._setup(ctx, a, axis, keepdims)
        ctx.save_for_backward(a)
        ctx.ddof = ddof
        return np.var(a, axis=axes, keepdims=keepdims, ddof=ddof)

    @staticmethod
    def backward(ctx, grad_out):
        (a,) = ctx.saved_tensors
        centered = a - a.mean(axis=ctx.axes, keepdims=True)
        scale = 2.0 / (_count(ctx.in_shape, ctx.axes) - ctx.ddof)
        return _expand(grad_out, ctx) * scale * centered


class _Extreme(_Reduction):
    """max / min: the gradient is split evenly among the tied extremes."""

    reduce = None

    @classmethod
    def forward(cls, ctx, a, axis=None, keepdims=False):
        axes = _Reduction._setup(ctx, a, axis, keepdims)
        if a.size == 0 and (axes is None or any(a.shape[i] == 0 for i in axes)):
            raise ValueError(f"{ctx.name}: cannot reduce over an empty axis (shape {a.shape})")
        out = cls.reduce(a, axis=axes, keepdims=True)
        ctx.save_for_backward(a)
        ctx.winners = out
        return out if keepdims else out.reshape(_keepdims_drop(a.shape, axes))

    @staticmethod
    def backward(ctx, grad_out):
        (a,) = ctx.saved_tensors
        a = a.data if isinstance(a, Tensor) else a
        mask = (a == ctx.winners).astype(a.dtype)
        mask /= mask.sum(axis=ctx.axes, keepdims=True)
        return _expand(grad_out, ctx) * mask


def _keepdims_drop(shape, axes):
    if axes is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axes)


@register("max")
class Max(_Extreme):
    reduce = staticmethod(np.max)


@register("min")
class Min(_Extreme):
    reduce = staticmethod(np.min)


@register("logsumexp")
class LogSumExp(_Reduction):  # d lse(a) = softmax(a) d out = exp(a - lse(a)) d out
    @staticmethod
    def forward(ctx, a, axis=None, keepdims=False):
        axes = _Reduction._setup(ctx, a, axis, keepdims)
        shift = np.max(a, axis=axes, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0)  # all -inf rows stay -inf, not NaN
        out = np.log(np.sum(np.exp(a - shift), axis=axes, keepdims=True)) + shift
        if not keepdims:
            out = out.reshape(_keepdims_drop(a.shape, axes))
        ctx.save_for_backward(a, out)  # the output itself, so a second derivative sees it
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, out = ctx.saved_tensors
        return _expand(grad_out, ctx) * (a - _expand(out, ctx)).exp()
