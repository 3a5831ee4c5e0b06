"""Normalization layers: batch, layer, group and instance norm, each fused and composed.

All four are one computation on a reshaped view of x: normalize over some axes of the
view, then scale and shift per channel. The fused versions are thin reshapes around one
``Function`` (``_Normalize``; a named subclass per layer so the graph says which one);
the composed versions use public autograd primitives only. Views, with S = H*W (or 1):

    batch_norm     (N, C, S) or (N, D)   normalize over (0, 2) or (0,)  affine (1, C, 1)
    instance_norm  (N, C, S)             normalize over (2,)            affine (1, C, 1)
    group_norm     (N, G, C/G, S)        normalize over (2, 3)          affine (1, G, C/G, 1)
    layer_norm     (M, K)                normalize over (1,)            affine (1, K)
"""

from __future__ import annotations

import functools
import math

import numpy as np

from autograd import Function, Tensor, name_scope
from nn.functional._args import check_impl, check_tensor
from nn.functional._parallel import run_split

__all__ = ["batch_norm", "group_norm", "instance_norm", "layer_norm"]


# -- the shared fused normalizer -------------------------------------------------------------


def _subscripts(shape: tuple, axes: tuple, operands: int) -> str:
    letters = "abcdefgh"[: len(shape)]
    kept = "".join(s for i, s in enumerate(letters) if i not in axes)
    return ",".join([letters] * operands) + "->" + kept


@functools.lru_cache(maxsize=512)
def _spec(shape: tuple, axes: tuple, operands: int) -> tuple[str, str, tuple, tuple, bool]:
    """einsum subscripts summing ``operands`` arrays' product over ``axes``.

    Returns (subscripts, merged subscripts, merged shape, keepdims shape, along rows). In
    the merged form neighbouring axes that are all summed or all kept are one axis: einsum
    loops over fewer, longer axes much faster, and contiguous operands merge for free.
    "Along rows": the merged sum is over the last axis only.
    """
    merged, merged_axes = [], []
    for i, n in enumerate(shape):
        if i and (i - 1 in axes) == (i in axes):
            merged[-1] *= n
            continue
        merged.append(n)
        if i in axes:
            merged_axes.append(len(merged) - 1)
    keepdims = tuple(1 if i in axes else n for i, n in enumerate(shape))
    merged_spec = _subscripts(tuple(merged), tuple(merged_axes), operands)
    rows = merged_axes == [len(merged) - 1]
    return _subscripts(shape, axes, operands), merged_spec, tuple(merged), keepdims, rows


def _sum(a: np.ndarray, axes: tuple, b: np.ndarray | None = None) -> np.ndarray:
    """sum(a) or sum(a * b) over ``axes``, keepdims.

    einsum's summing loops are several times faster than np.sum's pairwise ones here and
    never materialize a * b; for a * b summed along rows np.vecdot is faster still
    (10-30% on the benchmark norms; for sums of a alone it is not).
    """
    operands = (a,) if b is None else (a, b)
    spec, merged_spec, merged, keepdims, rows = _spec(a.shape, axes, len(operands))
    if all(o.flags.c_contiguous for o in operands):
        spec, operands = merged_spec, tuple(o.reshape(merged) for o in operands)
        if rows and b is not None:
            return np.vecdot(*operands).reshape(keepdims)
    return np.einsum(spec, *operands).reshape(keepdims)


@functools.lru_cache(maxsize=512)
def _plan(axes: tuple, affine: tuple) -> tuple[tuple, tuple, tuple, tuple]:
    """How w meets the normalized axes: (wide, pure, rest, across).

    wide: axes along which w and b are broadcast (their gradients sum over these);
    pure: normalized axes along which w is constant (summed first, into "cells");
    rest: normalized axes along which w varies (layer and group norm);
    across: the wide axes that are not normalized (cells -> w's shape).
    """
    wide = tuple(i for i, n in enumerate(affine) if n == 1)
    pure = tuple(a for a in axes if a in wide)
    rest = tuple(a for a in axes if a not in wide)
    across = tuple(a for a in wide if a not in pure)
    return wide, pure, rest, across


