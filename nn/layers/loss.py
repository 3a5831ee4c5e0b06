"""Loss layers: ``loss_fn(input, target)`` over the loss functions of ``nn.functional``."""

from __future__ import annotations

import nn.functional as F
from autograd import Tensor
from nn.functional._args import check_impl
from nn.layers._checks import check_reduction
from nn.module import Module


class CrossEntropyLoss(Module):
    """Softmax cross-entropy of logits (N, K) against integer class indices (N,).

    Parameters
    ----------
    reduction : "mean" (default) | "sum" | "none"
    impl : "fused" (default) | "composed"
    """

    def __init__(self, reduction: str = "mean", impl: str = "fused"):
        super().__init__()
        self.reduction = check_reduction(reduction, "CrossEntropyLoss")
        check_impl(impl, "CrossEntropyLoss")
        self.impl = impl

    def forward(self, input: Tensor, target) -> Tensor:  # noqa: A002 (PyTorch's name)
        return F.cross_entropy(input, target, reduction=self.reduction, impl=self.impl)

    def extra_repr(self) -> str:
        parts = [f"reduction={self.reduction!r}"] * (self.reduction != "mean")
        return ", ".join(parts + [f"impl={self.impl!r}"] * (self.impl != "fused"))


class MSELoss(Module):
    """Mean squared error between input and a target of the same shape."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = check_reduction(reduction, "MSELoss")

    def forward(self, input: Tensor, target) -> Tensor:  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""
