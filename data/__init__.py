"""Datasets, the DataLoader and image transforms (``import data``; ``data.transforms``)."""

from . import transforms
from .cifar10 import CIFAR10
from .dataloader import DataLoader
from .dataset import Dataset, TensorDataset
from .digits import Digits
from .spiral import make_spiral

__all__ = [
    "CIFAR10",
    "DataLoader",
    "Dataset",
    "Digits",
    "TensorDataset",
    "make_spiral",
    "transforms",
]
