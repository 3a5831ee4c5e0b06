"""Adam: bias-corrected first and second gradient moments (AdamW reuses this math)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor

from .optimizer import Optimizer, _add_weight_decay, _check_number


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with L2 weight decay, step for step as PyTorch (no amsgrad).

    For each parameter ``p`` with gradient ``g`` (state ``m`` = ``"exp_avg"``,
    ``v`` = ``"exp_avg_sq"``, ``t`` = ``"step"``)::

        t = t + 1
        g = g + weight_decay * p                       if weight_decay != 0
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        Parameters to optimize, or parameter groups with per-group hyperparameters.
    lr : float, default 1e-3
        Learning rate, >= 0.
    betas : (float, float), default (0.9, 0.999)
        Decay rates of the first and second moment averages, each in [0, 1).
    eps : float, default 1e-8
        Added to the denominator for numerical stability, >= 0.
    weight_decay : float, default 0
        L2 penalty coefficient added to the gradient (see AdamW for decoupled decay).

    Notes
    -----
    State per parameter: ``"step"`` (int), ``"exp_avg"`` and ``"exp_avg_sq"`` (arrays shaped
    and typed like the parameter, starting at zero). Updates run in place on ``p.data`` and
    keep its dtype.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        owner = type(self).__name__
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
        group["betas"] = tuple(betas)
        for i, beta in enumerate(betas):
            _check_number(owner, f"betas[{i}]", beta, high=1.0)
        for key in ("lr", "eps", "weight_decay"):
            _check_number(owner, key, group[key])

    def _decay(self, param: np.ndarray, grad: np.ndarray, lr: float, weight_decay: float):
        """Apply weight decay; Adam folds it into the gradient (L2), returning the new grad."""
        return _add_weight_decay(grad, param, weight_decay)

    def _update(self, group, p, param, grad):  # the rule in the class docstring
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay = group["weight_decay"]
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        if weight_decay != 0:
            grad = self._decay(param, grad, lr, weight_decay)
        _adam_update(param, grad, state, lr, beta1, beta2, eps)


def _adam_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict[str, Any],
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
) -> None:
    """Update the moments in state and param in place (state["step"] already incremented)."""
    exp_avg, exp_avg_sq, step = state["exp_avg"], state["exp_avg_sq"], state["step"]
    scratch = np.subtract(grad, exp_avg)  # the one temporary of this update
    # m + (1 - beta1) * (g - m) is PyTorch's lerp, the same average as beta1*m + (1-beta1)*g
    scratch *= 1 - beta1
    exp_avg += scratch
    exp_avg_sq *= beta2
    np.multiply(grad, grad, out=scratch)
    scratch *= 1 - beta2
    exp_avg_sq += scratch
    step_size = lr / (1 - beta1**step)
    np.sqrt(exp_avg_sq, out=scratch)
    scratch /= math.sqrt(1 - beta2**step)
    scratch += eps
    np.divide(exp_avg, scratch, out=scratch)
    scratch *= step_size
    param -= scratch
