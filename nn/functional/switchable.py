"""Switchable normalization (Luo et al. 2019), fused and composed.

"Differentiable Learning-to-Normalize via Switchable Normalization" (ICLR 2019): x of shape
(N, C, H, W) is normalized with a mixture of the instance-, layer- and batch-norm
statistics, mixed by softmax weights learned end to end, then scaled and shifted per
channel. With k over I_in = {(i, j)} for each (n, c), I_ln = {(c, i, j)} for each n and
I_bn = {(n, i, j)} for each c, the paper's Eqs. (2)-(4) read

    mu_k = 1/|I_k| sum_{I_k} x,   sigma2_k = 1/|I_k| sum_{I_k} (x - mu_k)^2   (biased)
    out = weight * (x - sum_k wm_k mu_k) / sqrt(sum_k wv_k sigma2_k + eps) + bias
    wm = softmax(mean_weight), wv = softmax(var_weight), order (in, ln, bn).

This is the definition implemented here. (The authors' released code takes the unbiased
instance variance and derives the others from it; we follow the paper's biased
definition, so sigma2_ln and sigma2_bn are exactly the layer/batch norm variances.) As in
batch norm, training updates running_mean / running_var (unbiased) from the batch
statistics, and eval uses them in place of mu_bn / sigma2_bn.
"""

from __future__ import annotations

import numpy as np

from autograd import Function, Tensor, name_scope
from nn.functional._args import check_impl, check_tensor
from nn.functional.norm import (
    _check_channels,
    _check_float,
    _check_param,
    _check_running,
    _sum,
    _update_running,
)

__all__ = ["switchable_norm"]


def _softmax(v: np.ndarray) -> np.ndarray:
    e = np.exp(v - v.max())  # shift by the max so exp can't overflow
    return e / e.sum()


