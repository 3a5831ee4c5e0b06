"""RMSprop: scale each coordinate by a running root mean square of its gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor

from .optimizer import Optimizer, _add_weight_decay, _check_number


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), step for step as PyTorch (uncentered).

    For each parameter ``p`` with gradient ``g`` (state ``v`` = ``"square_avg"``,
    ``b`` = ``"momentum_buffer"``, ``t`` = ``"step"``)::

        t = t + 1
        g = g + weight_decay * p                       if weight_decay != 0
        v = alpha * v + (1 - alpha) * g * g
        d = sqrt(v) + eps
        b = momentum * b + g / d;  p = p - lr * b       if momentum > 0
        p = p - lr * g / d                              otherwise

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        Parameters to optimize, or parameter groups with per-group hyperparameters.
    lr : float, default 1e-2
        Learning rate, >= 0.
    alpha : float, default 0.99
        Smoothing constant of the squared-gradient average, >= 0.
    eps : float, default 1e-8
        Added to the denominator for numerical stability, >= 0.
    weight_decay : float, default 0
        L2 penalty coefficient added to the gradient.
    momentum : float, default 0
        Momentum factor, >= 0.

    Notes
    -----
    State per parameter: ``"step"`` (int), ``"square_avg"`` and, with momentum,
    ``"momentum_buffer"`` (arrays shaped and typed like the parameter, starting at zero).
    Updates run in place on ``p.data`` and keep its dtype.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
    ):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        for key in ("lr", "alpha", "eps", "weight_decay", "momentum"):
            _check_number("RMSprop", key, group[key])

    def _update(self, group, p, param, grad):  # the rule in the class docstring
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
        state["step"] += 1
        if weight_decay != 0:
            grad = _add_weight_decay(grad, param, weight_decay)
        square_avg = state["square_avg"]
        square_avg *= alpha
        scratch = np.multiply(grad, grad)  # the one temporary of this update
        scratch *= 1 - alpha
        square_avg += scratch
        np.sqrt(square_avg, out=scratch)
        scratch += eps
        np.divide(grad, scratch, out=scratch)
        if momentum > 0:
            # momentum may have been switched on after the first step
            buf = state.setdefault("momentum_buffer", np.zeros_like(param))
            buf *= momentum
            buf += scratch
            np.multiply(buf, lr, out=scratch)
        else:
            scratch *= lr
        param -= scratch
