"""Training utilities: gradient-norm clipping."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from autograd import Tensor


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients concatenated into one vector
    (``inf`` for the max-abs norm). If it exceeds ``max_norm``, every gradient is multiplied
    in place by ``max_norm / (total_norm + 1e-6)``, as PyTorch does. Parameters without a
    gradient are skipped.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
    max_norm : float
    norm_type : float, default 2.0

    Returns
    -------
    Tensor
        The total norm before clipping, a 0-d tensor in the gradients' dtype.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return Tensor(np.zeros((), dtype=np.float32))
    dtype = np.result_type(*(g.data.dtype for g in grads))
    if norm_type == math.inf:
        norms = [np.abs(g.data).max(initial=0.0) for g in grads]
        total = max(norms)
    else:
        total = sum(float(np.sum(np.abs(g.data, dtype=np.float64) ** norm_type)) for g in grads)
        total = total ** (1.0 / norm_type)
    clip_coef = float(max_norm) / (float(total) + 1e-6)
    if clip_coef < 1.0:
        for g in grads:
            if g.data.flags.writeable:
                np.multiply(g.data, clip_coef, out=g.data, casting="unsafe")
            else:  # a read-only (e.g. broadcast) grad array cannot be scaled in place
                g.data = (g.data * clip_coef).astype(g.data.dtype)
    return Tensor(np.asarray(total, dtype=dtype))