class SwitchableNorm(Function):
    """Switchable normalization of x (N, C, H, W), fused (mixture weights wm, wv, 3 each).

    forward:  out = xhat * w + b, xhat = (x - mu) * inv_std, inv_std = 1 / sqrt(var + eps),
              mu = sum_k wm_k mu_k, var = sum_k wv_k sigma2_k (k = in, ln, bn)
    grad_x:   dx = inv_std * dxhat + sum_k (wm_k G_mu,k + 2 wv_k G_var,k (x - mu_k)) / |I_k|,
              dxhat = dout * w, per (n, c) g_mu = -inv_std sum_hw(dxhat) and g_var =
              -inv_std^2 / 2 sum_hw(dxhat * xhat); G_k sums g over the (n, c) that share
              mu_k (in: itself, ln: all c, bn: all n; eval: no bn term)
    grad_w:   sum(dout * xhat) over (N, H, W);  grad_b: sum(dout) over (N, H, W)
    grad_mean_weight: wm * (gm - <wm, gm>), gm_k = sum(g_mu * mu_k)   (softmax VJP)
    grad_var_weight:  wv * (gv - <wv, gv>), gv_k = sum(g_var * sigma2_k)

    The layer and batch statistics come from the instance ones by the law of total
    variance: sigma2_ln = mean_c(sigma2_in) + mean_c((mu_in - mu_ln)^2), likewise bn.
    """

    name = "switchable_norm"
    fused = True
    once_differentiable = True

    @staticmethod
    def forward(
        ctx, x, mean_weight, var_weight, weight, bias, eps, stats=None, running=None,
        momentum=0.1,
    ):  # fmt: skip
        N, C = x.shape[:2]
        S = x.size // (N * C)
        xv = x.reshape(N, C, S)
        mean_in = _sum(xv, (2,))  # (N, C, 1)
        mean_in /= S
        xc = np.subtract(xv, mean_in)
        var_in = _sum(xc, (2,), xc)
        var_in /= S
        mean_ln = mean_in.mean(axis=1, keepdims=True)  # (N, 1, 1)
        var_ln = (var_in + (mean_in - mean_ln) ** 2).mean(axis=1, keepdims=True)
        if stats is None:
            mean_bn = mean_in.mean(axis=0, keepdims=True)  # (1, C, 1)
            var_bn = (var_in + (mean_in - mean_bn) ** 2).mean(axis=0, keepdims=True)
            if running is not None:
                _update_running(running, mean_bn, var_bn, N * S, momentum)
        else:
            # copies: the buffers may change before backward
            mean_bn, var_bn = (s.reshape(1, C, 1).copy() for s in stats)
        wm, wv = _softmax(mean_weight), _softmax(var_weight)
        mean = wm[0] * mean_in + wm[1] * mean_ln + wm[2] * mean_bn  # (N, C, 1)
        var = wv[0] * var_in + wv[1] * var_ln + wv[2] * var_bn
        inv_std = 1.0 / np.sqrt(var + eps)
        # out = (x - mean) * a + b = xc * a + (mean_in - mean) * a + b, in xc's buffer
        a = inv_std if weight is None else inv_std * weight.reshape(1, C, 1)
        shift = (mean_in - mean) * a
        if bias is not None:
            shift += bias.reshape(1, C, 1)
        out = np.multiply(xc, a, out=xc)
        out += shift
        if ctx.needs_input_grad:  # backward works from x itself, as batch norm's
            ctx.save_for_backward(x, mean, inv_std, weight)
            ctx.stats = (mean_in, mean_ln, mean_bn), (var_in, var_ln, var_bn)
            ctx.wm, ctx.wv, ctx.batch_stats = wm, wv, stats is None
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad_out):
        x, mean, inv_std, weight = ctx.saved_tensors
        need_x, need_mw, need_vw, need_w, need_b = ctx.needs_input_grad
        N, C = grad_out.shape[:2]
        S = grad_out.size // (N * C)
        dout = grad_out.reshape(N, C, S)
        xv = x.reshape(N, C, S)
        sum_dout = _sum(dout, (2,))  # (N, C, 1)
        sum_dout_xhat = (_sum(dout, (2,), xv) - mean * sum_dout) * inv_std
        grad_w = sum_dout_xhat.sum(axis=0).reshape(C) if need_w else None
        grad_b = sum_dout.sum(axis=0).reshape(C) if need_b else None
        w = None if weight is None else weight.reshape(1, C, 1)
        sum_dxhat = sum_dout if w is None else sum_dout * w
        sum_dxhat_xhat = sum_dout_xhat if w is None else sum_dout_xhat * w
        g_mean = -inv_std * sum_dxhat  # dL/dmu, (N, C, 1)
        g_var = -0.5 * inv_std**2 * sum_dxhat_xhat  # dL/dvar
        means, variances = ctx.stats
        wm, wv = ctx.wm, ctx.wv

        grad_mw = grad_vw = None
        if need_mw:
            gm = np.array([np.sum(g_mean * mu) for mu in means])
            grad_mw = wm * (gm - wm @ gm)
        if need_vw:
            gv = np.array([np.sum(g_var * s2) for s2 in variances])
            grad_vw = wv * (gv - wv @ gv)
        if not need_x:
            return None, grad_mw, grad_vw, grad_w, grad_b

        # dx = a * dout + coef * (x - mean) + const, every coefficient per (n, c), from
        # d mu_k / dx = 1 / |I_k| and d sigma2_k / dx = 2 (x - mu_k) / |I_k| with
        # x - mu_k = (x - mean) + (mean - mu_k); each statistic collects the gradient of
        # every (n, c) it is shared by (in: itself, ln: all c, bn: all n).
        sizes = (S, C * S, N * S)
        g_means = (g_mean, g_mean.sum(axis=1, keepdims=True), g_mean.sum(axis=0, keepdims=True))
        g_vars = (g_var, g_var.sum(axis=1, keepdims=True), g_var.sum(axis=0, keepdims=True))
        coef = const = 0.0
        for k in range(3 if ctx.batch_stats else 2):  # eval: bn is the running buffers
            g_s2 = (2.0 * wv[k] / sizes[k]) * g_vars[k]
            coef = coef + g_s2
            const = const + (wm[k] / sizes[k]) * g_means[k] + g_s2 * (mean - means[k])
        const = const - coef * mean  # in terms of x itself
        a = inv_std if w is None else inv_std * w
        grad_x = np.empty(grad_out.shape, dtype=np.result_type(dout, xv))
        dx = grad_x.reshape(N, C, S)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            r_coef, r_const = coef / a, const / a
        if np.isfinite(r_coef).all() and np.isfinite(r_const).all():
            np.multiply(xv, r_coef, out=dx)  # dx = a * (dout + (coef / a) x + const / a)
            dx += r_const
            dx += dout
            dx *= a
        else:  # some weight is ~0: pay for one temporary
            np.multiply(xv, coef, out=dx)
            dx += const
            dx += np.multiply(dout, a)
        return grad_x, grad_mw, grad_vw, grad_w, grad_b


