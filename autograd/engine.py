"""The backward pass: one iterative walk over the graph, no recursion.

1. Count, for every node reachable from the roots, how many edges point at it.
2. Starting from the roots, run a node's VJP once all of its consumers have sent their
   gradients (its count reaches zero), with the summed gradient of each output.
3. Reduce every returned gradient to its input's shape and dtype (the one place where
   broadcasting is undone), then send it to the parent node or accumulate it in a leaf.
4. Unless ``retain_graph``, free what each node kept for backward right after its VJP.
"""

from __future__ import annotations

import numpy as np

from autograd.function import _check_finite
from autograd.grad_mode import STATE
from autograd.tensor import Tensor, _make

# Node attributes that describe the graph; everything else on a node is backward's data.
_STRUCTURE = frozenset(
    ("_edges", "_out_meta", "_scope", "_leaves", "needs_input_grad", "_saved", "_to_save")
)
# A recorded node always has _edges, _out_meta, _scope, needs_input_grad and _saved; one
# with more attributes (or saved tensors) holds backward data to free.
_N_ALWAYS = 5


def backward(tensors, grad_tensors=None, retain_graph=False, create_graph=False):
    """Accumulate the gradients of ``tensors`` (weighted by ``grad_tensors``) into leaves."""
    roots, seeds = _seed(tensors, grad_tensors, "backward")
    _run(roots, seeds, retain_graph or create_graph, create_graph, None)


