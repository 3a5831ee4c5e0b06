"""Shape primitives. Linear ops come in pairs: each VJP is its partner op."""

from __future__ import annotations

import numpy as np

from autograd.function import Function, register


@register("reshape")
class Reshape(Function):  # partner: reshape back
    returns_view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape shape {a.shape} ({a.size} elements) into {shape}"
            ) from None

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.reshape(ctx.in_shape)


@register("transpose")
class Transpose(Function):  # partner: transpose by the inverse permutation
    returns_view = True

    @staticmethod
    def forward(ctx, a, axes=None):
        if axes is None:
            axes = tuple(range(a.ndim))[::-1]
        elif sorted(a_ % max(a.ndim, 1) for a_ in axes) != list(range(a.ndim)):
            raise ValueError(
                f"transpose: axes {axes} are not a permutation of the {a.ndim} axes "
                f"of shape {a.shape}"
            )
        ctx.inverse = tuple(np.argsort([a_ % a.ndim for a_ in axes]).tolist())
        return np.transpose(a, axes)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.transpose(ctx.inverse)


@register("broadcast_to")
class BroadcastTo(Function):  # partner: sum over the broadcast axes, done by the engine
    returns_view = True

    @staticmethod
    def forward(ctx, a, shape):
        try:
            return np.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(
                f"broadcast_to: cannot broadcast shape {a.shape} to {shape} "
                "(aligned from the right, each axis must match or be 1)"
            ) from None

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out  # the engine's unbroadcast sums it back to the input's shape


def normalize_pad_width(pad_width, ndim):
    """NumPy's ``pad_width`` (int, (before, after) or one pair per axis) as ndim pairs."""
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width {pad_width!r} does not fit a tensor of {ndim} dims; give an int, "
            "a (before, after) pair or one pair per axis"
        ) from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}")
    return tuple((int(b), int(a)) for b, a in widths)


@register("pad")
class Pad(Function):  # partner: slice the padding off
    @staticmethod
    def forward(ctx, a, pad_width, value=0.0):
        widths = normalize_pad_width(pad_width, a.ndim)
        ctx.inner = tuple(slice(b, b + s) for (b, _), s in zip(widths, a.shape))
        return np.pad(a, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out[ctx.inner]
