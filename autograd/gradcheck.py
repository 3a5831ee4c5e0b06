"""Numeric gradients by central differences, and the check of the engine against them."""

from __future__ import annotations

import numpy as np

from autograd.engine import grad
from autograd.tensor import Tensor


class GradcheckError(AssertionError):
    """Analytic and numeric gradients disagree; the message names the input and element."""


def numerical_grad(fn, inputs, eps: float = 1e-6) -> tuple:
    """Central-difference gradients of a scalar-valued ``fn`` at ``inputs``.

    Parameters
    ----------
    fn : callable taking the inputs and returning a one-element Tensor
    inputs : sequence of Tensors (others are passed through untouched)
    eps : the step; each input element is moved by +eps and -eps in float64

    Returns
    -------
    tuple of float64 ndarrays, one per input (None for non-Tensor inputs)
    """
    inputs = _float64(inputs)
    results = []
    # Grad mode stays as the caller has it: fn may itself call autograd.grad (a gradient
    # of a gradient), which needs the graph recorded, as in PyTorch's gradcheck.
    for t in inputs:
        if not isinstance(t, Tensor) or t.dtype.kind != "f":
            results.append(None)
            continue
        results.append(_numeric(fn, inputs, t, eps))
    return tuple(results)


def _numeric(fn, inputs, t, eps):
    flat = t.data.reshape(-1)  # a view: writing it perturbs the input in place
    out = np.empty(flat.shape, dtype=np.float64)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = _scalar(fn(*inputs))
        flat[i] = original - eps
        minus = _scalar(fn(*inputs))
        flat[i] = original
        out[i] = (plus - minus) / (2 * eps)
    return out.reshape(t.shape)


def _scalar(value):
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    if array.size != 1:
        raise ValueError(f"numerical_grad: fn must return one element; got shape {array.shape}")
    return float(array.reshape(()))


def _float64(inputs):
    """Float64 copies of the float Tensor inputs (requires_grad kept), others as given."""
    copies = []
    for t in inputs:
        if isinstance(t, Tensor) and t.dtype.kind == "f":
            # C order: _numeric perturbs through reshape(-1), which must be a view, not a copy
            data = np.array(t.data, dtype=np.float64, order="C")
            copies.append(Tensor(data, requires_grad=t.requires_grad))
        else:
            copies.append(t)
    return copies


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True) -> bool:
    """Compare the engine's gradients of ``fn`` with central differences, in float64.

    A non-scalar output is reduced to ``sum(out * v)`` with a fixed random ``v``, so the
    check exercises the vector-Jacobian product with a generic upstream gradient (a tuple
    of outputs gets one ``v`` each). Every input that requires grad is checked.

    Returns True, or raises ``GradcheckError`` naming the input, the worst element and the
    analytic and numeric values there (returns False instead when ``raise_exception`` is
    False).
    """
    inputs = _float64(inputs)
    projections = {}

    def scalar_fn(*xs):
        outs = fn(*xs)
        outs = outs if isinstance(outs, (tuple, list)) else (outs,)
        total = 0.0
        for k, o in enumerate(outs):
            if not isinstance(o, Tensor) or o.dtype.kind != "f":
                continue
            if k not in projections:
                projections[k] = np.random.default_rng(k).standard_normal(o.shape)
                if len(outs) == 1 and o.size == 1:  # a scalar fn: report its own gradient
                    projections[k] = np.ones(o.shape)
            total = (o * projections[k]).sum() + total
        return total

    wanted = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not wanted:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    loss = scalar_fn(*inputs)
    if not isinstance(loss, Tensor) or not loss.requires_grad:
        raise ValueError("gradcheck: fn's output does not depend on any input that requires grad")
    analytic = iter(grad(loss, wanted, allow_unused=True))
    for index, t in enumerate(inputs):
        if not (isinstance(t, Tensor) and t.requires_grad):
            continue
        a = next(analytic)
        a = np.zeros(t.shape) if a is None else np.asarray(a.data, dtype=np.float64)
        n = _numeric(scalar_fn, inputs, t, eps)  # grad mode on: see numerical_grad
        excess = np.abs(a - n) - (atol + rtol * np.abs(n))
        if a.shape != n.shape or (excess > 0).any() or not np.isfinite(a).all():
            if not raise_exception:
                return False
            if a.shape != n.shape:
                raise GradcheckError(
                    f"gradcheck: input {index}: analytic gradient has shape {a.shape}, "
                    f"expected {n.shape}"
                )
            excess = np.where(np.isfinite(a), excess, np.inf)
            worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(excess)), a.shape))
            raise GradcheckError(
                f"gradcheck: input {index} (shape {t.shape}) mismatch at index {worst}: "
                f"analytic {float(a[worst])!r}, numeric {float(n[worst])!r} "
                f"(|diff| {abs(a[worst] - n[worst]):.3g} > atol {atol} + rtol {rtol} * |numeric|)"
            )
    return True
