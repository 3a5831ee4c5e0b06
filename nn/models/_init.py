"""CS231n's initialisation, shared by the models that take ``weight_scale``."""

from __future__ import annotations

from nn import init
from nn.layers import Conv2d, Linear
from nn.module import Module


def scale_weights(model: Module, weight_scale: float) -> None:
    """Draw every Linear/Conv2d weight from N(0, weight_scale^2) and zero their biases."""
    if weight_scale <= 0:
        raise ValueError(f"{type(model).__name__}: weight_scale must be > 0, got {weight_scale}")
    for module in model.modules():
        if isinstance(module, (Linear, Conv2d)):
            init.normal_(module.weight, 0.0, weight_scale)
            if module.bias is not None:
                init.zeros_(module.bias)