def _split_axis(view: tuple, axes: tuple) -> int:
    """The longest axis that is not normalized: its slices are independent problems."""
    return max((i for i in range(len(view)) if i not in axes), key=lambda i: view[i])


def _part(a, axis: int, part: slice):
    """``a``'s slice ``part`` along ``axis``, or all of ``a`` where it broadcasts there."""
    if a is None or a.shape[axis] == 1:
        return a
    return a[(slice(None),) * axis + (part,)]


def _join(partials: list, axis: int, varies: bool):
    """Whole parameter gradients from the blocks' partial ones (see ``run_split``).

    A parameter broadcast along the split axis got a partial sum from each block; one
    that ``varies`` along it got its own slice of the gradient.
    """
    if partials[0] is None:
        return None
    if len(partials) == 1:
        return partials[0]
    if varies:
        return np.concatenate(partials, axis=axis)
    return functools.reduce(np.add, partials)


def _update_running(running, mean, var, m, momentum):
    """running = (1 - momentum) * running + momentum * batch, in place on the buffers' arrays.

    PyTorch keeps the unbiased variance in running_var, so the biased batch variance over
    m values is scaled by m / (m - 1).
    """
    running_mean, running_var = running
    running_mean *= 1.0 - momentum
    running_mean += momentum * mean.reshape(running_mean.shape)
    running_var *= 1.0 - momentum
    running_var += (momentum * m / (m - 1)) * var.reshape(running_var.shape)


class _Normalize(Function):
    """Normalize x over ``axes`` of the view ``view``, then scale and shift, fused.

    forward:  out = xhat * w + b, xhat = (x - mean) * inv_std, inv_std = 1 / sqrt(var + eps)
    grad_x:   dx = inv_std / m * (m * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)),
              dxhat = dout * w, sums over the m normalized elements of each group
              (with given statistics, as in eval batch norm: dx = inv_std * dxhat)
    grad_w:   sum(dout * xhat) over the axes along which w is broadcast
    grad_b:   sum(dout) over the same axes

    ``affine`` is the shape w and b take in the view. ``stats`` (mean, var), shaped to
    broadcast over the view, replaces the batch statistics; ``running`` (the buffers'
    arrays) receives the batch statistics in place.

    Layer norm keeps xhat for backward. Everywhere else w is constant along some
    normalized axes, so every coefficient above is constant on a "cell" (a run of elements
    sharing w and the group statistics): backward then needs only per-cell sums of dout
    and dout * x, and keeps x itself (no copy) with mean and inv_std, as PyTorch does;
    x - mean is computed in the output's memory. sum(dout * xhat) = inv_std * (sum(dout *
    x) - mean * sum(dout)) then loses about log10(|mean| / std) digits, as in PyTorch's
    group norm.

    Slices of the view along an axis that is not normalized are independent problems, so
    forward and backward each run as one kernel per slice, on a thread per core
    (``run_split``); only the parameter gradients are joined afterwards.
    """

    fused = True
    once_differentiable = True

    @staticmethod
    def forward(
        ctx, x, weight, bias, view, axes, affine, eps, stats=None, running=None, momentum=0.1
    ):
        xv = x.reshape(view)
        m = math.prod(view[a] for a in axes)
        w = None if weight is None else weight.reshape(affine)
        b = None if bias is None else bias.reshape(affine)
        from_x = bool(_plan(axes, affine)[1])  # cells: backward works from x itself
        keep_xhat = bool(ctx.needs_input_grad) and not from_x
        split = _split_axis(view, axes)
        out = np.empty(view, dtype=x.dtype)
        xhat = np.empty(view, dtype=x.dtype) if keep_xhat else out
        if stats is None:
            stat_shape = tuple(1 if i in axes else n for i, n in enumerate(view))
            mean, var, inv_std = (np.empty(stat_shape, dtype=x.dtype) for _ in range(3))
        else:
            mean, var = stats[0].copy(), stats[1]  # the buffers may change before backward
            inv_std = 1.0 / np.sqrt(var + eps)

        def kernel(part):
            _normalize_forward(
                *(_part(a, split, part) for a in (xv, w, b, out, xhat, mean, var, inv_std)),
                axes, m, eps, stats is not None, from_x,
            )  # fmt: skip

        run_split(kernel, view[split], out.size, row=view[-1])
        if running is not None:
            _update_running(running, mean, var, m, momentum)
        if ctx.needs_input_grad:
            ctx.save_for_backward(x if from_x else xhat, mean, inv_std, weight)
            ctx.view, ctx.axes, ctx.affine, ctx.m, ctx.from_x = view, axes, affine, m, from_x
            ctx.split, ctx.x_shape, ctx.given_stats = split, x.shape, stats is not None
            param = weight if weight is not None else bias
            ctx.param_shape = None if param is None else param.shape
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad_out):
        xs, mean, inv_std, weight = ctx.saved_tensors  # xs: x if ctx.from_x, else xhat
        need_x = ctx.needs_input_grad[0]
        dout = grad_out.reshape(ctx.view)
        xs = xs.reshape(ctx.view)
        w = None if weight is None else weight.reshape(ctx.affine)
        grad_x = np.empty(ctx.x_shape, dtype=np.result_type(dout, xs)) if need_x else None
        dx = None if grad_x is None else grad_x.reshape(ctx.view)  # filled through the view
        split = ctx.split

        def kernel(part):
            return _normalize_backward(
                ctx, *(_part(a, split, part) for a in (dout, xs, mean, inv_std, w, dx))
            )

        partials = run_split(kernel, ctx.view[split], dout.size, row=ctx.view[-1])
        varies = ctx.affine[split] != 1
        grads = [_join([p[i] for p in partials], split, varies) for i in (0, 1)]
        grad_w, grad_b = (None if g is None else g.reshape(ctx.param_shape) for g in grads)
        return grad_x, grad_w, grad_b


