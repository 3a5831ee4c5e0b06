"""Combining primitives: concatenate and stack, whose partners are slices of the gradient."""

from __future__ import annotations

import numpy as np

from autograd.function import Function, register


def _axis(axis, ndim, op):
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for {ndim} dims")
    return axis % ndim


@register("concatenate")
class Concatenate(Function):  # partner: split the gradient at the same offsets
    @staticmethod
    def forward(ctx, *arrays, axis=0):
        if not arrays:
            raise ValueError("concatenate: needs at least one tensor")
        axis = _axis(axis, arrays[0].ndim, "concatenate")
        ctx.lead = (slice(None),) * axis
        ctx.bounds = np.cumsum([0] + [a.shape[axis] for a in arrays]).tolist()
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad_out):
        b = ctx.bounds
        return tuple(
            grad_out[ctx.lead + (slice(b[i], b[i + 1]),)] if need else None
            for i, need in enumerate(ctx.needs_input_grad)
        )


@register("stack")
class Stack(Function):  # partner: index the gradient along the new axis
    @staticmethod
    def forward(ctx, *arrays, axis=0):
        if not arrays:
            raise ValueError("stack: needs at least one tensor")
        axis = _axis(axis, arrays[0].ndim + 1, "stack")
        ctx.lead = (slice(None),) * axis
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad_out):
        return tuple(
            grad_out[ctx.lead + (i,)] if need else None
            for i, need in enumerate(ctx.needs_input_grad)
        )
