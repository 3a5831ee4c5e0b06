"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor

from .optimizer import Optimizer, _add_weight_decay, _check_number


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), step for step as PyTorch (no lr decay).

    For each parameter ``p`` with gradient ``g`` (state ``s`` = ``"sum"``, ``t`` = ``"step"``)::

        t = t + 1
        g = g + weight_decay * p                 if weight_decay != 0
        s = s + g * g
        p = p - lr * g / (sqrt(s) + eps)

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        Parameters to optimize, or parameter groups with per-group hyperparameters.
    lr : float, default 1e-2
        Learning rate, >= 0.
    eps : float, default 1e-10
        Added to the denominator for numerical stability, >= 0.
    weight_decay : float, default 0
        L2 penalty coefficient added to the gradient.

    Notes
    -----
    State per parameter: ``"step"`` (int) and ``"sum"`` (an array shaped and typed like the
    parameter, starting at zero). Updates run in place on ``p.data`` and keep its dtype.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-2,
        eps: float = 1e-10,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, dict(lr=lr, eps=eps, weight_decay=weight_decay))

    def _check_group(self, group: dict[str, Any]) -> None:
        for key in ("lr", "eps", "weight_decay"):
            _check_number("Adagrad", key, group[key])

    def _update(self, group, p, param, grad):  # the rule in the class docstring
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = 0
            state["sum"] = np.zeros_like(param)
        state["step"] += 1
        if weight_decay != 0:
            grad = _add_weight_decay(grad, param, weight_decay)
        total = state["sum"]
        scratch = np.multiply(grad, grad)  # the one temporary of this update
        total += scratch
        np.sqrt(total, out=scratch)
        scratch += eps
        np.divide(grad, scratch, out=scratch)
        scratch *= lr
        param -= scratch