def _normalize_forward(x, w, b, out, xhat, mean, var, inv_std, axes, m, eps, given, from_x):
    """``_Normalize``'s forward on one slice: fills out (and xhat, and the statistics)."""
    if given:  # out = x * scale + (b - mean * scale)
        scale = inv_std if w is None else inv_std * w
        np.multiply(x, scale, out=out)
        out += -mean * scale if b is None else b - mean * scale
        return
    mean[...] = _sum(x, axes)
    mean /= m
    np.subtract(x, mean, out=xhat)
    var[...] = _sum(xhat, axes, xhat)  # two passes: no cancellation as in E[x^2] - mean^2
    var /= m
    np.add(var, eps, out=inv_std)
    np.sqrt(inv_std, out=inv_std)
    np.divide(1.0, inv_std, out=inv_std)
    if from_x:  # xhat is out
        out *= inv_std if w is None else inv_std * w
    else:  # layer norm: inv_std per row, w per column
        xhat *= inv_std
        if w is not None:
            np.multiply(xhat, w, out=out)
        elif xhat is not out:
            np.copyto(out, xhat)
    if b is not None:
        out += b


def _normalize_backward(ctx, dout, xs, mean, inv_std, w, dx):
    """``_Normalize``'s backward on one slice: fills dx, returns (grad_w, grad_b) partials."""
    _, need_w, need_b = ctx.needs_input_grad
    need_x = dx is not None
    axes, m = ctx.axes, ctx.m
    wide, pure, rest, across = _plan(axes, ctx.affine)
    batch_stats = not ctx.given_stats

    if not ctx.from_x:  # layer norm: w varies elementwise inside a group; xs is xhat
        grad_b = _sum(dout, wide) if need_b else None
        grad_w = _sum(dout, wide, xs) if need_w else None
        if not need_x:
            return grad_w, grad_b
        if w is None:
            np.copyto(dx, dout)
        else:
            np.multiply(dout, w, out=dx)  # dxhat
        if batch_stats:
            mean_dxhat = _sum(dx, rest)
            mean_dxhat /= m
            mean_dxhat_xhat = _sum(dx, rest, xs)
            mean_dxhat_xhat /= m
            dx -= np.multiply(xs, mean_dxhat_xhat)
            dx -= mean_dxhat
        dx *= inv_std
        return grad_w, grad_b

    # Per-cell sums of dout and dout * xhat, then on to w's shape and to the groups.
    sum_dout = sum_dout_xhat = grad_b = grad_w = None
    if need_b or need_w or (need_x and batch_stats):
        sum_dout = _sum(dout, pure)
    if need_w or (need_x and batch_stats):
        sum_dout_xhat = _sum(dout, pure, xs)
        sum_dout_xhat -= mean * sum_dout
        sum_dout_xhat *= inv_std
    if need_b:
        grad_b = sum_dout.sum(axis=across, keepdims=True) if across else sum_dout
    if need_w:
        grad_w = sum_dout_xhat.sum(axis=across, keepdims=True) if across else sum_dout_xhat
    if not need_x:
        return grad_w, grad_b
    a = inv_std if w is None else inv_std * w
    if not batch_stats:
        np.multiply(dout, a, out=dx)
        return grad_w, grad_b

    # Every coefficient is constant on a cell: dx = a * (dout + c2 * xhat + c1) with
    # a = inv_std * w and c = -mean(dxhat [* xhat]) / w, and xhat = (x - mean) * inv_std:
    # four passes, no temporary.
    if w is None or not rest:  # w constant on each group: the w's cancel
        if rest:
            sum_dout = sum_dout.sum(axis=rest, keepdims=True)
            sum_dout_xhat = sum_dout_xhat.sum(axis=rest, keepdims=True)
        c1, c2 = sum_dout * (-1.0 / m), sum_dout_xhat * (-1.0 / m)
    else:  # group norm: w varies over the cells of a group
        mean_dxhat = (sum_dout * w).sum(axis=rest, keepdims=True) / m
        mean_dxhat_xhat = (sum_dout_xhat * w).sum(axis=rest, keepdims=True) / m
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            c1, c2 = -mean_dxhat / w, -mean_dxhat_xhat / w
        if not (np.isfinite(c1).all() and np.isfinite(c2).all()):  # some w is ~0
            k = -mean_dxhat_xhat * inv_std  # dx = inv_std * (dxhat + k (x - mean) - mean_dxhat)
            np.multiply(xs, k, out=dx)
            dx -= mean_dxhat + k * mean
            dx += np.multiply(dout, w)
            dx *= inv_std
            return grad_w, grad_b
    k = c2 * inv_std
    np.multiply(xs, k, out=dx)
    dx += c1 - k * mean
    dx += dout
    dx *= a
    return grad_w, grad_b


