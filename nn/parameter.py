"""Parameter: a Tensor that requires grad and that a Module registers when assigned."""

from __future__ import annotations

import numpy as np

from autograd import Tensor


class Parameter(Tensor):
    """A Tensor that a ``Module`` lists in ``parameters()`` when assigned to one of its attributes.

    Parameters
    ----------
    data : array_like or Tensor, optional
        The values, kept under the same dtype policy as ``Tensor`` (a float ndarray keeps its
        dtype; a Tensor or ndarray is shared, not copied). None gives an empty float32 array.
    requires_grad : bool, default True
        Only floating-point data can require grad (``TypeError`` otherwise).
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.empty((0,), dtype=np.float32)
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
