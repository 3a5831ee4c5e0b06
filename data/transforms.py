"""Image transforms on float arrays, for one image (C, H, W) or a whole batch (N, C, H, W).

Every transform takes an ndarray and returns a new one (the input is never modified). Given a
batch, a transform works on all images at once with whole-array NumPy: RandomCrop and
RandomHorizontalFlip draw an independent crop offset / coin flip per image. A single image is
handled as a batch of one, so ``t(x)`` and ``t(x[None])[0]`` agree under the same seed.

Random draws use the global generator of ``autograd.random`` (``autograd.manual_seed``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograd.random import generator


def _pair(value: int | Sequence[int], name: str, op: str) -> tuple[int, int]:
    """(h, w) from an int or a pair of ints."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    pair = tuple(int(v) for v in value)
    if len(pair) != 2:
        raise ValueError(f"{op}: {name} must be an int or a pair (h, w), got {value!r}")
    return pair


def _as_batch(x: Any, op: str) -> tuple[np.ndarray, bool]:
    """View x as (N, C, H, W); also say whether it was a single (C, H, W) image."""
    x = np.asarray(x)
    if x.ndim == 3:
        return x[None], True
    if x.ndim == 4:
        return x, False
    raise ValueError(f"{op}: expected an image (C, H, W) or a batch (N, C, H, W), got {x.shape}")


class Compose:
    """Apply transforms one after another.

    Parameters
    ----------
    transforms : sequence of callables
        Each maps an array to an array; applied in order.
    """

    def __init__(self, transforms: Sequence[Callable[[np.ndarray], np.ndarray]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        lines = "".join(f"    {t!r}\n" for t in self.transforms)
        return f"Compose(\n{lines})"


class Normalize:
    """Standardize each channel: ``out[c] = (x[c] - mean[c]) / std[c]``.

    Parameters
    ----------
    mean, std : float or sequence of float, length C
        Per-channel statistics (a single number applies to every channel). ``std`` must be
        nonzero.

    Call
    ----
    x : ndarray, shape (C, H, W) or (N, C, H, W), float dtype
        Returns a new array of the same shape and dtype.
    """

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if self.mean.ndim != 1 or self.std.ndim != 1:
            raise ValueError("Normalize: mean and std must be numbers or flat sequences")
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std must be nonzero, got {self.std.tolist()}")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        batch, single = _as_batch(x, "Normalize")
        if batch.dtype.kind != "f":
            raise TypeError(
                f"Normalize: expected a float array, got {batch.dtype}; convert first, "
                "e.g. x.astype(np.float32) / 255"
            )
        C = batch.shape[1]
        for name, stat in (("mean", self.mean), ("std", self.std)):
            if stat.size not in (1, C):
                raise ValueError(
                    f"Normalize: x has {C} channels but {name} has {stat.size} entries; "
                    f"x.shape={np.shape(x)}"
                )
        # cast the statistics, not x, so float32 images stay float32
        mean = self.mean.astype(batch.dtype).reshape(1, -1, 1, 1)
        std = self.std.astype(batch.dtype).reshape(1, -1, 1, 1)
        out = (batch - mean) / std
        return out[0] if single else out

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class RandomCrop:
    """Zero-pad each side by ``padding``, then cut a ``size`` window at a random offset.

    Parameters
    ----------
    size : int or (int, int)
        Output height and width (h, w).
    padding : int or (int, int), default 0
        Zeros added above and below (pad_h) and left and right (pad_w) before cropping.

    Call
    ----
    x : ndarray, shape (C, H, W) or (N, C, H, W)
        Returns shape (C, h, w) or (N, C, h, w), x's dtype. Each image of a batch gets its own
        offset, uniform over the (H + 2*pad_h - h + 1) * (W + 2*pad_w - w + 1) positions.
    """

    def __init__(self, size: int | Sequence[int], padding: int | Sequence[int] = 0) -> None:
        self.size = _pair(size, "size", "RandomCrop")
        self.padding = _pair(padding, "padding", "RandomCrop")
        if min(self.size) < 1:
            raise ValueError(f"RandomCrop: size must be positive, got {self.size}")
        if min(self.padding) < 0:
            raise ValueError(f"RandomCrop: padding must be non-negative, got {self.padding}")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        batch, single = _as_batch(x, "RandomCrop")
        N, C, H, W = batch.shape
        h, w = self.size
        pad_h, pad_w = self.padding
        Hp, Wp = H + 2 * pad_h, W + 2 * pad_w
        if h > Hp or w > Wp:
            raise ValueError(
                f"RandomCrop: crop size {self.size} is larger than the padded image "
                f"({Hp}, {Wp}); x.shape={np.shape(x)}, padding={self.padding}"
            )
        if pad_h or pad_w:
            batch = np.pad(batch, ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)))
        # one (top, left) per image; drawn as an (N, 2) block so a batch of one matches t(x)
        offsets = generator().integers(0, [Hp - h + 1, Wp - w + 1], size=(N, 2))
        windows = sliding_window_view(batch, (h, w), axis=(2, 3))  # (N, C, Hp-h+1, Wp-w+1, h, w)
        # advanced indices on axes 0, 2, 3 around a slice: the result is (N, C, h, w), a copy
        out = windows[np.arange(N), :, offsets[:, 0], offsets[:, 1]]
        return out[0] if single else out

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror each image left-right with probability ``p``.

    Parameters
    ----------
    p : float in [0, 1], default 0.5
        Probability that an image is flipped.

    Call
    ----
    x : ndarray, shape (C, H, W) or (N, C, H, W)
        Returns a new array of the same shape and dtype; each image of a batch is flipped or
        kept independently.
    """

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = float(p)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        batch, single = _as_batch(x, "RandomHorizontalFlip")
        flip = generator().random(batch.shape[0]) < self.p  # (N,) bool
        out = np.where(flip[:, None, None, None], batch[..., ::-1], batch)
        return out[0] if single else out

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"