class BatchNorm(_Normalize):
    """The shared normalizer, named batch_norm in the graph."""

    name = "batch_norm"


class LayerNorm(_Normalize):
    """The shared normalizer, named layer_norm in the graph."""

    name = "layer_norm"


class GroupNorm(_Normalize):
    """The shared normalizer, named group_norm in the graph."""

    name = "group_norm"


class InstanceNorm(_Normalize):
    """The shared normalizer, named instance_norm in the graph."""

    name = "instance_norm"


# -- argument checks ------------------------------------------------------------------------


def _check_float(x: Tensor, op: str) -> None:
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point x, got dtype {x.dtype}")


def _check_param(t, op: str, what: str, expected: tuple, reason: str) -> None:
    """Raise unless ``t`` is None or a Tensor of shape ``expected``; ``reason`` explains it."""
    if t is None:
        return
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: expected a Tensor or None for {what}, got {type(t).__name__}")
    if t.shape != expected:
        raise ValueError(f"{op}: {what} has shape {t.shape} but {reason} (expected {expected})")


def _check_channels(x, op, tensors: dict, C: int) -> None:
    reason = f"x has {C} channels; x.shape={x.shape}"
    for what, t in tensors.items():
        _check_param(t, op, what, (C,), reason)


def _check_running(running_mean, running_var, momentum, op) -> None:
    """Both running buffers or neither, and a numeric momentum."""
    if (running_mean is None) != (running_var is None):
        raise ValueError(
            f"{op}: give both running_mean and running_var, or neither (batch statistics)"
        )
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)):
        raise TypeError(f"{op}: momentum must be a float, got {momentum!r}")


