"""ResNet-18 for 32x32 images, with torchvision's BasicBlock layout and key names.

Differences from torchvision's ImageNet model: the stem is a 3x3 convolution with stride 1
and there is no stem max-pool, so 32x32 inputs reach layer4 at 4x4. The norm layer is
selectable but always sits under the names ``bn1``, ``bn2`` and ``downsample.1``.
"""

from __future__ import annotations

from collections.abc import Callable

from autograd import Tensor
from nn import init
from nn.layers import (
    AdaptiveAvgPool2d,
    BatchNorm2d,
    Conv2d,
    GroupNorm,
    Identity,
    InstanceNorm2d,
    Linear,
    ReLU,
    Sequential,
    SwitchableNorm2d,
)
from nn.module import Module

_NORMS = ("batch", "group", "layer", "instance", "switchable", None)


def norm_layer(norm: str | None, impl: str = "fused") -> Callable[[int], Module]:
    """A factory ``channels -> norm Module`` for ``resnet18``'s ``norm`` argument.

    "batch": BatchNorm2d(C); "group": GroupNorm(32, C); "layer": GroupNorm(1, C);
    "instance": InstanceNorm2d(C, affine=True); "switchable": SwitchableNorm2d(C);
    None: Identity.
    """
    factories = {
        "batch": lambda C: BatchNorm2d(C, impl=impl),
        "group": lambda C: GroupNorm(32, C, impl=impl),
        "layer": lambda C: GroupNorm(1, C, impl=impl),
        "instance": lambda C: InstanceNorm2d(C, affine=True, impl=impl),
        "switchable": lambda C: SwitchableNorm2d(C, impl=impl),
        None: lambda C: Identity(),
    }
    if norm not in factories:
        raise ValueError(f"resnet: norm must be one of {list(_NORMS)}, got {norm!r}")
    return factories[norm]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, impl: str = "fused") -> Conv2d:
    """3x3 convolution with padding 1 and no bias (the norm after it has one)."""
    return Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False, impl=impl)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1, impl: str = "fused") -> Conv2d:
    """1x1 convolution without bias: the projection of a downsampling shortcut."""
    return Conv2d(in_planes, out_planes, 1, stride=stride, bias=False, impl=impl)


class BasicBlock(Module):
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), torchvision's BasicBlock.

    ``downsample`` (a Sequential(conv1x1, norm)) projects the shortcut where the stride or
    the channel count changes; otherwise the shortcut is the identity.
    """

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: Module | None = None,
        norm_layer: Callable[[int], Module] = BatchNorm2d,
        impl: str = "fused",
    ):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride, impl=impl)
        self.bn1 = norm_layer(planes)
        self.relu = ReLU()
        self.conv2 = conv3x3(planes, planes, impl=impl)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNet(Module):
    """A CIFAR-style ResNet of BasicBlocks: stem, four stages, global average pool, fc.

    Parameters
    ----------
    layers : sequence of 4 ints
        Blocks per stage ([2, 2, 2, 2] is ResNet-18); stages have 64, 128, 256, 512
        channels, and stages 2-4 halve the spatial size.
    num_classes : int, default 10
    norm : "batch" | "group" | "layer" | "instance" | "switchable" | None
        See ``norm_layer``.
    in_channels : int, default 3
    impl : "fused" (default) | "composed", passed to the conv and norm layers

    Convolutions start from kaiming_normal_(mode="fan_out", nonlinearity="relu") and
    norms from weight 1, bias 0 (torchvision's initialisation); fc has Linear's default.
    """

    def __init__(
        self,
        layers: tuple[int, int, int, int] = (2, 2, 2, 2),
        num_classes: int = 10,
        norm: str | None = "batch",
        in_channels: int = 3,
        impl: str = "fused",
    ):
        super().__init__()
        self._norm_layer = norm_layer(norm, impl)
        self._impl = impl
        self.inplanes = 64
        self.conv1 = conv3x3(in_channels, 64, impl=impl)
        self.bn1 = self._norm_layer(64)
        self.relu = ReLU()
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = AdaptiveAvgPool2d((1, 1))
        self.fc = Linear(512 * BasicBlock.expansion, num_classes)
        for module in self.modules():
            if isinstance(module, Conv2d):
                init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * BasicBlock.expansion:
            downsample = Sequential(
                conv1x1(self.inplanes, planes * BasicBlock.expansion, stride, impl=self._impl),
                self._norm_layer(planes * BasicBlock.expansion),
            )
        stage = [
            BasicBlock(self.inplanes, planes, stride, downsample, self._norm_layer, self._impl)
        ]
        self.inplanes = planes * BasicBlock.expansion
        for _ in range(1, blocks):
            block = BasicBlock(self.inplanes, planes, norm_layer=self._norm_layer, impl=self._impl)
            stage.append(block)
        return Sequential(*stage)

    def forward(self, x: Tensor) -> Tensor:
        """Class scores (N, num_classes) for (N, in_channels, H, W) input (H, W >= 8 or so)."""
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def resnet18(
    num_classes: int = 10, norm: str | None = "batch", in_channels: int = 3, impl: str = "fused"
) -> ResNet:
    """ResNet-18 for 32x32 images: ``ResNet((2, 2, 2, 2), ...)``.

    Parameters
    ----------
    num_classes : int, default 10
    norm : "batch" (BatchNorm2d) | "group" (GroupNorm(32, C)) | "layer" (GroupNorm(1, C)) |
        "instance" (InstanceNorm2d(C, affine=True)) | "switchable" (SwitchableNorm2d) |
        None (Identity)
    in_channels : int, default 3
    impl : "fused" (default) | "composed", passed to the conv and norm layers

    Returns
    -------
    ResNet
        Input (N, in_channels, H, W), output (N, num_classes) class scores.
    """
    return ResNet((2, 2, 2, 2), num_classes, norm=norm, in_channels=in_channels, impl=impl)
