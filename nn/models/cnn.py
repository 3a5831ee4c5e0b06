"""ThreeLayerConvNet: conv - relu - 2x2 max pool - linear - relu - linear (CS231n)."""

from __future__ import annotations

from autograd import Tensor
from nn.layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU
from nn.models._init import scale_weights
from nn.module import Module


class ThreeLayerConvNet(Module):
    """conv - relu - 2x2 max pool - linear - relu - linear, for (N, C, H, W) input.

    The convolution keeps the spatial size for odd ``filter_size`` (stride 1, padding
    (filter_size - 1) // 2). State-dict keys: ``conv1``, ``fc1``, ``fc2`` (weight, bias).

    Parameters
    ----------
    input_dim : (C, H, W), default (3, 32, 32)
    num_filters : int, default 32
    filter_size : int, default 7
    hidden_dim : int, default 100
    num_classes : int, default 10
    weight_scale : float, optional
        Draw every weight from N(0, weight_scale^2) and zero the biases (CS231n); None
        keeps PyTorch's default initialisation.
    impl : "fused" (default) | "composed", passed to the conv and pool layers
    """

    def __init__(
        self,
        input_dim: tuple[int, int, int] = (3, 32, 32),
        num_filters: int = 32,
        filter_size: int = 7,
        hidden_dim: int = 100,
        num_classes: int = 10,
        weight_scale: float | None = None,
        impl: str = "fused",
    ):
        super().__init__()
        C, H, W = self.input_dim = tuple(input_dim)
        pad = (filter_size - 1) // 2
        Hp, Wp = (H + 2 * pad - filter_size + 1) // 2, (W + 2 * pad - filter_size + 1) // 2
        if Hp < 1 or Wp < 1:
            raise ValueError(
                f"ThreeLayerConvNet: input {input_dim} is too small for filter_size "
                f"{filter_size} and a 2x2 pool"
            )
        self.conv1 = Conv2d(C, num_filters, filter_size, stride=1, padding=pad, impl=impl)
        self.relu = ReLU()
        self.pool = MaxPool2d(2, impl=impl)
        self.flatten = Flatten()
        self.fc1 = Linear(num_filters * Hp * Wp, hidden_dim)
        self.fc2 = Linear(hidden_dim, num_classes)
        if weight_scale is not None:
            scale_weights(self, weight_scale)

    def forward(self, x: Tensor) -> Tensor:
        """Class scores (N, num_classes) for input (N, C, H, W) of ``input_dim``."""
        if not isinstance(x, Tensor):
            raise TypeError(f"ThreeLayerConvNet: expected a Tensor, got {type(x).__name__}")
        if x.ndim != 4 or x.shape[1:] != self.input_dim:
            raise ValueError(
                f"ThreeLayerConvNet: expected input (N, {', '.join(map(str, self.input_dim))}),"
                f" got {x.shape}"
            )
        x = self.pool(self.relu(self.conv1(x)))
        return self.fc2(self.relu(self.fc1(self.flatten(x))))