# -- composed helpers -------------------------------------------------------------------------


def _normalize_composed(x: Tensor, axes: tuple, eps: float, mean=None, var=None) -> Tensor:
    """(x - mean) / sqrt(var + eps) from primitives; batch statistics over ``axes`` by default."""
    if mean is None:
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True)
    return (x - mean) / (var + eps).sqrt()


def _affine_composed(xhat: Tensor, weight, bias, shape: tuple) -> Tensor:
    if weight is not None:
        xhat = xhat * weight.reshape(shape)
    if bias is not None:
        xhat = xhat + bias.reshape(shape)
    return xhat


# -- batch norm ---------------------------------------------------------------------------------


def batch_norm(
    x: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    impl: str = "fused",
) -> Tensor:
    """Normalize each channel with batch statistics (training) or running ones (eval).

    out = (x - mean) / sqrt(var + eps) * weight + bias, statistics per channel over
    N (and L or H, W). In training, mean and the biased variance come from the batch and
    the running buffers are updated in place: running = (1 - momentum) * running +
    momentum * batch, with the unbiased variance for running_var (as PyTorch). In eval
    the running buffers are used; with both buffers None the batch statistics are used
    in eval too (and nothing is updated).

    Parameters
    ----------
    x : Tensor, shape (N, D), (N, C, L) or (N, C, H, W), floating point
    running_mean, running_var : Tensor, shape (C,), or None (both)
    weight, bias : Tensor, shape (C,), optional
    training : bool
    momentum, eps : float
    impl : "fused" (one node, hand-derived VJP) or "composed" (autograd primitives)

    Returns
    -------
    Tensor, x's shape and dtype
    """
    op = "batch_norm"
    check_impl(impl, op)
    check_tensor(x, op, (2, 3, 4), "x")
    _check_float(x, op)
    _check_running(running_mean, running_var, momentum, op)
    N, C = x.shape[:2]
    _check_channels(
        x,
        op,
        {"running_mean": running_mean, "running_var": running_var, "weight": weight, "bias": bias},
        C,
    )
    batch = training or running_mean is None
    S = math.prod(x.shape[2:])
    if training and N * S <= 1:
        raise ValueError(
            f"{op}: expected more than 1 value per channel when training, got x.shape={x.shape}"
        )
    update = training and running_mean is not None
    if impl == "fused":
        if x.ndim == 2:
            view, axes, affine = (N, C), (0,), (1, C)
        else:
            view, axes, affine = (N, C, S), (0, 2), (1, C, 1)
        stats = running = None
        if not batch:
            stats = (running_mean.data.reshape(affine), running_var.data.reshape(affine))
        elif update:
            running = (running_mean.data, running_var.data)
        return BatchNorm.apply(
            x, weight, bias, view=view, axes=axes, affine=affine, eps=eps, stats=stats,
            running=running, momentum=momentum,
        )  # fmt: skip

    with name_scope(op):
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, C) + (1,) * (x.ndim - 2)
        if batch:
            mean = x.mean(axis=axes, keepdims=True)
            var = x.var(axis=axes, keepdims=True)
            if update:
                running = (running_mean.data, running_var.data)
                _update_running(running, mean.data, var.data, N * S, momentum)
        else:
            mean, var = running_mean.reshape(shape), running_var.reshape(shape)
        xhat = _normalize_composed(x, axes, eps, mean, var)
        return _affine_composed(xhat, weight, bias, shape)


# -- layer norm ---------------------------------------------------------------------------------


