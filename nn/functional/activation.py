"""Activations and the softmax family: each a few autograd primitives (one implementation).

relu, sigmoid and tanh are single primitives already; softmax and log_softmax go through
the ``logsumexp`` primitive, which shifts by the maximum, so logits of 1e4 are safe.
"""

from __future__ import annotations

from autograd import Tensor, where


def relu(x: Tensor) -> Tensor:
    """max(x, 0) elementwise; the gradient at 0 is 0, as PyTorch."""
    return x.relu()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope * x (the gradient at 0 is negative_slope)."""
    return where(x.data > 0, x, x * negative_slope)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) elementwise, without overflow for large |x|."""
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    """tanh(x) elementwise."""
    return x.tanh()


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - logsumexp(x) along ``axis``: log-probabilities, stable for large logits."""
    return x - x.logsumexp(axis=axis, keepdims=True)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``, computed as exp(log_softmax(x))."""
    return log_softmax(x, axis=axis).exp()
