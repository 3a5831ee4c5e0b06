"""Matrix product with NumPy's rules (1-D operands, broadcast batch axes)."""

from __future__ import annotations

import numpy as np

from autograd.function import Function, register


def _swap(t):
    """Transpose the last two axes."""
    axes = list(range(t.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return t.transpose(axes)


@register("matmul")
class MatMul(Function):  # d(a @ b) = da @ b + a @ db, so grad_a = g @ b^T, grad_b = a^T @ g
    @staticmethod
    def forward(ctx, a, b):
        a_shape, b_shape = np.shape(a), np.shape(b)
        if not a_shape or not b_shape:
            raise ValueError(
                f"matmul: both operands need at least one dimension; got shapes {a_shape} and "
                f"{b_shape} (use * for scalars)"
            )
        inner_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
        if a_shape[-1] != inner_b:
            raise ValueError(
                f"matmul: shapes {a_shape} and {b_shape} are not aligned "
                f"({a_shape[-1]} != {inner_b})"
            )
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        a_vec, b_vec = a.ndim == 1, b.ndim == 1
        # Restore the axes NumPy dropped for 1-D operands, so the 2-D formulas hold.
        g = grad_out
        if a_vec:
            g = g.unsqueeze(-2) if not b_vec else g.reshape((1, 1))
        if b_vec:
            g = g.unsqueeze(-1) if not a_vec else g
        a2 = a.reshape((1, a.shape[0])) if a_vec else a
        b2 = b.reshape((b.shape[0], 1)) if b_vec else b
        grad_a = grad_b = None
        if need_a:
            grad_a = g @ _swap(b2)  # (..., n, k)
            if a_vec:
                grad_a = grad_a.reshape(grad_a.shape[:-2] + (a.shape[0],))
        if need_b:
            grad_b = _swap(a2) @ g  # (..., k, m)
            if b_vec:
                grad_b = grad_b.reshape(grad_b.shape[:-2] + (b.shape[0],))
        return grad_a, grad_b