def layer_norm(
    x: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    impl: str = "fused",
) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` axes of each sample, then affine.

    out = (x - mean) / sqrt(var + eps) * weight + bias with mean and biased variance over
    the last len(normalized_shape) axes; weight and bias are elementwise over those axes.

    Parameters
    ----------
    x : Tensor, shape (*, *normalized_shape), floating point
    normalized_shape : int or tuple of ints
    weight, bias : Tensor, shape normalized_shape, optional
    eps : float
    impl : "fused" or "composed"

    Returns
    -------
    Tensor, x's shape and dtype
    """
    op = "layer_norm"
    check_impl(impl, op)
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor for x, got {type(x).__name__}")
    _check_float(x, op)
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(int(n) for n in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or x.ndim < k or x.shape[x.ndim - k :] != normalized_shape:
        raise ValueError(
            f"{op}: x.shape={x.shape} does not end with normalized_shape={normalized_shape}"
        )
    reason = f"normalized_shape is {normalized_shape}"
    _check_param(weight, op, "weight", normalized_shape, reason)
    _check_param(bias, op, "bias", normalized_shape, reason)
    if impl == "fused":
        K = math.prod(normalized_shape)
        return LayerNorm.apply(
            x, weight, bias, view=(x.size // max(K, 1), K), axes=(1,), affine=(1, K), eps=eps
        )
    with name_scope(op):
        xhat = _normalize_composed(x, tuple(range(x.ndim - k, x.ndim)), eps)
        return _affine_composed(xhat, weight, bias, normalized_shape)


# -- group and instance norm ----------------------------------------------------------------------


def group_norm(
    x: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    impl: str = "fused",
) -> Tensor:
    """Normalize each sample over groups of C / num_groups channels (and all of H, W).

    Parameters
    ----------
    x : Tensor, shape (N, C), (N, C, L) or (N, C, H, W), floating point
    num_groups : int, dividing C
    weight, bias : Tensor, shape (C,), optional (per channel)
    eps : float
    impl : "fused" or "composed"

    Returns
    -------
    Tensor, x's shape and dtype
    """
    op = "group_norm"
    check_impl(impl, op)
    check_tensor(x, op, (2, 3, 4), "x")
    _check_float(x, op)
    N, C = x.shape[:2]
    G = num_groups
    if not isinstance(G, (int, np.integer)) or G < 1 or C % G:
        raise ValueError(
            f"{op}: num_groups={G!r} must be a positive int dividing the {C} channels of "
            f"x.shape={x.shape}"
        )
    _check_channels(x, op, {"weight": weight, "bias": bias}, C)
    S = math.prod(x.shape[2:])
    if impl == "fused":
        return GroupNorm.apply(
            x, weight, bias, view=(N, G, C // G, S), axes=(2, 3), affine=(1, G, C // G, 1), eps=eps
        )
    with name_scope(op):
        xhat = _normalize_composed(x.reshape(N, G, -1), (2,), eps).reshape(x.shape)
        return _affine_composed(xhat, weight, bias, (1, C) + (1,) * (x.ndim - 2))


def instance_norm(
    x: Tensor,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    impl: str = "fused",
) -> Tensor:
    """Normalize each (sample, channel) over its spatial positions; no running statistics.

    Parameters
    ----------
    x : Tensor, shape (N, C, L) or (N, C, H, W), floating point
    weight, bias : Tensor, shape (C,), optional
    eps : float
    impl : "fused" or "composed"

    Returns
    -------
    Tensor, x's shape and dtype
    """
    op = "instance_norm"
    check_impl(impl, op)
    check_tensor(x, op, (3, 4), "x")
    _check_float(x, op)
    N, C = x.shape[:2]
    _check_channels(x, op, {"weight": weight, "bias": bias}, C)
    S = math.prod(x.shape[2:])
    if S <= 1:
        raise ValueError(f"{op}: expected more than 1 spatial element, got x.shape={x.shape}")
    if impl == "fused":
        return InstanceNorm.apply(
            x, weight, bias, view=(N, C, S), axes=(2,), affine=(1, C, 1), eps=eps
        )
    with name_scope(op):
        xhat = _normalize_composed(x, tuple(range(2, x.ndim)), eps)
        return _affine_composed(xhat, weight, bias, (1, C) + (1,) * (x.ndim - 2))
