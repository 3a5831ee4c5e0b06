"""The layer classes: one small module per family."""

from nn.layers.activation import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.container import ModuleList, Sequential
from nn.layers.conv import Conv2d
from nn.layers.dropout import Dropout
from nn.layers.flatten import Flatten, Identity
from nn.layers.linear import Linear
from nn.layers.loss import CrossEntropyLoss, MSELoss
from nn.layers.norm import (
    BatchNorm1d,
    BatchNorm2d,
    GroupNorm,
    InstanceNorm2d,
    LayerNorm,
    SwitchableNorm2d,
)
from nn.layers.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv2d", "CrossEntropyLoss",
    "Dropout", "Flatten", "GroupNorm", "Identity", "InstanceNorm2d", "LayerNorm", "LeakyReLU",
    "Linear", "MSELoss", "MaxPool2d", "ModuleList", "ReLU", "Sequential", "Sigmoid", "Softmax",
    "SwitchableNorm2d", "Tanh",
]  # fmt: skip
