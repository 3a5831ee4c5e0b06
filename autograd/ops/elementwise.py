"""Elementwise primitives. Each backward returns the gradient in the output's broadcast
shape; the engine reduces it to each input's shape (see ``engine._unbroadcast``).

Backwards are written in Tensor ops (masks and signs are constants), so every one of
them is differentiable again under ``create_graph=True``.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Function, register
from autograd.tensor import Tensor


def _array(x):
    return x.data if isinstance(x, Tensor) else x


@register("add")
class Add(Function):  # d(a + b) = da + db
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out


@register("sub")
class Sub(Function):  # d(a - b) = da - db
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, (-grad_out if ctx.needs_input_grad[1] else None)


@register("mul")
class Mul(Function):  # d(a b) = b da + a db
    @staticmethod
    def forward(ctx, a, b):
        # Keep only what the needed grads use, so `y = x * 2; x += 1` stays legal (as PyTorch)
        need_a, need_b = ctx.needs_input_grad or (True, True)
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return a * b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad_out * b if need_a else None), (grad_out * a if need_b else None)


@register("div")
class Div(Function):  # d(a / b) = da / b - (a / b) db / b
    @staticmethod
    def forward(ctx, a, b):
        out = a / b
        need_b = ctx.needs_input_grad[1] if ctx.needs_input_grad else True
        ctx.save_for_backward(b, out if need_b else None)  # `y = x / 2; y += 1` stays legal
        return out

    @staticmethod
    def backward(ctx, grad_out):
        b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_out / b if need_a else None
        grad_b = -(grad_out * out) / b if need_b else None
        return grad_a, grad_b


@register("neg")
class Neg(Function):  # d(-a) = -da
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad_out):
        return -grad_out


@register("pow")
class Pow(Function):  # d(a^b) = b a^(b-1) da + a^b log(a) db
    @staticmethod
    def forward(ctx, a, b):
        out = np.power(a, b)
        need_b = ctx.needs_input_grad[1] if ctx.needs_input_grad else True
        ctx.save_for_backward(a, b, out if need_b else None)  # `y = x ** 2; y += 1` is legal
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_out * b * a ** (b - 1) if need_a else None
        grad_b = None
        if need_b:
            # log in the result's dtype: float32 ** float64 must not round log(a) to float32
            dtype = _array(out).dtype
            if isinstance(a, Tensor):
                log_a = (a if a.dtype == dtype else a.astype(dtype)).log()
            else:
                log_a = np.log(np.asarray(a, dtype=dtype))
            grad_b = grad_out * out * log_a
        return grad_a, grad_b


@register("exp")
class Exp(Function):  # d exp(a) = exp(a) da, so reuse the output
    @staticmethod
    def forward(ctx, a):
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        return grad_out * out


@register("log")
class Log(Function):  # d log(a) = da / a
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx, grad_out):
        (a,) = ctx.saved_tensors
        return grad_out / a


@register("sqrt")
class Sqrt(Function):  # d sqrt(a) = da / (2 sqrt(a))
    @staticmethod
    def forward(ctx, a):
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        return grad_out / (out * 2.0)


@register("tanh")
class Tanh(Function):  # d tanh(a) = (1 - tanh(a)^2) da
    @staticmethod
    def forward(ctx, a):
        out = np.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        return grad_out * (1.0 - out * out)


@register("sigmoid")
class Sigmoid(Function):  # d s(a) = s(a) (1 - s(a)) da
    @staticmethod
    def forward(ctx, a):
        # s(a) = (1 + tanh(a/2)) / 2: no overflow for large |a|, unlike 1 / (1 + exp(-a))
        out = np.tanh(a * 0.5)
        out += 1.0
        out *= 0.5
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        return grad_out * (out * (1.0 - out))


@register("relu")
class Relu(Function):  # d relu(a) = [a > 0] da
    @staticmethod
    def forward(ctx, a):
        out = np.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        return grad_out * (_array(out) > 0)


@register("abs")
class Abs(Function):  # d |a| = sign(a) da
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, grad_out):
        (a,) = ctx.saved_tensors
        return grad_out * np.sign(_array(a))


@register("clip")
class Clip(Function):  # d clip(a, lo, hi) = [lo <= a <= hi] da (boundaries pass, as PyTorch)
    @staticmethod
    def forward(ctx, a, lo=None, hi=None):
        if lo is None and hi is None:
            raise ValueError("clip: give at least one of lo and hi")
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(a, lo, hi)

    @staticmethod
    def backward(ctx, grad_out):
        a = _array(ctx.saved_tensors[0])
        inside = np.ones(a.shape, dtype=bool)
        if ctx.lo is not None:
            inside &= a >= ctx.lo
        if ctx.hi is not None:
            inside &= a <= ctx.hi
        return grad_out * inside


class _Extremum(Function):
    """maximum / minimum: the gradient goes to the winner and is split evenly on ties."""

    pick = None

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        return cls.pick(a, b)

    @classmethod
    def backward(cls, ctx, grad_out):
        a, b = (_array(t) for t in ctx.saved_tensors)
        wins_a = (cls.pick(a, b) == a) * 1.0 - (a == b) * 0.5  # 1 where a wins, 1/2 on ties
        need_a, need_b = ctx.needs_input_grad
        return (grad_out * wins_a if need_a else None), (
            grad_out * (1.0 - wins_a) if need_b else None
        )


@register("maximum")
class Maximum(_Extremum):  # d max(a, b) = [a > b] da + [b > a] db
    pick = staticmethod(np.maximum)


@register("minimum")
class Minimum(_Extremum):  # d min(a, b) = [a < b] da + [b < a] db
    pick = staticmethod(np.minimum)


@register("where")
class Where(Function):  # d where(c, a, b) = [c] da + [not c] db
    @staticmethod
    def forward(ctx, cond, a, b):
        cond = np.asarray(cond, dtype=bool)
        ctx.cond = cond
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad_out):
        need = ctx.needs_input_grad
        zero = np.zeros((), dtype=grad_out.dtype)
        grad_a = Where.apply(ctx.cond, grad_out, zero) if need[1] else None
        grad_b = Where.apply(ctx.cond, zero, grad_out) if need[2] else None
        return None, grad_a, grad_b


@register("astype")
class Cast(Function):  # d cast(a) = cast back(da)
    @staticmethod
    def forward(ctx, a, dtype):
        ctx.in_dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.astype(ctx.in_dtype)
