"""Drawing the graph with graphviz: ops, leaves, fused ops marked, name scopes as clusters."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np

from autograd.function import edge_target
from autograd.tensor import Tensor

_FUSED_STYLE = {"shape": "box", "style": "filled,bold", "fillcolor": "#f4a261"}
_OP_STYLE = {"shape": "box", "style": "rounded,filled", "fillcolor": "#e9ecef"}
_PARAM_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#a8dadc"}
_INPUT_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#f1faee"}
_OUTPUT_STYLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#b7e4c7"}


def _describe(shape, dtype) -> str:
    return f"{tuple(shape)} {np.dtype(dtype).name}"


def _values(t: Tensor) -> str:
    data = t.data
    if data.size <= 4:
        return np.array2string(data, precision=4, separator=", ")
    return f"mean {data.mean():.4g}, std {data.std():.4g}"


def graph_nodes(root: Tensor) -> list:
    """Every op node that ``root`` was computed from, root's own node first (no recursion).

    Each node is the ``grad_fn`` of some tensor: it has ``.name`` and, for fused layer ops,
    ``type(node).fused`` is True.
    """
    nodes, seen = [], set()
    stack = [root.grad_fn] if root.grad_fn is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        stack.extend(target[0] for target in map(edge_target, node._edges) if target)
    return nodes


def draw_graph(root, params=None, show_shapes=True, show_values=False):
    """The graph that produced ``root`` as a ``graphviz.Digraph``.

    Parameters
    ----------
    root : Tensor
    params : dict name -> Tensor, optional; leaves found here are labelled by name,
        other leaves "input"
    show_shapes : put each value's shape and dtype on its node
    show_values : put small leaf values (or their mean and std) on leaf nodes

    Op nodes are boxes labelled with the op name; fused ops are filled orange and say
    "fused"; the primitives recorded under a name scope (composed layers) are drawn inside
    one cluster labelled with the scope's name. Edges run from inputs to outputs.
    """
    import graphviz

    names = {id(t): name for name, t in (params or {}).items()}
    dot = graphviz.Digraph("npgrad", graph_attr={"rankdir": "TB", "fontname": "Helvetica"})
    dot.attr("node", fontname="Helvetica", fontsize="11")
    scopes = {}  # scope path -> list of (node id, label, style)
    edges = []
    seen = set()

    def leaf_node(t: Tensor) -> str:
        key = f"t{id(t)}"
        if key not in seen:
            seen.add(key)
            name = names.get(id(t), "input")
            lines = [name]
            if show_shapes:
                lines.append(_describe(t.shape, t.dtype))
            if show_values:
                lines.append(_values(t))
            style = _PARAM_STYLE if id(t) in names else _INPUT_STYLE
            dot.node(key, "\n".join(lines), **style)
        return key

    for node in graph_nodes(root):
        key = f"n{id(node)}"
        fused = type(node).fused
        lines = [f"{node.name} (fused)" if fused else node.name]
        if show_shapes:
            lines += [_describe(shape, dtype) for shape, dtype in node._out_meta]
        scopes.setdefault(node._scope, []).append(
            (key, "\n".join(lines), _FUSED_STYLE if fused else _OP_STYLE)
        )
        for edge in node._edges:
            target = edge_target(edge)
            if target is not None:
                edges.append((f"n{id(target[0])}", key))
            elif edge is not None:
                edges.append((leaf_node(edge), key))
        for t in node._leaves:
            edges.append((leaf_node(t), key))

    _add_scoped(dot, scopes)
    out_lines = ["output"] + ([_describe(root.shape, root.dtype)] if show_shapes else [])
    if show_values:
        out_lines.append(_values(root))
    dot.node("output", "\n".join(out_lines), **_OUTPUT_STYLE)
    if root.grad_fn is not None:
        dot.edge(f"n{id(root.grad_fn)}", "output")
    else:
        dot.edge(leaf_node(root), "output")
    for tail, head in dict.fromkeys(edges):  # drop repeated edges (x * x), keep order
        dot.edge(tail, head)
    return dot


def _add_scoped(dot, scopes):
    """Put each node in the cluster of its scope path, nesting clusters by path prefix."""
    tree = {}
    for path, nodes in scopes.items():
        branch = tree
        for name in path:
            branch = branch.setdefault(name, {})
        branch.setdefault(None, []).extend(nodes)
    counter = [0]

    def emit(graph, branch):
        for key, label, style in branch.get(None, []):
            graph.node(key, label, **style)
        for name, sub in branch.items():
            if name is None:
                continue
            counter[0] += 1
            with graph.subgraph(name=f"cluster_{counter[0]}") as cluster:
                cluster.attr(label=name, style="rounded,dashed", color="#457b9d", fontsize="12")
                emit(cluster, sub)

    emit(dot, tree)


def render_graph(root, path, format: str = "svg", **kwargs) -> str:  # noqa: A002 (API name)
    """Draw ``root``'s graph and write it to ``path``; returns the written path.

    Without the Graphviz ``dot`` program this writes the ``.dot`` source instead, warns,
    and returns that path (ending in ``.dot``).
    """
    dot = draw_graph(root, **kwargs)
    path = Path(path)
    if path.suffix != f".{format}":
        path = path.with_name(path.name + f".{format}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if shutil.which("dot") is not None:
        path.write_bytes(dot.pipe(format=format))
        return str(path)
    source = path.with_suffix(".dot")
    source.write_text(dot.source)
    warnings.warn(
        f"render_graph: the Graphviz 'dot' program was not found, so the graph source was "
        f"written to {source} instead of {format}; install Graphviz (e.g. apt-get install "
        "graphviz) to render it",
        RuntimeWarning,
        stacklevel=2,
    )
    return str(source)
