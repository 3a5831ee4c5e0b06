"""The 1,797 real 8x8 handwritten digits that scikit-learn ships, as a small image dataset.

They are the UCI "Optical Recognition of Handwritten Digits" test set: 16 levels of ink per
pixel, about 180 images per class. Small enough to train a convnet in seconds on a CPU, real
enough that accuracy means something.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .dataset import Dataset

_N_SAMPLES = 1797


@functools.lru_cache(maxsize=1)
def _load_all() -> tuple[np.ndarray, np.ndarray]:
    """All images (1797, 1, 8, 8) float32 in [0, 1] and labels (1797,) int64, read-only."""
    try:
        from sklearn.datasets import load_digits  # lazy: scikit-learn is an optional extra
    except ImportError as exc:
        raise ImportError(
            "Digits needs scikit-learn, which ships the 8x8 digits: pip install scikit-learn "
            '(or, in an npgrad checkout, pip install -e ".[examples]")'
        ) from exc
    bunch = load_digits()
    # pixel values are ink counts 0..16
    images = (np.asarray(bunch.data, dtype=np.float32) / np.float32(16)).reshape(-1, 1, 8, 8)
    labels = np.asarray(bunch.target, dtype=np.int64)
    images.flags.writeable = False  # shared between every Digits instance through the cache
    labels.flags.writeable = False
    return images, labels


def _split(labels: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split: in each class, round(test_fraction * count) random samples go to test.

    Returns the sorted train and test indices, disjoint and together covering every sample.
    """
    rng = np.random.default_rng(seed)
    is_test = np.zeros(labels.shape[0], dtype=bool)
    for k in np.unique(labels):  # 10 classes, not a per-sample loop
        members = np.flatnonzero(labels == k)
        n_test = int(round(test_fraction * members.size))
        is_test[rng.permutation(members)[:n_test]] = True
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


class Digits(Dataset):
    """scikit-learn's 8x8 digits, split reproducibly into train and test.

    Parameters
    ----------
    train : bool, default True
        The training part, else the test part.
    transform : callable or None
        Applied to each image (float32 (1, 8, 8)) when an item is read.
    test_fraction : float in (0, 1), default 0.2
        Share of each class that goes to the test part (stratified, so both parts keep the
        class balance). About 1,438 train and 359 test images at 0.2.
    seed : int, default 0
        Seed of the split. The same seed and fraction give the same split on every machine;
        train and test of one seed are disjoint and together hold all 1,797 images.

    Attributes
    ----------
    data : ndarray, shape (n, 1, 8, 8), float32 in [0, 1]
    targets : ndarray, shape (n,), int64 in 0..9
    indices : ndarray, shape (n,), int64
        Positions of this part's images in scikit-learn's order.

    Items are ``(image, label)``: image float32 (1, 8, 8) (then ``transform``), label an int.
    ``TensorDataset(ds.data, ds.targets)`` gives the same samples for the DataLoader's fast path.

    Raises
    ------
    ImportError
        Without scikit-learn; the message says how to install it.
    """

    def __init__(
        self, train: bool = True, transform=None, test_fraction: float = 0.2, seed: int = 0
    ) -> None:
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"Digits: test_fraction must be in (0, 1), got {test_fraction}")
        self.train = bool(train)
        self.transform = transform
        self.test_fraction = float(test_fraction)
        self.seed = seed
        images, labels = _load_all()
        train_idx, test_idx = _split(labels, self.test_fraction, seed)
        self.indices = train_idx if self.train else test_idx
        self.data = images[self.indices]
        self.targets = labels[self.indices]

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def __getitem__(self, index: int) -> tuple[Any, int]:
        image = self.data[index]
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.targets[index])

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return (
            f"Digits(split={split}, {len(self)} images, test_fraction={self.test_fraction}, "
            f"seed={self.seed})"
        )
