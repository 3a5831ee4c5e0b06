"""The pieces every training script shares: data sets, models, optimizers, one epoch, eval.

``examples/train.py`` (the main job) and the experiment scripts build on these, so a model
or a data set is defined in one place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

import autograd
import data
import nn
import nn.functional as F
import optim

DATASETS = ("digits", "cifar10", "spiral")
MODELS = ("mlp", "convnet", "resnet18")
NORMS = ("none", "batch", "layer", "group", "instance")
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam", "adamw")


@dataclass
class Split:
    """One part of a data set as whole arrays: x float32 (n, ...), y int64 (n,)."""

    x: np.ndarray
    y: np.ndarray

    def loader(self, batch_size, shuffle=False, seed=None):
        return data.DataLoader(
            data.TensorDataset(self.x, self.y), batch_size=batch_size, shuffle=shuffle, seed=seed
        )


def load_dataset(name: str, data_dir: str = "data_cache", seed: int = 0):
    """(train Split, test Split, number of classes) for ``name``."""
    if name == "digits":
        train, test = data.Digits(train=True, seed=seed), data.Digits(train=False, seed=seed)
        return Split(train.data, train.targets), Split(test.data, test.targets), 10
    if name == "spiral":
        x, y = data.make_spiral(n_per_class=200, n_classes=3, seed=seed)
        order = np.random.default_rng(seed).permutation(len(y))
        cut = int(0.8 * len(y))
        return Split(x[order[:cut]], y[order[:cut]]), Split(x[order[cut:]], y[order[cut:]]), 3
    if name == "cifar10":
        splits = []
        for train in (True, False):
            ds = data.CIFAR10(data_dir, train=train)
            x = np.stack([ds[i][0] for i in range(len(ds))]).astype(np.float32)
            y = np.array([ds[i][1] for i in range(len(ds))], dtype=np.int64)
            splits.append(Split(x, y))
        mean = splits[0].x.mean(axis=(0, 2, 3), keepdims=True)
        std = splits[0].x.std(axis=(0, 2, 3), keepdims=True)
        for s in splits:
            s.x = ((s.x - mean) / std).astype(np.float32)
        return splits[0], splits[1], 10
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")


_AUGMENT = {
    # CIFAR-10's standard: random 32x32 crops of the 4-padded image and horizontal flips
    "cifar10": data.transforms.Compose(
        [data.transforms.RandomCrop(32, padding=4), data.transforms.RandomHorizontalFlip()]
    ),
    # digits must not be flipped; one-pixel shifts are worth about half a point of accuracy
    "digits": data.transforms.RandomCrop(8, padding=1),
}


def augment(x: np.ndarray, dataset: str) -> np.ndarray:
    """A batch (N, C, H, W) randomly augmented as suits ``dataset`` (spiral: unchanged)."""
    transform = _AUGMENT.get(dataset)
    return x if transform is None else transform(x)


def build_model(name, input_shape, num_classes, norm="none", impl="fused", **kwargs):
    """One of MODELS for inputs of ``input_shape`` (without the batch axis)."""
    norm = None if norm in (None, "none") else norm
    if name == "mlp":
        normalization = {None: None, "batch": "batchnorm", "layer": "layernorm"}.get(norm, "?")
        if normalization == "?":
            raise ValueError(f"the mlp supports --norm none, batch or layer, not {norm!r}")
        return nn.models.FullyConnectedNet(
            kwargs.pop("hidden_dims", [100, 100]),
            input_dim=int(np.prod(input_shape)),
            num_classes=num_classes,
            normalization=normalization,
            impl=impl,
            **kwargs,
        )
    if len(input_shape) != 3:
        raise ValueError(f"{name} needs image inputs (C, H, W); this data set has {input_shape}")
    if name == "convnet":
        if norm is not None:
            raise ValueError(
                "the convnet (ThreeLayerConvNet) has no normalization; use --norm none"
            )
        small = input_shape[1] <= 16  # Digits: wider, 3x3 filters; CIFAR-10: the CS231n net
        return nn.models.ThreeLayerConvNet(
            input_dim=tuple(input_shape),
            num_filters=kwargs.pop("num_filters", 64 if small else 32),
            filter_size=kwargs.pop("filter_size", 3 if small else 7),
            hidden_dim=kwargs.pop("hidden_dim", 256 if small else 100),
            num_classes=num_classes,
            impl=impl,
            **kwargs,
        )
    if name == "resnet18":
        return nn.models.resnet18(
            num_classes=num_classes, norm=norm, in_channels=input_shape[0], impl=impl
        )
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")


def build_optimizer(name, params, lr, weight_decay=0.0):
    """One of OPTIMIZERS ("momentum" is SGD with momentum 0.9)."""
    params = list(params)
    if name == "sgd":
        return optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, weight_decay=weight_decay)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=weight_decay or 1e-2)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


def train_epoch(
    model, optimizer, split, batch_size, seed, dataset="", progress=None, batch_losses=None
):
    """One pass over ``split`` in an order fixed by ``seed``; returns (mean loss, accuracy).

    ``progress``, when given, is called after each batch with (batch size, running loss,
    running accuracy). ``batch_losses``, when given, is a list to which each batch's loss
    is appended (for per-iteration curves).
    """
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for x, y in split.loader(batch_size, shuffle=True, seed=seed):
        inputs = autograd.Tensor(augment(x.data, dataset))
        scores = model(inputs)
        loss = F.cross_entropy(scores, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        n = len(y.data)
        if batch_losses is not None:
            batch_losses.append(loss.item())
        total_loss += loss.item() * n
        correct += int((scores.data.argmax(axis=1) == y.data).sum())
        seen += n
        if progress is not None:
            progress(n, total_loss / seen, correct / seen)
    return total_loss / seen, correct / seen


@autograd.no_grad()
def evaluate(model, split, batch_size=500):
    """(mean loss, accuracy) of ``model`` in eval mode on ``split``."""
    model.eval()
    total_loss, correct = 0.0, 0
    for x, y in split.loader(batch_size):
        scores = model(x)
        total_loss += F.cross_entropy(scores, y, reduction="sum").item()
        correct += int((scores.data.argmax(axis=1) == y.data).sum())
    return total_loss / len(split.y), correct / len(split.y)


def fit(model, optimizer, train, test, epochs, batch_size, seed=0, dataset=""):
    """Train for ``epochs`` and return the history: a list of per-epoch metric dicts."""
    history = []
    for epoch in range(1, epochs + 1):
        autograd.manual_seed(seed * 100_003 + epoch)  # dropout/augmentation of this epoch
        start = time.perf_counter()
        train_loss, train_acc = train_epoch(
            model, optimizer, train, batch_size, seed * 100_003 + epoch, dataset
        )
        test_loss, test_acc = evaluate(model, test)
        history.append({
            "epoch": epoch, "train_loss": train_loss, "train_acc": train_acc,
            "test_loss": test_loss, "test_acc": test_acc,
            "seconds": time.perf_counter() - start,
        })  # fmt: skip
    return history
