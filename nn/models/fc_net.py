"""FullyConnectedNet: the multi-layer perceptron of the CS231n assignment."""

from __future__ import annotations

import math
from collections.abc import Sequence

from autograd import Tensor
from nn.layers import BatchNorm1d, Dropout, LayerNorm, Linear, ReLU, Sequential
from nn.models._init import scale_weights
from nn.module import Module

_NORMS = (None, "batchnorm", "layernorm")


class FullyConnectedNet(Module):
    """{Linear - [BatchNorm1d/LayerNorm] - ReLU - [Dropout]} x (L - 1) - Linear.

    Input (N, d1, ..., dk) is flattened to (N, input_dim); the output is (N, num_classes)
    class scores. The layers live in ``self.layers`` (a Sequential), so the state-dict keys
    are ``layers.0.weight``, ``layers.0.bias``, ``layers.1.weight`` (a norm) and so on.

    Parameters
    ----------
    hidden_dims : sequence of int
        The width of each hidden layer (L - 1 of them; empty gives a linear classifier).
    input_dim : int, default 3*32*32
    num_classes : int, default 10
    dropout : float, default 0.0
        Dropout probability after each ReLU; 0 adds no Dropout layers.
    normalization : None | "batchnorm" | "layernorm"
        A norm layer between each hidden Linear and its ReLU.
    weight_scale : float, optional
        Draw every Linear weight from N(0, weight_scale^2) and zero the biases (CS231n);
        None keeps PyTorch's default initialisation.
    impl : "fused" (default) | "composed", passed to the norm layers
    """

    def __init__(
        self,
        hidden_dims: Sequence[int],
        input_dim: int = 3 * 32 * 32,
        num_classes: int = 10,
        dropout: float = 0.0,
        normalization: str | None = None,
        weight_scale: float | None = None,
        impl: str = "fused",
    ):
        super().__init__()
        if normalization not in _NORMS:
            raise ValueError(
                "FullyConnectedNet: normalization must be None, 'batchnorm' or 'layernorm', "
                f"got {normalization!r}"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"FullyConnectedNet: dropout must be in [0, 1), got {dropout}")
        self.input_dim = input_dim if isinstance(input_dim, int) else math.prod(input_dim)
        self.num_classes = num_classes
        layers = []
        dims = [self.input_dim, *hidden_dims]
        for fan_in, fan_out in zip(dims[:-1], dims[1:]):
            layers.append(Linear(fan_in, fan_out))
            if normalization == "batchnorm":
                layers.append(BatchNorm1d(fan_out, impl=impl))
            elif normalization == "layernorm":
                layers.append(LayerNorm(fan_out, impl=impl))
            layers.append(ReLU())
            if dropout > 0:
                layers.append(Dropout(dropout))
        layers.append(Linear(dims[-1], num_classes))
        self.layers = Sequential(*layers)
        if weight_scale is not None:
            scale_weights(self, weight_scale)

    def forward(self, x: Tensor) -> Tensor:
        """Class scores (N, num_classes) for input (N, d1, ..., dk) with d1*...*dk = input_dim."""
        if not isinstance(x, Tensor):
            raise TypeError(f"FullyConnectedNet: expected a Tensor, got {type(x).__name__}")
        if x.ndim < 2 or math.prod(x.shape[1:]) != self.input_dim:
            raise ValueError(
                f"FullyConnectedNet: expected input (N, ...) with {self.input_dim} values per "
                f"sample, got {x.shape}"
            )
        return self.layers(x.reshape(x.shape[0], self.input_dim))
