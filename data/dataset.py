"""Map-style datasets: the ``Dataset`` protocol and ``TensorDataset`` over in-memory arrays.

A dataset is anything with ``__len__`` and ``__getitem__(i)`` returning one sample, usually a
tuple ``(x, label)``. ``DataLoader`` turns samples into batches; ``TensorDataset`` is the
case it can batch without touching samples one by one (it slices whole arrays instead).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np


class Dataset:
    """Base class of map-style datasets.

    Subclasses implement ``__len__`` (the number of samples) and ``__getitem__(index)``
    (sample ``index`` for ``0 <= index < len(self)``, usually a tuple ``(x, label)`` of an
    ndarray and an int). Anything with these two methods works with ``DataLoader``;
    subclassing only documents the intent.
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")


def _as_array(value: Any, position: int) -> np.ndarray:
    """Unwrap an autograd Tensor (anything with an ndarray ``.data``) or convert an array-like."""
    data = getattr(value, "data", None)
    if isinstance(data, np.ndarray):
        return data
    try:
        return np.asarray(value)
    except Exception as exc:  # the message below names the argument that failed
        raise TypeError(
            f"TensorDataset: argument {position} ({type(value).__name__}) is not array-like"
        ) from exc


class TensorDataset(Dataset):
    """Samples are the rows of equally long arrays: item ``i`` is ``(a[i], b[i], ...)``.

    Parameters
    ----------
    *arrays : ndarray or Tensor, shapes (N, ...), any dtype
        One or more arrays with the same first dimension ``N`` (the number of samples),
        e.g. ``TensorDataset(X, y)`` with X (N, D) float32 and y (N,) int64.
        Tensors are unwrapped to their ``.data``; other array-likes go through
        ``np.asarray``. The arrays are stored as given (not copied).

    Attributes
    ----------
    arrays : tuple of ndarray
        The stored arrays, in argument order.

    Raises
    ------
    ValueError
        With no arrays, with a 0-d array, or when the first dimensions differ.
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array, e.g. TensorDataset(X, y)")
        converted = tuple(_as_array(a, i) for i, a in enumerate(arrays))
        for i, a in enumerate(converted):
            if a.ndim == 0:
                raise ValueError(
                    f"TensorDataset: argument {i} is a 0-d array; every array needs a first "
                    "dimension with one entry per sample"
                )
        lengths = [a.shape[0] for a in converted]
        if len(set(lengths)) > 1:
            shapes = ", ".join(str(a.shape) for a in converted)
            raise ValueError(
                f"TensorDataset: arrays have different first dimensions {lengths} "
                f"(shapes {shapes}); every array needs one row per sample"
            )
        self.arrays = converted

    def __len__(self) -> int:
        return int(self.arrays[0].shape[0])

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        """Return ``(a[index], b[index], ...)``: one row of each array (an ndarray or scalar)."""
        index = operator.index(index)
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"TensorDataset: index {index} is out of range for {n} samples")
        return tuple(a[index] for a in self.arrays)

    def __repr__(self) -> str:
        parts = ", ".join(f"{a.dtype}{list(a.shape)}" for a in self.arrays)
        return f"TensorDataset({parts})"
