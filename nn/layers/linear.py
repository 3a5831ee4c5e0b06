"""The affine layer."""

from __future__ import annotations

import numpy as np

import nn.functional as F
from autograd import Tensor
from nn import init
from nn.layers._checks import check_input, positive_int
from nn.module import Module
from nn.parameter import Parameter


class Linear(Module):
    """y = x @ weight.T + bias, PyTorch's ``nn.Linear``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, default True

    Attributes
    ----------
    weight : Parameter, shape (out_features, in_features), float32;
        kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in_features), 1/sqrt(in_features))
    bias : Parameter, shape (out_features,), U(-1/sqrt(in_features), 1/sqrt(in_features));
        None with ``bias=False``

    Input (*, in_features); output (*, out_features).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.in_features = positive_int(in_features, "in_features", "Linear")
        self.out_features = positive_int(out_features, "out_features", "Linear")
        self.weight = Parameter(np.zeros((out_features, in_features), dtype=np.float32))
        if bias:
            self.bias = Parameter(np.zeros(out_features, dtype=np.float32))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default initialisation (see the class docstring)."""
        init.default_affine_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        check_input(
            self, x, lambda x: x.ndim >= 1 and x.shape[-1] == self.in_features,
            f"(*, {self.in_features})",
        )  # fmt: skip
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
