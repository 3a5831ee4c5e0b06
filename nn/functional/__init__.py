"""nn.functional: every layer as a function; two-implementation layers take ``impl``."""

from nn.functional.activation import leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from nn.functional.compare import ImplReport, compare_impls
from nn.functional.dropout import dropout
from nn.functional.linear import linear
from nn.functional.loss import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
    svm_loss,
)

__all__ = [
    "ImplReport", "binary_cross_entropy_with_logits", "compare_impls", "cross_entropy",
    "dropout", "leaky_relu", "linear", "log_softmax", "mse_loss", "nll_loss", "relu",
    "sigmoid", "softmax", "svm_loss", "tanh",
]  # fmt: skip
