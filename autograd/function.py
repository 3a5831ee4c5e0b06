"""``Function``: the one way any op enters the graph.

A subclass gives ``forward(ctx, *args, **kwargs)`` on ndarrays and
``backward(ctx, *grad_outputs)`` returning one gradient (or None) per positional input.
``apply`` runs forward on the inputs' arrays, wraps the outputs in Tensors and, when grad
mode is on and an input requires grad, turns ``ctx`` into the graph node: the node *is*
the ``ctx`` object, an instance of the Function subclass, so ``tensor.grad_fn.name`` is
the op's name and anything a forward stores on ``ctx`` is there for its backward.

Node bookkeeping (private attributes on ctx):
  _edges     one entry per positional input: the producing node for a non-leaf that
             requires grad (``(node, output_index)`` when that index is not 0), the
             Tensor itself for a leaf that requires grad, else None (see ``edge_target``)
  _saved     what ``save_for_backward`` kept, resolved to inputs/outputs with versions;
             None once backward has freed it
  _out_meta  ``((shape, dtype), ...)`` of the outputs (unbroadcasting and drawing)
  _scope     the name-scope path active when the node was made
  _leaves    constant leaf Tensors among the inputs (only drawn, never differentiated)
"""

from __future__ import annotations

import numpy as np

from autograd.grad_mode import STATE
from autograd.tensor import Tensor, _make

_new = object.__new__
# needs_input_grad tuples, one shared object per (mask, number of inputs): a fresh tuple
# per node would be one more long-lived object for the garbage collector to traverse.
_NEEDS: dict[int, tuple] = {}

_INPUT, _OUTPUT, _CONSTANT = 0, 1, 2
_REGISTRY: dict[str, type[Function]] = {}


def register(name: str):
    """Class decorator for primitives: set the node name and list the op in ``REGISTRY``."""

    def deco(cls):
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


REGISTRY = _REGISTRY  # name -> Function subclass, for test sweeps and curious readers


