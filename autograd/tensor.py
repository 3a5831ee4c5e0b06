"""Tensor: an ndarray, its gradient, and the graph node that produced it.

Every operator and method here is one call to a ``Function`` from ``autograd.ops``; the
Tensor itself holds no math. In-place operators (``+=`` and friends, ``x[i] = v``) change
the array in place when nothing is being recorded; when the tensor is part of a graph they
record the op out of place and rebind the tensor to the result. Either way they bump the
tensor's version, so a graph that saved the old value refuses to backprop through it.
"""

from __future__ import annotations

import numpy as np

from autograd.grad_mode import STATE, no_grad


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Parameters
    ----------
    data : array_like or Tensor
        A float ndarray keeps its dtype; Python floats and lists of floats become float32;
        integers and bools keep an integer/bool dtype.
    requires_grad : bool
        Record operations on this tensor so that ``backward`` fills ``.grad``. Only
        floating-point tensors can require grad.
    dtype : numpy dtype, optional
        Overrides the dtype policy above.
    """

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "_out_idx", "_vc", "__weakref__")
    # Make NumPy hand ``ndarray + Tensor`` to Tensor.__radd__ instead of looping over us.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        if dtype is not None:
            array = np.asarray(data, dtype=dtype)
        elif isinstance(data, (np.ndarray, np.generic)):
            array = np.asarray(data)
        else:
            array = np.asarray(data)
            if array.dtype == np.float64:  # Python floats become float32
                array = array.astype(np.float32)
        if array.dtype == object:
            raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__} data")
        self.data = array
        self.grad = None
        self.grad_fn = None
        self._out_idx = 0
        self._vc = None  # the version counter: see _counter
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # -- attributes -----------------------------------------------------------------------

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def _version(self) -> int:
        """How often the data was changed in place (counted with every detach() of it)."""
        counter = self._vc
        return 0 if counter is None else counter[0]

    def _counter(self) -> list:
        """The version counter, a one-element list shared with detach()es and views.

        Made on first need: most tensors are never changed in place nor saved as an
        output, and an allocation per op is measurable at a few microseconds per op.
        """
        counter = self._vc
        if counter is None:
            counter = self._vc = [0]
        return counter

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:  # noqa: N802 (NumPy's name)
        return self.transpose()

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied)."""
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors convert; got shape {self.shape}")
        return self.data.item()

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut from the graph."""
        t = _make(self.data)
        t._vc = self._counter()  # in place on either must invalidate what the graph saved
        return t

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf in place; returns self."""
        if flag and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad: only floating-point tensors can require grad; got {self.dtype} "
                f"(shape {self.shape}). Convert first, e.g. x.astype(np.float32)"
            )
        if not flag and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad_: cannot turn off grad on a non-leaf tensor; use detach()"
            )
        self.requires_grad = bool(flag)
        return self

    def backward(self, grad=None, retain_graph: bool = False, create_graph: bool = False):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``grad`` is the upstream gradient (same shape as self); it may be omitted only for
        a one-element tensor, where it is 1.
        """
        from autograd.engine import backward

        backward((self,), None if grad is None else (grad,), retain_graph, create_graph)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = ""
        if self.dtype not in (np.float32, np.int64, np.bool_):
            extra += f", dtype={self.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn=<{self.grad_fn.name}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use .any() / .all() on .data"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    __hash__ = object.__hash__  # == is elementwise, so identity hashing for dict keys

    # -- arithmetic -----------------------------------------------------------------------

    def __add__(self, other):
        return ops.Add.apply(self, other)

    def __radd__(self, other):
        return ops.Add.apply(other, self)

    def __sub__(self, other):
        return ops.Sub.apply(self, other)

    def __rsub__(self, other):
        return ops.Sub.apply(other, self)

    def __mul__(self, other):
        return ops.Mul.apply(self, other)

    def __rmul__(self, other):
        return ops.Mul.apply(other, self)

    def __truediv__(self, other):
        return ops.Div.apply(self, other)

    def __rtruediv__(self, other):
        return ops.Div.apply(other, self)

    def __pow__(self, other):
        return ops.Pow.apply(self, other)

    def __rpow__(self, other):
        return ops.Pow.apply(other, self)

    def __matmul__(self, other):
        return ops.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        return ops.MatMul.apply(other, self)

    def __neg__(self):
        return ops.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.Abs.apply(self)

    # in place: see the module docstring
    def __iadd__(self, other):
        return self._inplace(ops.Add, other)

    def __isub__(self, other):
        return self._inplace(ops.Sub, other)

    def __imul__(self, other):
        return self._inplace(ops.Mul, other)

    def __itruediv__(self, other):
        return self._inplace(ops.Div, other)

    def __ipow__(self, other):
        return self._inplace(ops.Pow, other)

    def _inplace(self, fn, *args, **kwargs):
        if STATE.grad_enabled and (
            self.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
        ):
            if self.requires_grad and self.grad_fn is None:
                raise RuntimeError(
                    f"{fn.name}: a leaf tensor that requires grad (shape {self.shape}) cannot be "
                    "changed in place while grad is recorded; wrap the update in no_grad()"
                )
            # Record out of place on an alias holding the old value, then rebind self.
            alias = _make(self.data, self.requires_grad, self.grad_fn, self._out_idx)
            out = fn.apply(alias, *args, **kwargs)
            if out.shape != self.shape:
                raise ValueError(
                    f"{fn.name}: in-place result has shape {out.shape} but the tensor has "
                    f"shape {self.shape}"
                )
            self.data, self.grad_fn, self._out_idx = out.data, out.grad_fn, out._out_idx
            self.requires_grad = True
        else:
            with no_grad():
                out = fn.apply(self, *args, **kwargs)
            if out.shape != self.shape:
                raise ValueError(
                    f"{fn.name}: in-place result has shape {out.shape} but the tensor has "
                    f"shape {self.shape}"
                )
            if not self.data.flags.writeable:  # e.g. a broadcast view: take a private copy
                self.data = np.array(self.data)
            np.copyto(self.data, out.data, casting="same_kind")
        self._counter()[0] += 1
        return self

    def __setitem__(self, index, value):
        self._inplace(ops.SetItem, value, index=_plain_index(index))

    # -- comparisons: bool tensors, never recorded -----------------------------------------

    def _compare(self, ufunc, other):
        other = other.data if isinstance(other, Tensor) else other
        try:
            return _make(ufunc(self.data, other))
        except ValueError as error:
            raise ValueError(
                f"{ufunc.__name__}: shapes {self.shape} and {np.shape(other)} cannot be compared "
                f"elementwise ({error})"
            ) from None

    def __lt__(self, other):
        return self._compare(np.less, other)

    def __le__(self, other):
        return self._compare(np.less_equal, other)

    def __gt__(self, other):
        return self._compare(np.greater, other)

    def __ge__(self, other):
        return self._compare(np.greater_equal, other)

    def __eq__(self, other):
        return self._compare(np.equal, other)

    def __ne__(self, other):
        return self._compare(np.not_equal, other)

    # -- indexing -------------------------------------------------------------------------

    def __getitem__(self, index):
        return ops.GetItem.apply(self, index=_plain_index(index))

    # -- elementwise ----------------------------------------------------------------------

    def exp(self):
        return ops.Exp.apply(self)

    def log(self):
        return ops.Log.apply(self)

    def sqrt(self):
        return ops.Sqrt.apply(self)

    def tanh(self):
        return ops.Tanh.apply(self)

    def sigmoid(self):
        return ops.Sigmoid.apply(self)

    def relu(self):
        return ops.Relu.apply(self)

    def abs(self):
        return ops.Abs.apply(self)

    def clip(self, lo=None, hi=None):
        return ops.Clip.apply(self, lo=lo, hi=hi)

    def astype(self, dtype):
        """This tensor in another dtype (differentiable between float dtypes)."""
        return ops.Cast.apply(self, dtype=np.dtype(dtype))

    # -- reductions -----------------------------------------------------------------------

    def sum(self, axis=None, keepdims=False):
        return ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return ops.Mean.apply(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, keepdims=False, ddof=0):
        return ops.Var.apply(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def std(self, axis=None, keepdims=False, ddof=0):
        return self.var(axis=axis, keepdims=keepdims, ddof=ddof).sqrt()

    def max(self, axis=None, keepdims=False):
        return ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return ops.Min.apply(self, axis=axis, keepdims=keepdims)

    def logsumexp(self, axis=None, keepdims=False):
        return ops.LogSumExp.apply(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None):
        """Indices of the maxima (an int64 tensor; no gradient)."""
        return _make(np.argmax(self.data, axis=self._one_axis(axis, "argmax")))

    def argmin(self, axis=None):
        """Indices of the minima (an int64 tensor; no gradient)."""
        return _make(np.argmin(self.data, axis=self._one_axis(axis, "argmin")))

    def _one_axis(self, axis, op):
        """``axis`` checked here, so a bad one is reported with the op's name and the shape."""
        if axis is not None and not -self.ndim <= axis < self.ndim:
            raise ValueError(
                f"{op}: axis {axis} is out of range for a tensor of {self.ndim} dims "
                f"(shape {self.shape})"
            )
        return axis

    # -- shape ----------------------------------------------------------------------------

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return ops.Reshape.apply(self, shape=tuple(shape))

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = axes[0]
        return ops.Transpose.apply(self, axes=tuple(axes) if axes else None)

    def flatten(self, start_axis=0):
        start = start_axis + self.ndim if start_axis < 0 else start_axis
        if not 0 <= start <= max(self.ndim - 1, 0):
            raise ValueError(
                f"flatten: start_axis {start_axis} is out of range for shape {self.shape}"
            )
        return self.reshape(self.shape[:start] + (-1,))

    def squeeze(self, axis=None):
        shape = self.shape
        if axis is None:
            new = tuple(s for s in shape if s != 1)
        else:
            axes = {a % self.ndim for a in ((axis,) if isinstance(axis, int) else axis)}
            bad = [a for a in axes if shape[a] != 1]
            if bad:
                raise ValueError(f"squeeze: axis {bad[0]} of shape {shape} has length != 1")
            new = tuple(s for i, s in enumerate(shape) if i not in axes)
        return self.reshape(new)

    def unsqueeze(self, axis):
        ndim = self.ndim + 1
        if not -ndim <= axis < ndim:
            raise ValueError(f"unsqueeze: axis {axis} is out of range for a result of {ndim} dims")
        axis %= ndim
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def broadcast_to(self, shape):
        return ops.BroadcastTo.apply(self, shape=tuple(shape))


_new = object.__new__


def _make(data, requires_grad=False, grad_fn=None, out_idx=0):
    """Wrap an ndarray without the dtype policy: the fast constructor used by every op."""
    t = _new(Tensor)
    t.data = data
    t.grad = None
    t.requires_grad = requires_grad
    t.grad_fn = grad_fn
    t._out_idx = out_idx
    t._vc = None
    return t


def _plain_index(index):
    """Replace Tensors inside an index by their arrays (ints and bools index as NumPy does)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


from autograd import ops  # noqa: E402  (ops subclass Function, which needs Tensor first)
