"""Normalization layers: batch, layer, group, instance and switchable norm.

Affine weights start at ones and biases at zeros; running means at zeros and running
variances at ones, all float32 (``Module.to`` casts them with the parameters).
"""

from __future__ import annotations

import numpy as np

import nn.functional as F
from autograd import Tensor
from nn.functional._args import check_impl
from nn.layers._checks import check_input, positive_int
from nn.module import Module
from nn.parameter import Parameter


def _affine(module: Module, shape: tuple[int, ...], affine: bool) -> None:
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None for both."""
    if affine:
        module.weight = Parameter(np.ones(shape, dtype=np.float32))
        module.bias = Parameter(np.zeros(shape, dtype=np.float32))
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        impl: str = "fused",
    ):
        super().__init__()
        name = type(self).__name__
        self.num_features = positive_int(num_features, "num_features", name)
        check_impl(impl, name)
        self.eps, self.momentum, self.affine, self.impl = eps, momentum, affine, impl
        self.track_running_stats = track_running_stats
        _affine(self, (num_features,), affine)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=np.float32))
            self.register_buffer("running_var", np.ones(num_features, dtype=np.float32))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)

    def _normalize(self, x: Tensor) -> Tensor:
        momentum = self.momentum
        if self.training and self.track_running_stats:
            count = self.num_batches_tracked.data
            np.add(count, 1, out=count)
            if momentum is None:  # a cumulative moving average, as PyTorch's momentum=None
                momentum = 1.0 / float(count)
        # Evaluation without running statistics normalizes with the batch's, as PyTorch.
        use_batch_stats = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats
        return F.batch_norm(
            x,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight,
            self.bias,
            training=use_batch_stats,
            momentum=0.0 if momentum is None else momentum,
            eps=self.eps,
            impl=self.impl,
        )

    def extra_repr(self) -> str:
        text = (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )
        return text + (f", impl={self.impl!r}" if self.impl != "fused" else "")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input, per feature C, PyTorch's layer.

    Parameters
    ----------
    num_features : int
        C.
    eps : float, default 1e-5
    momentum : float or None, default 0.1
        ``running = (1 - momentum) * running + momentum * batch``; None for a cumulative
        average over all batches so far.
    affine : bool, default True
        Learn ``weight`` (ones) and ``bias`` (zeros), shape (C,).
    track_running_stats : bool, default True
        Keep the buffers ``running_mean`` (zeros), ``running_var`` (ones, the unbiased
        batch variance goes in) and ``num_batches_tracked`` (int64, counts training calls);
        without them, evaluation uses batch statistics too.
    impl : "fused" (default) | "composed"
    """

    def forward(self, x: Tensor) -> Tensor:
        C = self.num_features
        check_input(
            self, x, lambda x: x.ndim in (2, 3) and x.shape[1] == C, f"(N, {C}) or (N, {C}, L)"
        )
        if x.ndim == 2:
            return self._normalize(x)
        N, _, L = x.shape
        # (N, C, L) as (N, C, L, 1): the spatial batch norm takes statistics over N and L.
        return self._normalize(x.reshape(N, C, L, 1)).reshape(N, C, L)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input, statistics over N, H, W per channel.

    Parameters as ``BatchNorm1d``.
    """

    def forward(self, x: Tensor) -> Tensor:
        C = self.num_features
        check_input(self, x, lambda x: x.ndim == 4 and x.shape[1] == C, f"(N, {C}, H, W)")
        return self._normalize(x)


class LayerNorm(Module):
    """Normalize over the trailing ``normalized_shape`` axes of each sample.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing shape, e.g. D for (N, D) input or (C, H, W).
    eps : float, default 1e-5
    elementwise_affine : bool, default True
        Learn ``weight`` (ones) and ``bias`` (zeros) of shape ``normalized_shape``.
    impl : "fused" (default) | "composed"
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        impl: str = "fused",
    ):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(
            positive_int(n, "normalized_shape", "LayerNorm") for n in normalized_shape
        )
        check_impl(impl, "LayerNorm")
        self.eps, self.elementwise_affine, self.impl = eps, elementwise_affine, impl
        _affine(self, self.normalized_shape, elementwise_affine)

    def forward(self, x: Tensor) -> Tensor:
        shape = self.normalized_shape
        check_input(
            self, x, lambda x: x.ndim > len(shape) and x.shape[-len(shape) :] == shape,
            "(N, *, " + ", ".join(map(str, shape)) + ")",
        )  # fmt: skip
        return F.layer_norm(x, shape, self.weight, self.bias, eps=self.eps, impl=self.impl)

    def extra_repr(self) -> str:
        affine = self.elementwise_affine
        text = f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={affine}"
        return text + (f", impl={self.impl!r}" if self.impl != "fused" else "")


