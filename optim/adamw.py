"""AdamW: Adam with decoupled weight decay; the moment math is Adam's, only the decay differs."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from autograd import Tensor

from .adam import Adam


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019), step for step as PyTorch (no amsgrad).

    For each parameter ``p`` with gradient ``g`` (state ``m`` = ``"exp_avg"``,
    ``v`` = ``"exp_avg_sq"``, ``t`` = ``"step"``)::

        t = t + 1
        p = p * (1 - lr * weight_decay)          decay the weights, not the gradient
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
    weight_decay : float, default 1e-2
        Decoupled weight decay coefficient, >= 0.

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
        weight_decay: float = 1e-2,
    ):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def _decay(self, param: np.ndarray, grad: np.ndarray, lr: float, weight_decay: float):
        """Shrink param in place by (1 - lr * weight_decay); the gradient is left as it is."""
        param *= 1 - lr * weight_decay
        return grad
