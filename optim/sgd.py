"""SGD: stochastic gradient descent with optional (Nesterov) momentum, as in PyTorch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor

from .optimizer import Optimizer, _add_weight_decay, _check_number


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum, step for step as PyTorch.

    For each parameter ``p`` with gradient ``g`` (state ``b`` = ``"momentum_buffer"``)::

        g = g + weight_decay * p                       if weight_decay != 0
        b = g                                          first step      } if momentum != 0
        b = momentum * b + (1 - dampening) * g         later steps     }
        g = g + momentum * b  if nesterov,  else  g = b                } if momentum != 0
        p = p - lr * g

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        Parameters to optimize, or parameter groups with per-group hyperparameters.
    lr : float
        Learning rate, >= 0.
    momentum : float, default 0
        Momentum factor, >= 0; 0 keeps no state.
    dampening : float, default 0
        Dampening applied to the gradient when it enters the momentum buffer.
    weight_decay : float, default 0
        L2 penalty coefficient added to the gradient.
    nesterov : bool, default False
        Use Nesterov momentum; requires ``momentum > 0`` and ``dampening == 0``.

    Notes
    -----
    State per parameter (only with momentum): ``"momentum_buffer"``, an array shaped and typed
    like the parameter. Updates run in place on ``p.data`` and keep its dtype.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        for key in ("lr", "momentum", "dampening", "weight_decay"):
            _check_number("SGD", key, group[key])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: nesterov momentum requires momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _update(self, group, p, param, grad):  # the rule in the class docstring
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        if weight_decay != 0:
            grad = _add_weight_decay(grad, param, weight_decay)
        if momentum != 0:
            state = self.state.setdefault(p, {})
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += grad if dampening == 0 else (1 - dampening) * grad
            if nesterov:
                direction = np.multiply(buf, momentum)
                direction += grad
            else:
                direction = buf
        else:
            direction = grad
        param -= lr * direction
