"""Ready-made models: the CS231n nets and a CIFAR ResNet-18."""

from nn.models.cnn import ThreeLayerConvNet
from nn.models.fc_net import FullyConnectedNet
from nn.models.resnet import BasicBlock, ResNet, resnet18

__all__ = ["BasicBlock", "FullyConnectedNet", "ResNet", "ThreeLayerConvNet", "resnet18"]