class GroupNorm(Module):
    """Normalize each sample over groups of channels: (N, C, H, W) with C split in groups.

    Parameters
    ----------
    num_groups : int
        Must divide ``num_channels``; 1 is a layer norm over (C, H, W), C an instance norm.
    num_channels : int
    eps : float, default 1e-5
    affine : bool, default True
        Learn per-channel ``weight`` (ones) and ``bias`` (zeros), shape (C,).
    impl : "fused" (default) | "composed"
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        impl: str = "fused",
    ):
        super().__init__()
        self.num_groups = positive_int(num_groups, "num_groups", "GroupNorm")
        self.num_channels = positive_int(num_channels, "num_channels", "GroupNorm")
        if num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups})"
            )
        check_impl(impl, "GroupNorm")
        self.eps, self.affine, self.impl = eps, affine, impl
        _affine(self, (num_channels,), affine)

    def forward(self, x: Tensor) -> Tensor:
        C = self.num_channels
        check_input(self, x, lambda x: x.ndim == 4 and x.shape[1] == C, f"(N, {C}, H, W)")
        return F.group_norm(
            x, self.num_groups, self.weight, self.bias, eps=self.eps, impl=self.impl
        )

    def extra_repr(self) -> str:
        text = f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
        return text + (f", impl={self.impl!r}" if self.impl != "fused" else "")


class InstanceNorm2d(Module):
    """Normalize each (sample, channel) plane of (N, C, H, W) input over H, W.

    Parameters
    ----------
    num_features : int
        C.
    eps : float, default 1e-5
    affine : bool, default False (as PyTorch)
        Learn per-channel ``weight`` (ones) and ``bias`` (zeros), shape (C,).
    impl : "fused" (default) | "composed"

    No running statistics (PyTorch's default ``track_running_stats=False``).
    """

    def __init__(
        self, num_features: int, eps: float = 1e-5, affine: bool = False, impl: str = "fused"
    ):
        super().__init__()
        self.num_features = positive_int(num_features, "num_features", "InstanceNorm2d")
        check_impl(impl, "InstanceNorm2d")
        self.eps, self.affine, self.impl = eps, affine, impl
        _affine(self, (num_features,), affine)

    def forward(self, x: Tensor) -> Tensor:
        C = self.num_features
        check_input(self, x, lambda x: x.ndim == 4 and x.shape[1] == C, f"(N, {C}, H, W)")
        return F.instance_norm(x, self.weight, self.bias, eps=self.eps, impl=self.impl)

    def extra_repr(self) -> str:
        text = f"{self.num_features}, eps={self.eps}, affine={self.affine}"
        return text + (f", impl={self.impl!r}" if self.impl != "fused" else "")


class SwitchableNorm2d(Module):
    """Switchable normalization (Luo et al. 2019) of (N, C, H, W) input.

    Mean and variance are learned softmax mixtures of the instance, layer and batch
    statistics (in that order); the batch part uses running statistics in evaluation.

    Parameters
    ----------
    num_features : int
        C.
    eps : float, default 1e-5
    momentum : float, default 0.1
        For the running batch statistics, as in batch norm.
    impl : "fused" (default) | "composed"

    Attributes
    ----------
    weight, bias : Parameter, shape (C,): ones and zeros
    mean_weight, var_weight : Parameter, shape (3,): ones (equal mixture, as the paper)
    running_mean, running_var : buffers, shape (C,): zeros and ones
    """

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, impl: str = "fused"
    ):
        super().__init__()
        self.num_features = positive_int(num_features, "num_features", "SwitchableNorm2d")
        check_impl(impl, "SwitchableNorm2d")
        self.eps, self.momentum, self.impl = eps, momentum, impl
        _affine(self, (num_features,), True)
        self.mean_weight = Parameter(np.ones(3, dtype=np.float32))
        self.var_weight = Parameter(np.ones(3, dtype=np.float32))
        self.register_buffer("running_mean", np.zeros(num_features, dtype=np.float32))
        self.register_buffer("running_var", np.ones(num_features, dtype=np.float32))

    def forward(self, x: Tensor) -> Tensor:
        C = self.num_features
        check_input(self, x, lambda x: x.ndim == 4 and x.shape[1] == C, f"(N, {C}, H, W)")
        return F.switchable_norm(
            x,
            self.mean_weight,
            self.var_weight,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=self.training,
            momentum=self.momentum,
            eps=self.eps,
            impl=self.impl,
        )

    def extra_repr(self) -> str:
        text = f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
        return text + (f", impl={self.impl!r}" if self.impl != "fused" else "")