def _softmax_composed(v: Tensor) -> Tensor:
    e = (v - float(v.data.max())).exp()  # a constant shift: softmax is shift-invariant
    return e / e.sum()


def switchable_norm(
    x: Tensor,
    mean_weight: Tensor,
    var_weight: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    impl: str = "fused",
) -> Tensor:
    """Switchable normalization: a learned softmax mixture of IN, LN and BN statistics.

    out = weight * (x - mu) / sqrt(var + eps) + bias with mu = sum_k softmax(mean_weight)_k
    mu_k and var = sum_k softmax(var_weight)_k sigma2_k over k = (instance, layer, batch);
    the biased statistics of the paper's Eq. (2) (see the module docstring). In training
    the batch statistics also update the running buffers in place, as ``batch_norm`` does
    (unbiased running_var); in eval the batch term uses the running buffers (with both
    None, batch statistics are used in eval too).

    Parameters
    ----------
    x : Tensor, shape (N, C, H, W), floating point
    mean_weight, var_weight : Tensor, shape (3,), the mixture logits (in, ln, bn)
    running_mean, running_var : Tensor, shape (C,), or None (both)
    weight, bias : Tensor, shape (C,), optional
    training : bool
    momentum, eps : float
    impl : "fused" (one node, hand-derived VJP) or "composed" (autograd primitives)

    Returns
    -------
    Tensor, x's shape and dtype
    """
    op = "switchable_norm"
    check_impl(impl, op)
    check_tensor(x, op, (4,), "x")
    _check_float(x, op)
    for what, t in (("mean_weight", mean_weight), ("var_weight", var_weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected a Tensor for {what}, got {type(t).__name__}")
        _check_param(t, op, what, (3,), "it holds the (instance, layer, batch) logits")
    _check_running(running_mean, running_var, momentum, op)
    N, C, H, W = x.shape
    _check_channels(
        x,
        op,
        {"running_mean": running_mean, "running_var": running_var, "weight": weight, "bias": bias},
        C,
    )
    if training and N * H * W <= 1:
        raise ValueError(
            f"{op}: expected more than 1 value per channel when training, got x.shape={x.shape}"
        )
    batch = training or running_mean is None
    update = training and running_mean is not None
    if impl == "fused":
        stats = None if batch else (running_mean.data, running_var.data)
        running = (running_mean.data, running_var.data) if update else None
        return SwitchableNorm.apply(
            x, mean_weight, var_weight, weight, bias, eps=eps, stats=stats, running=running,
            momentum=momentum,
        )  # fmt: skip

    with name_scope(op):
        mean_in = x.mean(axis=(2, 3), keepdims=True)
        var_in = x.var(axis=(2, 3), keepdims=True)
        mean_ln = x.mean(axis=(1, 2, 3), keepdims=True)
        var_ln = x.var(axis=(1, 2, 3), keepdims=True)
        if batch:
            mean_bn = x.mean(axis=(0, 2, 3), keepdims=True)
            var_bn = x.var(axis=(0, 2, 3), keepdims=True)
            if update:
                running = (running_mean.data, running_var.data)
                _update_running(running, mean_bn.data, var_bn.data, N * H * W, momentum)
        else:
            mean_bn = running_mean.reshape(1, C, 1, 1)
            var_bn = running_var.reshape(1, C, 1, 1)
        wm, wv = _softmax_composed(mean_weight), _softmax_composed(var_weight)
        mean = wm[0] * mean_in + wm[1] * mean_ln + wm[2] * mean_bn
        var = wv[0] * var_in + wv[1] * var_ln + wv[2] * var_bn
        out = (x - mean) / (var + eps).sqrt()
        if weight is not None:
            out = out * weight.reshape(1, C, 1, 1)
        if bias is not None:
            out = out + bias.reshape(1, C, 1, 1)
        return out
