"""``compare_impls``: run a two-implementation layer both ways and report the differences."""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass, field

import numpy as np

from autograd import Tensor, graph_nodes, numerical_grad


@dataclass
class Row:
    """One compared quantity: the output, an input's gradient or a buffer after the call."""

    name: str
    max_abs: float  # max |fused - composed|
    max_rel: float  # max_abs / max(|fused|, |composed|): a normwise relative difference
    fused_vs_numeric: float | None = None  # max |fused - central difference|
    composed_vs_numeric: float | None = None


@dataclass
class ImplReport:
    """What ``compare_impls`` found; ``str(report)`` is a table."""

    function: str
    rows: list[Row] = field(default_factory=list)
    nodes: dict = field(default_factory=dict)  # impl -> graph node count
    seconds: dict = field(default_factory=dict)  # impl -> forward + backward wall time

    @property
    def max_abs(self) -> float:
        """The largest absolute difference over every row."""
        return max((r.max_abs for r in self.rows), default=0.0)

    def row(self, name: str) -> Row:
        """The row called ``name`` (e.g. "output", "x.grad")."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"compare_impls: no row {name!r}; rows are {[r.name for r in self.rows]}")

    def __str__(self) -> str:
        numeric = any(r.fused_vs_numeric is not None for r in self.rows)
        head = f"{'':<22}{'max abs':>11}{'max rel':>11}"
        if numeric:
            head += f"{'fused-num':>11}{'comp-num':>11}"
        lines = [f"{self.function}: fused vs composed", head]
        for r in self.rows:
            line = f"{r.name:<22}{r.max_abs:>11.2e}{r.max_rel:>11.2e}"
            if numeric and r.fused_vs_numeric is not None:
                line += f"{r.fused_vs_numeric:>11.2e}{r.composed_vs_numeric:>11.2e}"
            lines.append(line)
        lines.append(
            "graph nodes: "
            + ", ".join(f"{k} {v}" for k, v in self.nodes.items())
            + "; time: "
            + ", ".join(f"{k} {1e3 * v:.2f} ms" for k, v in self.seconds.items())
        )
        return "\n".join(lines)


def _diff(a, b) -> tuple[float, float]:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.size == 0:
        return 0.0, 0.0
    max_abs = float(np.max(np.abs(a - b)))
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), np.finfo(np.float64).tiny)
    return max_abs, max_abs / scale


def _copy(value):
    if isinstance(value, Tensor):
        return Tensor(value.data.copy(), requires_grad=value.requires_grad)
    return value


def compare_impls(fn, *inputs, numeric: bool = False, seed: int = 0, **kwargs) -> ImplReport:
    """Run ``fn`` with impl="fused" and impl="composed" on copies of the same inputs.

    Both outputs are backpropagated with the same random upstream gradient. The report
    has, for the output, for the gradient of every input that requires grad, and for every
    other Tensor argument the call changed in place (running buffers), the max absolute and
    max relative difference. With ``numeric=True`` each gradient is also compared with
    central differences (use float64 inputs for that).

    Parameters
    ----------
    fn : a function of ``nn.functional`` that takes ``impl``, e.g. ``F.batch_norm``
    *inputs, **kwargs : its arguments
    numeric : add the central-difference columns
    seed : seeds the upstream gradient
    """
    names = list(inspect.signature(fn).bind_partial(*inputs, **kwargs).arguments)
    values = list(inputs) + list(kwargs.values())
    n_pos = len(inputs)

    def call(args, impl):
        return fn(*args[:n_pos], impl=impl, **dict(zip(names[n_pos:], args[n_pos:])))

    runs = {}
    upstream = None
    for impl in ("fused", "composed"):
        args = [_copy(v) for v in values]
        start = time.perf_counter()
        out = call(args, impl)
        if upstream is None:
            upstream = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
        nodes = len(graph_nodes(out))
        if out.requires_grad:
            out.backward(upstream)
        runs[impl] = (out, args, time.perf_counter() - start, nodes)

    report = ImplReport(getattr(fn, "__name__", str(fn)))
    (out_f, args_f, t_f, n_f), (out_c, args_c, t_c, n_c) = runs["fused"], runs["composed"]
    report.nodes, report.seconds = {"fused": n_f, "composed": n_c}, {"fused": t_f, "composed": t_c}
    report.rows.append(Row("output", *_diff(out_f.data, out_c.data)))

    grads = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
    numerics = _numeric_grads(call, values, grads, upstream) if numeric else {}
    for i in grads:
        g_f, g_c = (_grad_array(a[i]) for a in (args_f, args_c))
        row = Row(f"{names[i]}.grad", *_diff(g_f, g_c))
        if numeric:
            row.fused_vs_numeric = _diff(g_f, numerics[i])[0]
            row.composed_vs_numeric = _diff(g_c, numerics[i])[0]
        report.rows.append(row)
    for i, v in enumerate(values):  # buffers the call updated in place
        if isinstance(v, Tensor) and not v.requires_grad:
            if not (
                np.array_equal(args_f[i].data, v.data) and np.array_equal(args_c[i].data, v.data)
            ):
                report.rows.append(
                    Row(f"{names[i]} (after)", *_diff(args_f[i].data, args_c[i].data))
                )
    return report


def _grad_array(t: Tensor):
    return np.zeros(t.shape) if t.grad is None else t.grad.data


def _numeric_grads(call, values, grads, upstream):
    """Central differences of sum(out * upstream), computed through the composed version."""

    def scalar(*args):
        full = [_copy(v) for v in values]
        for i, a in zip(grads, args):
            full[i] = a
        return (call(full, "composed") * upstream).sum()

    numeric = numerical_grad(scalar, [values[i] for i in grads])
    return dict(zip(grads, numeric))
