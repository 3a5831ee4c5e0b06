"""Indexing primitives: getitem and its partner, an accumulating scatter-add."""

from __future__ import annotations

import numpy as np

from autograd.function import Function, register


def _is_basic(index):
    """Basic indices (ints, slices, None, Ellipsis, bool masks) can't repeat an element."""
    parts = index if isinstance(index, tuple) else (index,)
    for p in parts:
        if isinstance(p, np.ndarray) and p.dtype != bool:
            return False
        if isinstance(p, (list, tuple)):
            return False
    return True


@register("getitem")
class GetItem(Function):  # partner: scatter the gradient back, accumulating repeats
    returns_view = True

    @staticmethod
    def forward(ctx, a, index):
        ctx.index = index
        ctx.in_shape = a.shape
        try:
            return a[index]
        except IndexError as error:
            raise IndexError(f"getitem: {error}; tensor shape {a.shape}") from None

    @staticmethod
    def backward(ctx, grad_out):
        return ScatterAdd.apply(grad_out, index=ctx.index, shape=ctx.in_shape)


@register("scatter_add")
class ScatterAdd(Function):  # zeros(shape) with g added at index; partner: getitem
    @staticmethod
    def forward(ctx, grad, index, shape):
        ctx.index = index
        out = np.zeros(shape, dtype=grad.dtype)
        if _is_basic(index):
            out[index] = grad
        else:
            np.add.at(out, index, grad)  # not +=: repeated indices must accumulate
        return out

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out[ctx.index]


@register("setitem")
class SetItem(Function):  # a copy of a with a[index] = v; d a = g off index, d v = g[index]
    @staticmethod
    def forward(ctx, a, value, index):
        ctx.index = index
        out = np.array(a)
        try:
            out[index] = value
        except (IndexError, ValueError) as error:
            raise type(error)(
                f"setitem: {error}; tensor shape {a.shape}, value shape {np.shape(value)}"
            ) from None
        return out

    @staticmethod
    def backward(ctx, grad_out):
        need_a, need_v = ctx.needs_input_grad
        grad_a = SetItem.apply(grad_out, 0.0, index=ctx.index) if need_a else None
        return grad_a, (grad_out[ctx.index] if need_v else None)
