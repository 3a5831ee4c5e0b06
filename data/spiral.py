"""A synthetic 2-D classification problem: interleaved noisy spiral arms, one per class.

The spiral of Stanford CS231n's "neural network case study": class k's points run along
an arm from the origin (radius 0) to radius 1 while the angle sweeps 4 radians starting at
4k, with Gaussian noise on the angle. No linear classifier separates the arms, a small MLP
does, which makes it the classic first test of a hidden layer.
"""

from __future__ import annotations

import numpy as np

from autograd.random import generator

_ANGLE_SPAN = 4.0  # radians swept by each arm
_ANGLE_NOISE = 0.2  # std of the Gaussian noise added to each angle


def make_spiral(
    n_per_class: int = 100, n_classes: int = 3, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Sample the spiral dataset.

    Parameters
    ----------
    n_per_class : int, default 100
        Points per arm (class), at least 1.
    n_classes : int, default 3
        Number of arms, at least 1.
    seed : int or None, default 0
        Seed of the noise; the same seed gives the same points. ``None`` draws from the
        global generator (``autograd.manual_seed``).

    Returns
    -------
    X : ndarray, shape (n_per_class * n_classes, 2), float32
        Points inside the unit disc, class by class (class 0's points first).
    y : ndarray, shape (n_per_class * n_classes,), int64
        The class of each point, 0 .. n_classes - 1.
    """
    for name, value in (("n_per_class", n_per_class), ("n_classes", n_classes)):
        if int(value) != value or value < 1:
            raise ValueError(f"make_spiral: {name} must be a positive integer, got {value!r}")
    N, K = int(n_per_class), int(n_classes)
    rng = np.random.default_rng(seed) if seed is not None else generator()
    radius = np.linspace(0.0, 1.0, N)  # (N,), the same for every arm
    start = _ANGLE_SPAN * np.arange(K)[:, None]  # (K, 1)
    angle = start + np.linspace(0.0, _ANGLE_SPAN, N) + _ANGLE_NOISE * rng.standard_normal((K, N))
    X = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=-1)  # (K, N, 2)
    y = np.repeat(np.arange(K, dtype=np.int64), N)
    return X.reshape(K * N, 2).astype(np.float32), y
