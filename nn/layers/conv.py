"""The 2-D convolution layer."""

from __future__ import annotations

import numpy as np

import nn.functional as F
from autograd import Tensor
from nn import init
from nn.functional._args import check_impl, pair
from nn.layers._checks import check_input, positive_int
from nn.module import Module
from nn.parameter import Parameter


class Conv2d(Module):
    """2-D cross-correlation over (N, C, H, W) input, PyTorch's ``nn.Conv2d`` (no groups).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    stride : int or (int, int), default 1
    padding : int or (int, int), default 0 (zeros)
    bias : bool, default True
    impl : "fused" (default) | "composed", passed to ``F.conv2d``

    Attributes
    ----------
    weight : Parameter, shape (out_channels, in_channels, kh, kw), float32;
        kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C*kh*kw
    bias : Parameter, shape (out_channels,), U(-1/sqrt(fan_in), 1/sqrt(fan_in)); or None

    Output (N, out_channels, Ho, Wo), Ho = (H + 2*pad_h - kh) // stride_h + 1.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        bias: bool = True,
        impl: str = "fused",
    ):
        super().__init__()
        self.in_channels = positive_int(in_channels, "in_channels", "Conv2d")
        self.out_channels = positive_int(out_channels, "out_channels", "Conv2d")
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d", minimum=1)
        self.stride = pair(stride, "stride", "Conv2d", minimum=1)
        self.padding = pair(padding, "padding", "Conv2d", minimum=0)
        check_impl(impl, "Conv2d")
        self.impl = impl
        shape = (out_channels, in_channels, *self.kernel_size)
        self.weight = Parameter(np.zeros(shape, dtype=np.float32))
        if bias:
            self.bias = Parameter(np.zeros(out_channels, dtype=np.float32))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default initialisation (see the class docstring)."""
        init.default_affine_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        C = self.in_channels
        check_input(self, x, lambda x: x.ndim == 4 and x.shape[1] == C, f"(N, {C}, H, W)")
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        check_input(
            self, x, lambda x: x.shape[2] + 2 * ph >= kh and x.shape[3] + 2 * pw >= kw,
            f"(N, {C}, H, W) with H >= {kh - 2 * ph} and W >= {kw - 2 * pw}",
        )  # fmt: skip
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, impl=self.impl)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        if self.stride != (1, 1):
            text += f", stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.bias is None:
            text += ", bias=False"
        if self.impl != "fused":
            text += f", impl={self.impl!r}"
        return text
