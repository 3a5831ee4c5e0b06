"""nn.functional: every layer as a function; two-implementation layers take ``impl``."""

from nn.functional.activation import leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from nn.functional.compare import ImplReport, compare_impls
from nn.functional.conv import conv2d
from nn.functional.dropout import dropout
from nn.functional.linear import linear
from nn.functional.loss import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
    svm_loss,
)
from nn.functional.norm import batch_norm, group_norm, instance_norm, layer_norm
from nn.functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from nn.functional.switchable import switchable_norm

__all__ = [
    "ImplReport", "adaptive_avg_pool2d", "avg_pool2d", "batch_norm",
    "binary_cross_entropy_with_logits", "compare_impls", "conv2d", "cross_entropy", "dropout",
    "group_norm", "instance_norm", "layer_norm", "leaky_relu", "linear", "log_softmax",
    "max_pool2d", "mse_loss", "nll_loss", "relu", "sigmoid", "softmax", "svm_loss",
    "switchable_norm", "tanh",
]  # fmt: skip
