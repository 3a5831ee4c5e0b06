"""DataLoader: turn a dataset into an iterable of batches of ``autograd.Tensor``.

Each batch is a tuple with one Tensor per sample field (``(x, y)`` for a classification
dataset), every field stacked along a new first axis. Integer fields (labels) become int64,
the dtype that losses expect for class indices.

Shuffling draws one permutation per epoch. With ``seed`` given the loader owns its own
``numpy.random.Generator``, so the sequence of epochs is reproducible from ``seed`` alone and
independent of any other random draw; with ``seed=None`` it uses the global generator that
``autograd.manual_seed`` re-seeds.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from autograd import Tensor
from autograd.random import generator

from .dataset import TensorDataset

# dtype kinds a batch may hold: bool, signed/unsigned int, float, complex
_NUMERIC_KINDS = "biufc"


class DataLoader:
    """Iterate over a dataset in batches of Tensors (no grad).

    Parameters
    ----------
    dataset : Dataset
        Anything with ``__len__`` and ``__getitem__``; a sample is a tuple of fields (arrays,
        numbers or Tensors) or a single such field.
    batch_size : int, default 1
        Samples per batch, at least 1. The last batch may be smaller unless ``drop_last``.
    shuffle : bool, default False
        Visit the samples in a fresh random order each epoch (each ``iter()``).
    drop_last : bool, default False
        Drop the last batch when it has fewer than ``batch_size`` samples.
    seed : int or None, default None
        Seed of the loader's own generator for shuffling: the permutations of epoch 1, 2, ...
        are then the same for every loader made with this seed. ``None`` draws from the
        global generator (``autograd.manual_seed`` makes that reproducible).

    Yields
    ------
    tuple of Tensor
        One Tensor per sample field, shape (B, *field_shape) with B <= batch_size. Integer
        fields are int64, floats keep their dtype (float32 images stay float32; Python floats
        become float64, as NumPy makes them). None requires grad.

    Notes
    -----
    A ``TensorDataset`` (not overriding ``__getitem__``) is batched by indexing each stored
    array with the batch's index array, one NumPy call per field, instead of stacking
    samples one by one.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise TypeError(
                f"DataLoader: batch_size must be an int, got {type(batch_size).__name__} "
                f"{batch_size!r}"
            )
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        # Created once, so epoch k's permutation is the k-th draw of a seed-determined stream.
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def __len__(self) -> int:
        """Number of batches per epoch: ceil(n / batch_size), or floor with ``drop_last``."""
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        # Draw the epoch's order now (not at the first next()), so iter() order is epoch order.
        n = len(self.dataset)
        if self.shuffle:
            rng = self._rng if self._rng is not None else generator()
            order = rng.permutation(n)
        else:
            order = np.arange(n)
        return self._batches(order)

    def _batches(self, order: np.ndarray) -> Iterator[tuple[Tensor, ...]]:
        arrays = _fast_path_arrays(self.dataset)
        stop = len(self) * self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            indices = order[start : start + self.batch_size]
            if arrays is not None:
                fields = [_check_field(a[indices], j) for j, a in enumerate(arrays)]
            else:
                fields = _collate([self.dataset[int(i)] for i in indices])
            yield tuple(Tensor(f) for f in fields)

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)} samples, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}, seed={self.seed})"
        )


def _fast_path_arrays(dataset: Any) -> tuple[np.ndarray, ...] | None:
    """The stored arrays of a plain TensorDataset; None when samples must be fetched one by one."""
    # a subclass that overrides __getitem__ (to transform, say) must be asked sample by sample
    plain = type(dataset).__getitem__ is TensorDataset.__getitem__
    if isinstance(dataset, TensorDataset) and plain:
        return dataset.arrays
    return None


def _to_array(value: Any) -> np.ndarray:
    """An ndarray view of one sample field: Tensors are unwrapped, numbers become 0-d arrays."""
    if isinstance(value, Tensor):
        return value.data
    return np.asarray(value)


def _check_field(batch: np.ndarray, j: int) -> np.ndarray:
    """Refuse non-numeric batches and make integer fields (labels) int64."""
    if batch.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(
            f"DataLoader: field {j} of the samples has dtype {batch.dtype}; batches hold "
            "numbers only (bool, int, float)"
        )
    if batch.dtype.kind in "iu":
        return batch.astype(np.int64, copy=False)
    return batch


def _collate(samples: Sequence[Any]) -> list[np.ndarray]:
    """Stack a list of samples field by field along a new first axis."""
    rows = [s if isinstance(s, (tuple, list)) else (s,) for s in samples]
    n_fields = len(rows[0])
    for row in rows:
        if len(row) != n_fields:
            raise ValueError(
                f"DataLoader: samples have different numbers of fields ({n_fields} and "
                f"{len(row)}); every sample must be a tuple of the same length"
            )
    fields = []
    for j in range(n_fields):
        column = [_to_array(row[j]) for row in rows]
        shapes = {c.shape for c in column}
        if len(shapes) > 1:
            raise ValueError(
                f"DataLoader: cannot stack field {j} of a batch: samples have shapes "
                f"{sorted(shapes)}; all samples of a field must have one shape (use a "
                "transform such as RandomCrop to make them equal)"
            )
        fields.append(_check_field(np.stack(column), j))
    return fields
