"""Losses. ``cross_entropy`` exists twice (fused and composed); the rest are composed.

Every loss takes ``reduction``: "mean" (default), "sum" or "none" (one value per sample).
"""

from __future__ import annotations

import numpy as np

from autograd import Function, Tensor, name_scope, stack, zeros_like
from nn.functional._args import check_impl
from nn.functional.activation import log_softmax

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction, op):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(per_sample: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return per_sample.mean()
    if reduction == "sum":
        return per_sample.sum()
    return per_sample


def _class_targets(scores, target, op) -> np.ndarray:
    """Integer class indices as an int64 array, checked against scores (N, K)."""
    if scores.ndim != 2:
        raise ValueError(f"{op}: expected scores of shape (N, K), got {scores.shape}")
    y = target.data if isinstance(target, Tensor) else np.asarray(target)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {y.dtype}")
    N, K = scores.shape
    if y.shape != (N,):
        raise ValueError(
            f"{op}: target must have shape ({N},) for scores {scores.shape}, got {y.shape}"
        )
    if y.size and (y.min() < 0 or y.max() >= K):
        raise ValueError(
            f"{op}: target holds class {int(y.max() if y.max() >= K else y.min())} outside [0, {K})"
        )
    return y.astype(np.int64, copy=False)


class CrossEntropy(Function):
    """Softmax cross-entropy of logits s (N, K) against integer targets y (N,), fused.

    forward:  loss_i = logsumexp(s_i) - s_{i, y_i}
    backward: d loss_i / d s_ij = softmax(s_i)_j - [j == y_i]   (times the upstream grad)
    """

    fused = True
    once_differentiable = True
    name = "cross_entropy"

    @staticmethod
    def forward(ctx, logits, y, reduction="mean"):
        shifted = logits - logits.max(axis=1, keepdims=True)  # exp can't overflow
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        per_sample = np.log(total[:, 0]) - shifted[rows, y]
        exp /= total  # now the softmax, kept for backward
        ctx.probs, ctx.y, ctx.reduction = exp, y, reduction
        if reduction == "mean":
            return np.asarray(per_sample.mean(), dtype=logits.dtype)
        if reduction == "sum":
            return np.asarray(per_sample.sum(), dtype=logits.dtype)
        return per_sample

    @staticmethod
    def backward(ctx, grad_out):
        grad = ctx.probs.copy()
        grad[np.arange(len(ctx.y)), ctx.y] -= 1.0
        if ctx.reduction == "none":
            grad *= grad_out[:, None]
        else:
            grad *= grad_out / len(ctx.y) if ctx.reduction == "mean" else grad_out
        return grad, None


def cross_entropy(logits: Tensor, target, reduction: str = "mean", impl: str = "fused") -> Tensor:
    """Softmax cross-entropy: -log softmax(logits)[target], reduced over the batch.

    Parameters
    ----------
    logits : Tensor, shape (N, K), unnormalized class scores
    target : Tensor or ndarray of int, shape (N,), class indices in [0, K)
    reduction : "mean" | "sum" | "none"
    impl : "fused" (one node) or "composed" (log_softmax then nll_loss)

    Returns
    -------
    Tensor: a scalar, or shape (N,) with reduction="none"; logits' dtype
    """
    check_impl(impl, "cross_entropy")
    _check_reduction(reduction, "cross_entropy")
    y = _class_targets(logits, target, "cross_entropy")
    if impl == "fused":
        return CrossEntropy.apply(logits, y, reduction=reduction)
    with name_scope("cross_entropy"):
        return nll_loss(log_softmax(logits, axis=1), y, reduction=reduction)


def nll_loss(log_probs: Tensor, target, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: -log_probs[i, target_i], reduced over the batch."""
    _check_reduction(reduction, "nll_loss")
    y = _class_targets(log_probs, target, "nll_loss")
    return _reduce(-log_probs[np.arange(len(y)), y], reduction)


def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean squared error (input - target)^2, elementwise then reduced over all elements."""
    _check_reduction(reduction, "mse_loss")
    if np.shape(target.data if isinstance(target, Tensor) else target) != input.shape:
        raise ValueError(
            f"mse_loss: input shape {input.shape} and target shape "
            f"{np.shape(target.data if isinstance(target, Tensor) else target)} differ"
        )
    diff = input - target
    return _reduce(diff * diff, reduction)


def binary_cross_entropy_with_logits(logits: Tensor, target, reduction: str = "mean") -> Tensor:
    """-[t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))] = softplus(x) - t x, elementwise.

    softplus(x) = log(1 + exp(x)) is a logsumexp of (0, x), so it is stable for any x and
    its gradient sigmoid(x) is exact everywhere (no kink at 0).
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.shape != logits.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits: logits shape {logits.shape} and target shape "
            f"{t.shape} differ"
        )
    with name_scope("binary_cross_entropy_with_logits"):
        softplus = stack([zeros_like(logits), logits], axis=0).logsumexp(axis=0)
        return _reduce(softplus - logits * t.astype(logits.dtype), reduction)


def svm_loss(scores: Tensor, target, reduction: str = "mean") -> Tensor:
    """Multiclass hinge loss with margin 1: sum_{j != y_i} max(0, s_ij - s_iy_i + 1).

    Parameters
    ----------
    scores : Tensor, shape (N, K)
    target : int Tensor or ndarray, shape (N,)
    """
    _check_reduction(reduction, "svm_loss")
    y = _class_targets(scores, target, "svm_loss")
    rows = np.arange(len(y))
    others = np.ones(scores.shape, dtype=scores.dtype)
    others[rows, y] = 0.0  # the correct class contributes no margin
    with name_scope("svm_loss"):
        correct = scores[rows, y].reshape((len(y), 1))
        margins = (scores - correct + 1.0).relu() * others
        return _reduce(margins.sum(axis=1), reduction)
