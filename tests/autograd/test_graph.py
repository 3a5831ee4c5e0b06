"""draw_graph / render_graph: nodes, labels, edges, fused marks, name-scope clusters, files."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

import autograd
import autograd.graph
from autograd import Function, Tensor

graphviz = pytest.importorskip("graphviz")

_NODE = re.compile(r'^\s*(\w+) \[label="([^"]*)"', re.M)  # labels span lines, never quotes
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)", re.M)


def _nodes(dot):
    """node id -> label lines."""
    return {key: label.split("\n") for key, label in _NODE.findall(dot.source)}


def _edges(dot):
    return _EDGE.findall(dot.source)


def _by_title(dot):
    """first label line -> list of node ids (op names, param names, "input", "output")."""
    titles = {}
    for key, lines in _nodes(dot).items():
        titles.setdefault(lines[0], []).append(key)
    return titles


def _only(dot, title):
    keys = _by_title(dot)[title]
    assert len(keys) == 1, f"{title}: {keys}"
    return keys[0]


def _cluster_paths(dot):
    """node id -> labels of the clusters around it, outermost first."""
    path, result = [], {}
    for line in dot.source.splitlines():
        stripped = line.strip()
        if stripped.startswith("subgraph cluster"):
            path.append(None)
            continue
        label = re.search(r"\blabel=(\w+|\"[^\"]*\")", stripped)
        if path and path[-1] is None and label and "[" not in stripped:
            path[-1] = label.group(1).strip('"')  # the cluster's own attribute line
            continue
        node = re.match(r"(\w+) \[label=", stripped)
        if node:
            result[node.group(1)] = tuple(path)
        elif stripped == "}" and path:
            path.pop()
    return result


class FusedAffine(Function):
    """x @ w + b as one node, declared fused."""

    fused = True

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return x @ w + b

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.saved_tensors
        return grad_out @ w.T, x.T @ grad_out, grad_out


def _mlp():
    x = Tensor(np.ones((2, 3), dtype=np.float32))
    w = Tensor(np.ones((3, 4), dtype=np.float32), requires_grad=True)
    b = Tensor(np.zeros(4, dtype=np.float32), requires_grad=True)
    loss = (x @ w + b).relu().sum()
    return loss, {"weight": w, "bias": b}


def test_draw_graph_returns_a_digraph():
    loss, params = _mlp()
    assert isinstance(autograd.draw_graph(loss, params=params), graphviz.Digraph)


def test_one_node_per_op_and_per_leaf_with_names():
    loss, params = _mlp()
    dot = autograd.draw_graph(loss, params=params)
    titles = _by_title(dot)
    assert sorted(titles) == sorted(
        ["matmul", "add", "relu", "sum", "weight", "bias", "input", "output"]
    )
    assert all(len(keys) == 1 for keys in titles.values())


def test_leaves_not_in_params_are_inputs():
    loss, params = _mlp()
    titles = _by_title(autograd.draw_graph(loss))
    assert len(titles["input"]) == 3 and "weight" not in titles
    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    titles = _by_title(autograd.draw_graph((a * b).sum(), params={"a": a}))
    assert len(titles["a"]) == 1 and len(titles["input"]) == 1


def test_edges_run_from_inputs_to_outputs():
    loss, params = _mlp()
    dot = autograd.draw_graph(loss, params=params)
    k = {t: _only(dot, t) for t in ("matmul", "add", "relu", "sum", "weight", "bias", "input")}
    expected = {
        (k["input"], k["matmul"]),
        (k["weight"], k["matmul"]),
        (k["matmul"], k["add"]),
        (k["bias"], k["add"]),
        (k["add"], k["relu"]),
        (k["relu"], k["sum"]),
        (k["sum"], _only(dot, "output")),
    }
    assert set(_edges(dot)) == expected
    assert len(_edges(dot)) == len(expected)


def test_shapes_and_dtypes_on_the_nodes():
    loss, params = _mlp()
    nodes = _nodes(autograd.draw_graph(loss, params=params))
    labels = {lines[0]: lines[1:] for lines in nodes.values()}
    assert labels["weight"] == ["(3, 4) float32"]
    assert labels["bias"] == ["(4,) float32"]
    assert labels["input"] == ["(2, 3) float32"]
    assert labels["matmul"] == ["(2, 4) float32"]
    assert labels["sum"] == ["() float32"]
    assert labels["output"] == ["() float32"]
    x = Tensor(np.ones(3), requires_grad=True)  # float64 is shown as such
    labels = {v[0]: v[1:] for v in _nodes(autograd.draw_graph(x.exp(), {"x": x})).values()}
    assert labels["x"] == ["(3,) float64"] and labels["exp"] == ["(3,) float64"]


def test_show_shapes_false_leaves_only_names():
    loss, params = _mlp()
    dot = autograd.draw_graph(loss, params=params, show_shapes=False)
    assert all(len(lines) == 1 for lines in _nodes(dot).values())
    assert "float32" not in dot.source


def test_show_values_puts_small_leaf_values_on_the_node():
    w = Tensor(np.array([1.5, -2.0]), requires_grad=True)
    dot = autograd.draw_graph((w * 2).sum(), params={"w": w}, show_values=True)
    assert "1.5" in "\n".join(_nodes(dot)[_only(dot, "w")])


def test_a_tensor_used_twice_is_one_node_with_one_edge():
    x = Tensor(np.ones(3), requires_grad=True)
    dot = autograd.draw_graph((x * x).sum(), params={"x": x})
    assert sorted(_by_title(dot)) == ["mul", "output", "sum", "x"]
    assert _edges(dot).count((_only(dot, "x"), _only(dot, "mul"))) == 1


def test_a_shared_subexpression_is_drawn_once():
    x = Tensor(np.ones(3), requires_grad=True)
    h = x.exp()
    dot = autograd.draw_graph((h * 2 + h).sum())
    assert len(_by_title(dot)["exp"]) == 1
    exp = _only(dot, "exp")
    assert {head for tail, head in _edges(dot) if tail == exp} == {
        _only(dot, "mul"),
        _only(dot, "add"),
    }


def test_a_leaf_root():
    x = Tensor(np.ones(2), requires_grad=True)
    dot = autograd.draw_graph(x, params={"x": x})
    assert sorted(_by_title(dot)) == ["output", "x"]
    assert _edges(dot) == [(_only(dot, "x"), _only(dot, "output"))]


def test_fused_functions_are_marked():
    x = Tensor(np.ones((2, 3)))
    w = Tensor(np.ones((3, 4)), requires_grad=True)
    b = Tensor(np.zeros(4), requires_grad=True)
    out = FusedAffine.apply(x, w, b).tanh().sum()
    dot = autograd.draw_graph(out, params={"w": w, "b": b})
    nodes = _nodes(dot)
    fused = [lines for lines in nodes.values() if lines[0].startswith("fusedaffine")]
    assert len(fused) == 1 and "fused" in fused[0][0].replace("fusedaffine", "", 1)
    assert not any("fused" in lines[0] for lines in nodes.values() if lines is not fused[0])
    # the three inputs point at the one fused node
    key = next(k for k, lines in nodes.items() if lines[0].startswith("fusedaffine"))
    assert sorted(tail for tail, head in _edges(dot) if head == key) == sorted(
        [_only(dot, "input"), _only(dot, "w"), _only(dot, "b")]
    )


def test_name_scope_draws_a_labelled_cluster():
    x = Tensor(np.ones((2, 3)))
    w = Tensor(np.ones((3, 4)), requires_grad=True)
    with autograd.name_scope("my_layer"):
        h = (x @ w).relu()
    out = (h * 2).sum()
    dot = autograd.draw_graph(out, params={"w": w})
    paths = _cluster_paths(dot)
    assert paths[_only(dot, "matmul")] == ("my_layer",)
    assert paths[_only(dot, "relu")] == ("my_layer",)
    assert paths[_only(dot, "mul")] == () and paths[_only(dot, "sum")] == ()
    assert paths[_only(dot, "w")] == () and paths[_only(dot, "output")] == ()
    assert dot.source.count("subgraph cluster") == 1


def test_nested_name_scopes_nest_clusters():
    x = Tensor(np.ones(3), requires_grad=True)
    with autograd.name_scope("block"):
        a = x.exp()
        with autograd.name_scope("inner"):
            b = a.tanh()
        c = b * 2
    with autograd.name_scope("head"):
        d = c.sum()
    dot = autograd.draw_graph(d)
    paths = _cluster_paths(dot)
    assert paths[_only(dot, "exp")] == ("block",)
    assert paths[_only(dot, "tanh")] == ("block", "inner")
    assert paths[_only(dot, "mul")] == ("block",)
    assert paths[_only(dot, "sum")] == ("head",)
    assert dot.source.count("subgraph cluster") == 3


def test_name_scope_as_a_decorator_and_restored_on_exit():
    @autograd.name_scope("square")
    def square(t):
        return t * t

    x = Tensor(np.ones(2), requires_grad=True)
    y = square(x).sum()
    dot = autograd.draw_graph(y)
    paths = _cluster_paths(dot)
    assert paths[_only(dot, "mul")] == ("square",) and paths[_only(dot, "sum")] == ()
    with pytest.raises(KeyError):
        with autograd.name_scope("broken"):
            raise KeyError("boom")
    assert autograd.grad_mode.STATE.scope == ()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_render_graph_writes_svg(tmp_path):
    loss, params = _mlp()
    path = autograd.render_graph(loss, tmp_path / "mlp", params=params)
    assert path.endswith(".svg") and path == str(tmp_path / "mlp.svg")
    text = (tmp_path / "mlp.svg").read_text()
    assert "<svg" in text and "weight" in text and "matmul" in text
    again = autograd.render_graph(loss, tmp_path / "sub" / "mlp.svg")  # keeps a given suffix
    assert again == str(tmp_path / "sub" / "mlp.svg")


def test_render_graph_without_dot_writes_the_source_and_warns(tmp_path, monkeypatch):
    monkeypatch.setattr(autograd.graph.shutil, "which", lambda *args, **kwargs: None)
    loss, params = _mlp()
    with pytest.warns(RuntimeWarning, match=r"'dot' program was not found.*\.dot"):
        path = autograd.render_graph(loss, tmp_path / "mlp.svg", params=params)
    assert path.endswith(".dot")
    text = (tmp_path / "mlp.dot").read_text()
    assert text == autograd.draw_graph(loss, params=params).source
    assert text.startswith("digraph") and "weight" in text
    assert not (tmp_path / "mlp.svg").exists()