class Function:
    """Base of every op: subclass it, give ``forward`` and ``backward``, call ``apply``.

    Class attributes
    ----------------
    name : str
        The node's label (defaults to the lowercase class name).
    fused : bool
        A hand-fused layer op; ``draw_graph`` marks it.
    once_differentiable : bool
        ``backward`` works on ndarrays (``grad_outputs`` and ``saved_tensors`` arrive as
        ndarrays) and is not itself differentiable; backward with ``create_graph=True``
        through such a node raises instead of returning a wrong higher derivative.
    """

    name = "function"
    fused = False
    once_differentiable = False
    needs_input_grad: tuple = ()
    _to_save: tuple = ()  # set per instance by save_for_backward
    _leaves: tuple = ()  # set per instance when a constant leaf is an input
    # An op whose output may be a view of its first input (reshape, transpose, slicing):
    # the output then shares that input's version counter, so an in-place change through
    # either one invalidates what a graph saved of the other (as PyTorch's views do).
    returns_view = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__.lower()

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("Function subclasses must define a static forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("Function subclasses must define a static backward(ctx, ...)")

    # -- the ctx side ---------------------------------------------------------------------

    def save_for_backward(self, *items) -> None:
        """Keep arrays (inputs, outputs or any other) for ``backward``."""
        self._to_save = items

    @property
    def saved_tensors(self) -> tuple:
        """What ``save_for_backward`` kept, checked against in-place changes.

        An input comes back as the input Tensor and an output as a Tensor attached to this
        node, so a backward written in Tensor ops is itself differentiable; anything else
        comes back as saved. For a once-differentiable Function everything is an ndarray.
        """
        saved = self._saved
        if saved is None:
            raise RuntimeError(
                f"backward: {self.name} has already freed its saved tensors; trying to "
                "backward through the graph a second time? Pass retain_graph=True to the "
                "first backward if you need to go through it again"
            )
        arrays_only = self.once_differentiable
        result = []
        for k in range(0, len(saved), 4):  # flat (kind, payload, version, extra) records
            kind, obj, version, extra = saved[k : k + 4]
            if kind == _INPUT:
                if obj._version != version:
                    _raise_modified(self.name, "input", version, obj._version)
                result.append(obj.data if arrays_only else obj)
            elif kind == _OUTPUT:
                counter = extra[0]  # the output's version counter (shared with its detach())
                if counter[0] != version:
                    _raise_modified(self.name, "output", version, counter[0])
                result.append(obj if arrays_only else _make(obj, True, self, extra[1]))
            else:
                result.append(obj)
        return tuple(result)

    # -- the graph side -------------------------------------------------------------------

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op on Tensors (or plain values); returns a Tensor or a tuple of them."""
        # This is the hottest function of the engine: plain loops, no generators.
        arrays = []
        ctx = _new(cls)
        record = False
        if STATE.grad_enabled:
            edges, leaves, mask, bit = [], (), 0, 1
            for a in args:
                if isinstance(a, Tensor):
                    arrays.append(a.data)
                    if a.requires_grad:
                        record = True
                        mask |= bit
                        fn = a.grad_fn
                        if fn is None:
                            edges.append(a)
                        else:
                            index = a._out_idx
                            edges.append(fn if index == 0 else (fn, index))
                        bit <<= 1
                        continue
                    if a.grad_fn is None:
                        leaves += (a,)
                else:
                    arrays.append(a)
                edges.append(None)
                bit <<= 1
            if record:
                ctx._edges = tuple(edges)
                key = (mask << 8) | len(args)
                needs = _NEEDS.get(key)
                if needs is None:
                    needs = _NEEDS[key] = tuple(bool(mask >> i & 1) for i in range(len(args)))
                ctx.needs_input_grad = needs
                if leaves:
                    ctx._leaves = leaves
        else:
            for a in args:
                arrays.append(a.data if isinstance(a, Tensor) else a)
        try:
            out = cls.forward(ctx, *arrays, **kwargs)
        except (ValueError, IndexError) as error:
            raise _explain(cls.name, arrays, error) from error

        if type(out) is not tuple:  # the common single-output case
            # NumPy returns scalars, not 0-d arrays, from ops on 0-d arrays.
            o = out if type(out) is np.ndarray else np.asarray(out)
            if STATE.detect_anomaly:
                _check_finite(cls.name, "forward", (o,))
            if not record or o.dtype.kind != "f":  # int/bool results are leaves, as in PyTorch
                result = _make(o)
                if cls.returns_view:
                    _share_version(result, args[0])
                return result
            result = _make(o, True, ctx, 0)
            if cls.returns_view:
                _share_version(result, args[0])
            ctx._out_meta = ((o.shape, o.dtype),)
            ctx._scope = STATE.scope
            to_save = ctx._to_save
            if to_save:
                ctx._saved = _resolve_saved(to_save, args, (out,), (result,))
                ctx._to_save = ()  # resolved: hold each array once
            else:
                ctx._saved = ()
            return result

        outs = tuple(o if type(o) is np.ndarray else np.asarray(o) for o in out)
        if STATE.detect_anomaly:
            _check_finite(cls.name, "forward", outs)
        if not record:
            return tuple(_make(o) for o in outs)
        results = tuple(
            _make(o, True, ctx, i) if o.dtype.kind == "f" else _make(o) for i, o in enumerate(outs)
        )
        ctx._out_meta = tuple((o.shape, o.dtype) for o in outs)
        ctx._scope = STATE.scope
        to_save = ctx._to_save
        ctx._saved = _resolve_saved(to_save, args, out, results) if to_save else ()
        ctx._to_save = ()
        return results

    def __repr__(self):
        return f"<{self.name}>"


def edge_target(edge):
    """``(node, output_index)`` for an edge to a node; None for a leaf or no edge."""
    if edge is None or isinstance(edge, Tensor):
        return None
    return edge if type(edge) is tuple else (edge, 0)


def _share_version(result, base):
    if isinstance(base, Tensor) and np.may_share_memory(result.data, base.data):
        result._vc = base._counter()


def _resolve_saved(items, args, raw_outputs, results):
    """Each saved item as (kind, payload, version, extra), found by identity with inputs
    or outputs; the records are returned concatenated in one flat tuple."""
    resolved = []
    for item in items:
        entry = None
        if type(item) is np.ndarray or isinstance(item, np.generic):
            for a in args:
                if isinstance(a, Tensor) and a.data is item:
                    entry = (_INPUT, a, a._version, None)
                    break
            else:
                for i, o in enumerate(raw_outputs):
                    if o is item:
                        t = results[i]
                        counter = t._counter()
                        entry = (_OUTPUT, t.data, counter[0], (counter, i))
                        break
        resolved.extend(entry or (_CONSTANT, item, 0, None))
    return tuple(resolved)  # flat, one tuple per node: fewer long-lived objects for the GC


def _raise_modified(name, what, saved_version, version):
    raise RuntimeError(
        f"backward: {name} saved its {what} at version {saved_version}, now {version} "
        "(changed in place); use y = y + 1, not y += 1, on tensors the graph still needs"
    )


def _explain(name, arrays, error):
    """Re-raise a NumPy error with the op's name and the shapes it got."""
    message = str(error)
    if message.startswith(f"{name}:"):
        return error
    shapes = [np.shape(a) for a in arrays if isinstance(a, (np.ndarray, np.generic))]
    shown = " and ".join(str(s) for s in shapes)
    if "could not be broadcast" in message:
        return ValueError(
            f"{name}: shapes {shown} cannot be broadcast together "
            "(aligned from the right, each axis must match or be 1)"
        )
    return type(error)(f"{name}: {message} (input shapes {shown})")


def _check_finite(name, phase, arrays):
    for i, a in enumerate(arrays):
        if a is not None and a.dtype.kind in "fc" and not np.isfinite(a).all():
            kind = "NaN" if np.isnan(a).any() else "Inf"
            raise FloatingPointError(
                f"detect_anomaly: {name} produced {kind} in {phase} (value {i}, shape {a.shape})"
            )
