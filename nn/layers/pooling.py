"""Pooling layers over (N, C, H, W) input."""

from __future__ import annotations

import nn.functional as F
from autograd import Tensor
from nn.functional._args import check_impl, pair
from nn.layers._checks import check_input
from nn.module import Module


class _Pool2d(Module):
    """Shared by MaxPool2d and AvgPool2d: a window, a stride (default: the window), padding."""

    _function = "max_pool2d"

    def __init__(self, kernel_size, stride=None, padding=0, impl: str = "fused"):
        super().__init__()
        name = type(self).__name__
        pair(kernel_size, "kernel_size", name, minimum=1)  # validate, keep as given (repr)
        pair(padding, "padding", name, minimum=0)
        if stride is not None:
            pair(stride, "stride", name, minimum=1)
        check_impl(impl, name)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.impl = impl

    def forward(self, x: Tensor) -> Tensor:
        (kh, kw), (ph, pw) = pair(self.kernel_size, "", ""), pair(self.padding, "", "")
        check_input(
            self, x, lambda x: x.ndim == 4 and x.shape[2] + 2 * ph >= kh
            and x.shape[3] + 2 * pw >= kw,
            f"(N, C, H, W) with H >= {kh - 2 * ph} and W >= {kw - 2 * pw}",
        )  # fmt: skip
        fn = getattr(F, self._function)
        return fn(x, self.kernel_size, self.stride, self.padding, impl=self.impl)

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        return text + (f", impl={self.impl!r}" if self.impl != "fused" else "")


class MaxPool2d(_Pool2d):
    """The maximum of each ``kernel_size`` window, per channel.

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int or (int, int), default kernel_size
    padding : int or (int, int), default 0 (padding never wins the max)
    impl : "fused" (default) | "composed"
    """

    _function = "max_pool2d"


class AvgPool2d(_Pool2d):
    """The mean of each ``kernel_size`` window, per channel (padded zeros count, as PyTorch).

    Parameters as ``MaxPool2d``.
    """

    _function = "avg_pool2d"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed ``output_size`` (int or pair), whatever the input size."""

    def __init__(self, output_size: int | tuple[int, int]):
        super().__init__()
        pair(output_size, "output_size", "AdaptiveAvgPool2d", minimum=1)
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        check_input(self, x, lambda x: x.ndim == 4, "(N, C, H, W)")
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