def grad(
    outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False
):
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not stored in .grad).

    Parameters
    ----------
    outputs : Tensor or sequence of Tensors
    inputs : Tensor or sequence of Tensors (leaves or intermediate results)
    grad_outputs : the upstream gradients; may be omitted for one-element outputs
    retain_graph : keep the graph for another backward (defaults to ``create_graph``)
    create_graph : record the backward itself, so the result can be differentiated again
    allow_unused : return None for an input the outputs don't depend on, instead of raising

    Returns
    -------
    tuple of Tensors, one per input
    """
    if isinstance(outputs, Tensor):
        outputs = (outputs,)
    if isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = (grad_outputs,)
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} is not a Tensor that requires grad")
    roots, seeds = _seed(outputs, grad_outputs, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    results = _run(roots, seeds, retain_graph, create_graph, inputs)
    for i, g in enumerate(results):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {inputs[i].shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
    return tuple(results)


def _seed(tensors, grad_tensors, op):
    """Check the roots and make their upstream gradients (1 for one-element roots)."""
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
    tensors = tuple(tensors)
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    if len(grad_tensors) != len(tensors):
        raise ValueError(f"{op}: got {len(grad_tensors)} gradients for {len(tensors)} outputs")
    seeds = []
    for t, g in zip(tensors, grad_tensors):
        if not t.requires_grad:
            raise RuntimeError(
                f"{op}: the tensor (shape {t.shape}) does not require grad and has no grad_fn; "
                "did you compute it under no_grad() or from tensors without requires_grad=True?"
            )
        if g is None:
            if t.size != 1:
                raise RuntimeError(
                    f"{op}: grad can be created implicitly only for one-element tensors; got shape "
                    f"{t.shape}. Pass grad= with that shape, or reduce first (e.g. .sum())"
                )
            g = _make(np.ones(t.shape, dtype=t.dtype))
        else:
            g = g if isinstance(g, Tensor) else Tensor(np.asarray(g, dtype=t.dtype))
            if g.shape != t.shape:
                raise RuntimeError(
                    f"{op}: grad has shape {g.shape} but the tensor has shape {t.shape}"
                )
        seeds.append(g)
    return tensors, seeds


def _run(roots, seeds, retain_graph, create_graph, targets):
    """The walk. With ``targets`` None, grads go to leaves' ``.grad``; else they are returned."""
    capture_nodes, capture_leaves, results = {}, {}, None
    if targets is not None:
        results = [None] * len(targets)
        for i, t in enumerate(targets):
            if t.grad_fn is None:
                capture_leaves[id(t)] = i
            else:
                capture_nodes[(t.grad_fn, t._out_idx)] = i
    given = set()  # arrays already stored in some leaf.grad: never share one between leaves
    sink = _Sink(results, capture_leaves, given, create_graph)

    # 1. dependency counts
    deps, stack, starts = {}, [], []
    for t in roots:
        node = t.grad_fn
        if node is not None and node not in deps:
            deps[node] = 0
            stack.append(node)
            starts.append(node)
    while stack:
        node = stack.pop()
        for edge in node._edges:
            if edge is None or isinstance(edge, Tensor):
                continue
            parent = edge[0] if type(edge) is tuple else edge
            count = deps.get(parent)
            if count is None:
                deps[parent] = 1
                stack.append(parent)
            else:
                deps[parent] = count + 1

    # 2. seed the roots
    pending = {}
    # Sums of three or more contributions accumulate in place into the array the second
    # one created (a fan-out of k then allocates once, not k - 1 times).
    owned = set()
    for t, g in zip(roots, seeds):
        given.add(id(g.data))
        if t.grad_fn is None:
            sink.leaf(t, g)
        else:
            _accumulate(pending, t.grad_fn, t._out_idx, g)

    # 3. walk (the hot loop: the common cases are inlined)
    previous_mode = STATE.grad_enabled
    STATE.grad_enabled = create_graph
    anomaly = STATE.detect_anomaly
    # A VJP's own Tensor ops must not report a NaN as "div produced NaN in forward": the
    # check after each VJP below names the node whose backward produced it.
    STATE.detect_anomaly = False
    try:
        ready = [n for n in starts if deps[n] == 0]
        while ready:
            node = ready.pop()
            grads = pending.pop(node, None)
            if owned and grads is not None:  # handed to a VJP: no longer ours to add into
                for g in grads:
                    owned.discard(id(g))
            edges = node._edges
            if capture_nodes:
                _capture(node, grads, capture_nodes, results)
            if grads is None:
                in_grads = (None,) * len(edges)
            else:
                cls = type(node)
                if len(grads) == 1 and node._saved is not None and not cls.once_differentiable:
                    in_grads = cls.backward(node, grads[0])
                    if type(in_grads) is not tuple:
                        in_grads = (in_grads,)
                else:
                    in_grads = _call_backward(node, grads, create_graph)
                if len(in_grads) != len(edges):
                    raise RuntimeError(
                        f"backward: {node.name} returned {len(in_grads)} gradients for "
                        f"{len(edges)} inputs"
                    )
                if anomaly:
                    _check_finite(node.name, "backward", [_data(g) for g in in_grads])
            if not retain_graph and (node._saved or len(node.__dict__) > _N_ALWAYS):
                _release(node)
            for edge, g in zip(edges, in_grads):
                if edge is None:
                    continue
                if not isinstance(edge, Tensor):  # a node: edge, or (edge, index) if index > 0
                    parent, index = edge if type(edge) is tuple else (edge, 0)
                    if g is not None:
                        shape, dtype = parent._out_meta[index]
                        if type(g) is not Tensor or g.data.shape != shape or g.data.dtype != dtype:
                            g = _fit(g, shape, dtype, node)
                        slots = pending.get(parent)
                        if slots is None:
                            slots = pending[parent] = [None] * len(parent._out_meta)
                        previous = slots[index]
                        if previous is None:
                            slots[index] = g
                        elif create_graph:
                            slots[index] = previous + g
                        elif id(previous) in owned:  # a sum we made and nobody else holds
                            np.add(previous.data, g.data, out=previous.data)
                        else:
                            slots[index] = total = previous + g
                            owned.add(id(total))
                    count = deps[parent] - 1
                    deps[parent] = count
                    if count == 0:
                        ready.append(parent)
                elif g is not None:
                    sink.leaf(edge, _fit(g, edge.shape, edge.dtype, node))
    finally:
        STATE.grad_enabled = previous_mode
        STATE.detect_anomaly = anomaly
    return results


def _capture(node, grads, capture_nodes, results):
    """For ``grad()`` with respect to intermediate tensors: note their summed gradient."""
    if grads is None:
        return
    for i in range(len(grads)):
        position = capture_nodes.get((node, i))
        if position is not None:
            results[position] = grads[i]


def _call_backward(node, grads, create_graph):
    cls = type(node)
    if node._saved is None:
        raise RuntimeError(
            f"backward: {node.name} has already been freed by an earlier backward; pass "
            "retain_graph=True to the first backward to go through the graph again"
        )
    if len(grads) > 1 and any(g is None for g in grads):  # an unused output: zero gradient
        grads = [
            g if g is not None else _make(np.zeros(shape, dtype))
            for g, (shape, dtype) in zip(grads, node._out_meta)
        ]
    if cls.once_differentiable:
        if create_graph:
            raise RuntimeError(
                f"backward: {node.name} is once-differentiable (its backward uses NumPy), so "
                "create_graph=True cannot differentiate through it; use its composed version"
            )
        out = cls.backward(node, *[g.data for g in grads])
    else:
        out = cls.backward(node, *grads)
    return out if type(out) is tuple else (out,)


def _fit(g, shape, dtype, node):
    """Make a returned gradient a Tensor of its input's shape and dtype."""
    if not isinstance(g, Tensor):
        g = _make(np.asarray(g))
    if g.data.shape != shape:
        g = _unbroadcast(g, shape, node.name)
    if g.data.dtype != dtype:
        g = g.astype(dtype)
    return g


def _unbroadcast(g, shape, name):
    """Sum a gradient of a broadcast result back to the input's ``shape``.

    The one place broadcasting is undone: sum the extra leading axes, then (keeping dims)
    the axes where the input had length 1.
    """
    extra = g.ndim - len(shape)
    if extra < 0 or any(s != 1 and s != gs for s, gs in zip(shape, g.shape[extra:])):
        raise RuntimeError(
            f"backward: {name} returned a gradient of shape {g.shape} for an input of shape "
            f"{shape}, and the two cannot be reconciled by broadcasting"
        )
    axes = tuple(range(extra)) + tuple(
        extra + i for i, s in enumerate(shape) if s == 1 and g.shape[extra + i] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if g.shape != shape else g


def _accumulate(pending, node, index, g):
    """Add ``g`` to the gradient waiting for output ``index`` of ``node``."""
    slots = pending.get(node)
    if slots is None:
        slots = pending[node] = [None] * len(node._out_meta)
    slots[index] = g if slots[index] is None else slots[index] + g


def _release(node):
    """Drop what the node kept for backward (saved tensors and its own attributes)."""
    state = node.__dict__
    extra = [key for key in state if key not in _STRUCTURE]
    if extra or node._saved:
        for key in extra:
            del state[key]
        node._saved = None  # marks the node as freed: a second backward through it raises


def _data(g):
    return g.data if isinstance(g, Tensor) else g


class _Sink:
    """Where leaf gradients go: ``.grad`` (backward) or the results list (grad)."""

    __slots__ = ("results", "capture", "given", "create_graph")

    def __init__(self, results, capture, given, create_graph):
        self.results, self.capture, self.given = results, capture, given
        self.create_graph = create_graph

    def leaf(self, leaf, g):
        if self.results is not None:
            position = self.capture.get(id(leaf))
            if position is not None:
                old = self.results[position]
                self.results[position] = g if old is None else old + g
            return
        if leaf.grad is not None:
            leaf.grad = leaf.grad + g  # out of place: a grad array is never mutated by us
            return
        if not self.create_graph:
            data = g.data
            if id(data) in self.given or data.base is not None or not data.flags.writeable:
                data = np.array(data)  # views and shared arrays must not alias another grad
            self.given.add(id(data))
            g = _make(data)
        leaf.grad = g
