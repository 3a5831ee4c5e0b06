"""Every primitive of ``autograd.ops.REGISTRY`` gradchecked in float64 with the public gradcheck.

The first-order table ``CASES`` must name every registry entry (``test_every_primitive_is_
covered``), so a new primitive without a test fails the suite. Inputs stay away from kinks
(relu/abs at 0, clip bounds, max ties); the kinks themselves get exact tests below. Then come
second-order checks (gradcheck of a function that itself calls ``autograd.grad(...,
create_graph=True)``), the third derivative of tanh and a Hessian-vector product.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.ops import REGISTRY, ScatterAdd
from tests.helpers import BROADCAST_PAIRS, rand_tensors, shape_id, torch_or_skip

ATOL, RTOL = 1e-6, 1e-5  # the tolerances of tests.helpers.check_grads


@dataclass(frozen=True)
class Case:
    """One gradcheck: ``fn`` on random float64 inputs of ``shapes`` (in [0.5, 2] if positive)."""

    op: str
    fn: Callable
    shapes: tuple = ()
    positive: bool = False
    eps: float = 1e-6

    def make_inputs(self):
        return rand_tensors(*self.shapes, seed=0, positive=self.positive)


def case(op, label, fn, *shapes, **kw):
    return pytest.param(Case(op, fn, shapes, **kw), id=f"{op}-{label}")


def _const(array):
    """A float64 tensor that does not require grad."""
    return Tensor(np.asarray(array, dtype=np.float64))


# ---------------------------------------------------------------------------------------------
# the first-order table


BINARY = {
    "add": (lambda a, b: a + b, False),
    "sub": (lambda a, b: a - b, False),
    "mul": (lambda a, b: a * b, False),
    "div": (lambda a, b: a / b, True),
    "pow": (lambda a, b: a**b, True),  # a positive base, so log(a) exists
    "maximum": (autograd.maximum, False),
    "minimum": (autograd.minimum, False),
}

CASES = []
for _op, (_fn, _positive) in BINARY.items():
    for _a, _b in BROADCAST_PAIRS:
        CASES.append(case(_op, f"{shape_id(_a)}-{shape_id(_b)}", _fn, _a, _b, positive=_positive))

CASES += [
    # reflected operators and Python scalars on either side
    case("add", "scalar-right", lambda x: x + 1.5, (3, 4)),
    case("add", "scalar-left", lambda x: 2 + x, (3, 4)),
    case("add", "ndarray-left", lambda x: np.ones((2, 3, 4)) + x, (3, 4)),
    case("sub", "scalar-left", lambda x: 3.0 - x, (3, 4)),
    case("sub", "self", lambda x: x - x * x, (3, 4)),
    case("mul", "scalar-left", lambda x: 2.5 * x, (3, 4)),
    case("mul", "same-tensor", lambda x: x * x, (3, 4)),
    case("div", "scalar-left", lambda x: 2.0 / x, (3, 4), positive=True),
    case("div", "scalar-right", lambda x: x / 3.0, (3, 4)),
    case("neg", "2d", lambda x: -x, (3, 4)),
    case("neg", "0d", lambda x: -x, ()),
    # pow: scalar exponents, tensor exponents, scalar bases
    case("pow", "int-exponent", lambda x: x**3, (3, 4)),
    case("pow", "square", lambda x: x**2, (3, 4)),
    case("pow", "float-exponent", lambda x: x**2.5, (3, 4), positive=True),
    case("pow", "negative-exponent", lambda x: x**-1.5, (3, 4), positive=True),
    case("pow", "half", lambda x: x**0.5, (3, 4), positive=True),
    case("pow", "scalar-base-2", lambda x: 2**x, (3, 4)),
    case("pow", "scalar-base-float", lambda x: 0.7**x, (3, 4)),
    case("pow", "ndarray-exponent", lambda x: x ** np.array([1.0, 2.0, 3.0]), (2, 3)),
    case("pow", "0d-exponent", lambda x, y: x**y, (2, 3), (), positive=True),
    # unary elementwise
    case("exp", "2d", lambda x: x.exp(), (3, 4)),
    case("exp", "0d", lambda x: x.exp(), ()),
    case("log", "2d", lambda x: x.log(), (3, 4), positive=True),
    case("sqrt", "2d", lambda x: x.sqrt(), (3, 4), positive=True),
    case("tanh", "2d", lambda x: x.tanh(), (3, 4)),
    case("tanh", "3d", lambda x: x.tanh(), (2, 3, 4)),
    case("sigmoid", "2d", lambda x: x.sigmoid(), (3, 4)),
    case("relu", "2d", lambda x: x.relu(), (4, 5)),
    case("abs", "method", lambda x: x.abs(), (4, 5)),
    case("abs", "builtin", lambda x: abs(x), (4, 5)),
    case("clip", "both", lambda x: x.clip(-0.5, 0.5), (4, 5)),
    case("clip", "lo-only", lambda x: x.clip(lo=-0.3), (4, 5)),
    case("clip", "hi-only", lambda x: x.clip(hi=0.2), (4, 5)),
    # where: cond broadcasts with both branches; a branch may be a Python scalar
    case(
        "where",
        "same-shape",
        lambda a, b: autograd.where(np.arange(12).reshape(3, 4) % 3 == 0, a, b),
        (3, 4),
        (3, 4),
    ),
    case(
        "where",
        "broadcast",
        lambda a, b: autograd.where(np.array([[True], [False], [True]]), a, b),
        (1, 4),
        (3, 1),
    ),
    case(
        "where",
        "tensor-cond",
        lambda a, b: autograd.where(a > b, a, b),
        (2, 3, 4),
        (4,),
    ),
    case(
        "where",
        "scalar-branch",
        lambda a: autograd.where(np.array([True, False, True, False]), a, 0.5),
        (3, 4),
    ),
    # astype: float64 -> float32 -> float64 is linear, so a wide step is exact up to the
    # float32 rounding of the perturbed input (relative 6e-8 / eps)
    case("astype", "f64-f64", lambda x: x.astype(np.float64) * 2.0, (3, 4)),
    case(
        "astype",
        "f64-f32-f64",
        lambda x: x.astype(np.float32).astype(np.float64),
        (3, 4),
        eps=1e-2,
    ),
    # shape
    case("reshape", "tuple", lambda x: x.reshape((2, 6)), (3, 4)),
    case("reshape", "varargs", lambda x: x.reshape(4, 3), (3, 4)),
    case("reshape", "minus-one", lambda x: x.reshape(-1), (2, 3, 4)),
    case("reshape", "to-0d", lambda x: x.reshape(()), (1, 1)),
    case("reshape", "flatten", lambda x: x.flatten(), (2, 3, 4)),
    case("reshape", "flatten-1", lambda x: x.flatten(1), (2, 3, 4)),
    case("reshape", "flatten-neg", lambda x: x.flatten(-2), (2, 3, 4)),
    case("reshape", "squeeze-all", lambda x: x.squeeze(), (1, 3, 1, 4)),
    case("reshape", "squeeze-axis", lambda x: x.squeeze(0), (1, 3, 1, 4)),
    case("reshape", "squeeze-neg", lambda x: x.squeeze(-2), (1, 3, 1, 4)),
    case("reshape", "squeeze-tuple", lambda x: x.squeeze((0, 2)), (1, 3, 1, 4)),
    case("reshape", "unsqueeze-0", lambda x: x.unsqueeze(0), (3, 4)),
    case("reshape", "unsqueeze-mid", lambda x: x.unsqueeze(1), (3, 4)),
    case("reshape", "unsqueeze-neg", lambda x: x.unsqueeze(-1), (3, 4)),
    case("transpose", "no-axes", lambda x: x.transpose(), (2, 3, 4)),
    case("transpose", "varargs", lambda x: x.transpose(1, 0, 2), (2, 3, 4)),
    case("transpose", "tuple", lambda x: x.transpose((2, 0, 1)), (2, 3, 4)),
    case("transpose", "negative", lambda x: x.transpose(-1, 0, -2), (2, 3, 4)),
    case("transpose", "T-2d", lambda x: x.T, (3, 4)),
    case("transpose", "T-3d", lambda x: x.T, (2, 3, 4)),
    case("broadcast_to", "col", lambda x: x.broadcast_to((2, 3, 4)), (3, 1)),
    case("broadcast_to", "0d", lambda x: x.broadcast_to((2, 3)), ()),
    case("broadcast_to", "row", lambda x: x.broadcast_to((3, 4)), (4,)),
    case("broadcast_to", "same", lambda x: x.broadcast_to((3, 4)), (3, 4)),
    case("pad", "int", lambda x: autograd.pad(x, 1), (2, 3)),
    case("pad", "pair", lambda x: autograd.pad(x, (1, 2)), (2, 3)),
    case("pad", "per-axis", lambda x: autograd.pad(x, ((0, 1), (2, 0), (1, 1))), (2, 3, 2)),
    case("pad", "value", lambda x: autograd.pad(x, ((1, 1), (0, 2)), value=-3.0), (2, 3)),
    case("pad", "1d", lambda x: autograd.pad(x, ((3, 0),)), (4,)),
    # matmul, NumPy's rules
    case("matmul", "1d@1d", lambda a, b: a @ b, (4,), (4,)),
    case("matmul", "1d@2d", lambda a, b: a @ b, (4,), (4, 3)),
    case("matmul", "2d@1d", lambda a, b: a @ b, (3, 4), (4,)),
    case("matmul", "2d@2d", lambda a, b: a @ b, (3, 4), (4, 2)),
    case("matmul", "batched-broadcast", lambda a, b: a @ b, (2, 1, 3, 4), (5, 4, 2)),
    case("matmul", "batched-3d@2d", lambda a, b: a @ b, (2, 3, 4), (4, 5)),
    case("matmul", "2d@batched-3d", lambda a, b: a @ b, (3, 4), (2, 4, 5)),
    case("matmul", "1d@batched-3d", lambda a, b: a @ b, (4,), (2, 4, 3)),
    case("matmul", "batched-3d@1d", lambda a, b: a @ b, (2, 3, 4), (4,)),
    case("matmul", "ndarray-left", lambda b: np.ones((2, 3)) @ b, (3, 4)),
    # concatenate / stack
    case(
        "concatenate",
        "axis0",
        lambda a, b, c: autograd.concatenate([a, b, c]),
        (2, 3),
        (4, 3),
        (1, 3),
    ),
    case("concatenate", "axis1", lambda a, b: autograd.concatenate([a, b], axis=1), (2, 3), (2, 1)),
    case(
        "concatenate", "axis-1", lambda a, b: autograd.concatenate([a, b], axis=-1), (2, 3), (2, 2)
    ),
    case(
        "concatenate",
        "3d-axis-2",
        lambda a, b: autograd.concatenate([a, b, a], axis=-2),
        (2, 3, 2),
        (2, 1, 2),
    ),
    case(
        "concatenate",
        "with-constant",
        lambda a: autograd.concatenate([_const(np.ones((1, 3))), a], axis=0),
        (2, 3),
    ),
    case("concatenate", "single", lambda a: autograd.concatenate([a], axis=1), (2, 3)),
    case("stack", "axis0", lambda a, b, c: autograd.stack([a, b, c]), (2, 3), (2, 3), (2, 3)),
    case("stack", "axis1", lambda a, b: autograd.stack([a, b], axis=1), (2, 3), (2, 3)),
    case("stack", "axis2", lambda a, b: autograd.stack([a, b], axis=2), (2, 3), (2, 3)),
    case("stack", "axis-1", lambda a, b: autograd.stack([a, b, a], axis=-1), (2, 3), (2, 3)),
    case("stack", "axis-3", lambda a, b: autograd.stack([a, b], axis=-3), (2, 3), (2, 3)),
    case("stack", "0d", lambda a, b: autograd.stack([a, b]), (), ()),
]

# Reductions over axis None, int, negative and tuple, keepdims both ways.
REDUCTIONS = {
    "sum": lambda x, **kw: x.sum(**kw),
    "mean": lambda x, **kw: x.mean(**kw),
    "var": lambda x, **kw: x.var(**kw),
    "var-ddof1": lambda x, **kw: x.var(ddof=1, **kw),
    "std": lambda x, **kw: x.std(**kw),
    "std-ddof1": lambda x, **kw: x.std(ddof=1, **kw),
    "max": lambda x, **kw: x.max(**kw),
    "min": lambda x, **kw: x.min(**kw),
    "logsumexp": lambda x, **kw: x.logsumexp(**kw),
}
REDUCTION_OP = {"var-ddof1": "var", "std": "var", "std-ddof1": "var"}  # std is sqrt(var)
AXES = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2)]

for _name, _fn in REDUCTIONS.items():
    for _axis in AXES:
        for _keep in (False, True):
            CASES.append(
                case(
                    REDUCTION_OP.get(_name, _name),
                    f"{_name}-axis{_axis}-keep{int(_keep)}".replace(" ", ""),
                    lambda x, f=_fn, a=_axis, k=_keep: f(x, axis=a, keepdims=k),
                    (2, 3, 4),
                )
            )
CASES += [
    case("sum", "0d", lambda x: x.sum(), ()),
    case("mean", "1d", lambda x: x.mean(0), (5,)),
    case("max", "0d", lambda x: x.max(), ()),
    case("logsumexp", "large", lambda x: (x * 50.0).logsumexp(axis=1), (3, 4)),
]

# Indexing on a (4, 5, 3) tensor: basic, advanced with repeated indices, masks, mixtures.
MASK_45 = np.array([[1, 0, 1, 1, 0], [0, 0, 1, 0, 1], [1, 1, 1, 0, 0], [0, 1, 0, 0, 1]], dtype=bool)
INDEXES = {
    "int": 1,
    "negative-int": -1,
    "slice": slice(1, 3),
    "step": slice(None, None, 2),
    "reverse": slice(None, None, -1),
    "negative-step": (slice(3, 0, -2), slice(None, None, -3)),
    "int-int": (2, -1),
    "second-axis": (slice(None), 1),
    "ellipsis": (Ellipsis, 0),
    "ellipsis-middle": (1, Ellipsis, 2),
    "none": None,
    "none-mixed": (slice(None), None, 2),
    "none-ellipsis": (1, Ellipsis, None),
    "int-array-repeats": np.array([0, 2, 2, 3, 0, 2]),
    "list-repeats": [3, 3, 1],
    "2d-int-array": np.array([[0, 1], [1, 1], [3, 0]]),
    "negative-int-array": np.array([-1, -1, 0]),
    "axis1-array": (slice(None), np.array([1, 1, 4, 1])),
    "paired-arrays": (np.array([0, 0, 3, 0]), np.array([1, 1, 2, 1])),
    "split-arrays": (np.array([0, 2, 0]), slice(1, None), np.array([1, 1, 2])),
    "bool-mask-2d": MASK_45,
    "bool-mask-3d": np.arange(60).reshape(4, 5, 3) % 7 < 3,
    "bool-axis1": (slice(None), np.array([True, False, True, True, False])),
    "mixed": (slice(1, None), [0, 0, 2], slice(None, None, -1)),
    "mixed-int-array": (2, np.array([4, 4, 0])),
    "tensor-index": Tensor(np.array([1, 1, 0])),
}
for _label, _index in INDEXES.items():
    CASES.append(case("getitem", _label, lambda x, i=_index: x[i], (4, 5, 3)))

# scatter_add is getitem's VJP; called directly it is a primitive of its own.
for _label, _index in [
    ("slice", slice(1, 3)),
    ("repeats", np.array([0, 2, 2, 0])),
    ("mask", MASK_45),
    ("paired", (np.array([0, 0, 3]), np.array([1, 1, 2]))),
]:
    _shape = np.zeros((4, 5, 3))[_index].shape
    CASES.append(
        case(
            "scatter_add",
            _label,
            lambda g, i=_index: ScatterAdd.apply(g, index=i, shape=(4, 5, 3)),
            _shape,
        )
    )


def _set(index):
    """x[index] = v on a copy of x (recorded out of place), for gradcheck."""

    def fn(x, v):
        y = x * 1.0
        y[index] = v
        return y

    return fn


def _set_const(index, value):
    def fn(x):
        y = x * 1.0
        y[index] = value
        return y

    return fn


def _set_into_constant(index):
    def fn(v):
        y = _const(np.arange(20.0).reshape(4, 5))
        y[index] = v
        return y

    return fn


CASES += [
    case("setitem", "slice", _set(slice(1, 3)), (4, 5), (2, 5)),
    case("setitem", "slice-broadcast-v", _set(slice(1, 3)), (4, 5), (5,)),
    case("setitem", "int", _set(0), (4, 5), (5,)),
    case("setitem", "column", _set((slice(None), 1)), (4, 5), (4,)),
    case("setitem", "0d-value", _set((1, 2)), (4, 5), ()),
    case("setitem", "negative-step", _set((slice(None), slice(None, None, -2))), (4, 5), (4, 3)),
    case("setitem", "int-array", _set(np.array([0, 2])), (4, 5), (2, 5)),
    case("setitem", "bool-mask", _set(MASK_45), (4, 5), (int(MASK_45.sum()),)),
    case("setitem", "ellipsis", _set((Ellipsis, 0)), (4, 5), (4,)),
    case("setitem", "python-float", _set_const(slice(0, 2), 0.25), (4, 5)),
    case("setitem", "into-constant", _set_into_constant((slice(None), 3)), (4,)),
]


def _op_of(param):
    return param.values[0].op


def test_every_primitive_is_covered():
    covered = {_op_of(p) for p in CASES}
    missing = sorted(set(REGISTRY) - covered)
    assert not missing, f"primitives without a gradcheck case in CASES: {missing}"
    unknown = sorted(covered - set(REGISTRY))
    assert not unknown, f"CASES names ops that are not in the registry: {unknown}"


def _node_names(out):
    """Names of every op node reachable from ``out``."""
    return {node.name for node in autograd.graph_nodes(out)}


@pytest.mark.parametrize("c", CASES)
def test_gradcheck(c):
    inputs = c.make_inputs()
    out = c.fn(*inputs)
    # The case really exercises the op it claims to cover.
    assert c.op in _node_names(out), f"{c.op} not in the graph of this case"
    assert out.dtype == np.float64 and np.isfinite(out.data).all()
    assert autograd.gradcheck(c.fn, inputs, eps=c.eps, atol=ATOL, rtol=RTOL)


# ---------------------------------------------------------------------------------------------
# exact checks: forward values, kinks and accumulation that gradcheck cannot see


def _grads(fn, *arrays, upstream=None):
    """d sum(upstream * fn(*xs)) / d xs as float64 ndarrays."""
    xs = [Tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = fn(*xs)
    g = np.ones(out.shape) if upstream is None else upstream
    out.backward(g)
    return [x.grad.data for x in xs]


def test_max_min_split_ties_evenly():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, 5.0, 1.0]])
    (g,) = _grads(lambda t: t.max(axis=1), x)
    np.testing.assert_array_equal(g, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3], [0, 1, 0]])
    (g,) = _grads(lambda t: t.min(axis=0, keepdims=True), x)
    np.testing.assert_array_equal(g, [[0, 0, 0], [0, 1, 0], [1, 0, 1]])
    (g,) = _grads(lambda t: t.max(), x)
    np.testing.assert_array_equal(g, [[0, 0, 0], [0, 0, 0], [0, 1, 0]])
    (g,) = _grads(lambda t: t.min(), x)
    np.testing.assert_array_equal(g, [[0, 0, 0], [0, 0, 0], [1, 0, 0]])
    y = np.array([[4.0, 1.0], [4.0, 4.0]])
    (g,) = _grads(lambda t: t.max(), y)
    np.testing.assert_array_equal(g, [[1 / 3, 0], [1 / 3, 1 / 3]])
    (g,) = _grads(lambda t: t.max(axis=(0, 1), keepdims=True) * 3.0, y)
    np.testing.assert_array_equal(g, [[1, 0], [1, 1]])


def test_maximum_minimum_split_ties_evenly():
    a = np.array([1.0, 2.0, 3.0, -1.0])
    b = np.array([1.0, 5.0, 0.0, -1.0])
    ga, gb = _grads(autograd.maximum, a, b)
    np.testing.assert_array_equal(ga, [0.5, 0, 1, 0.5])
    np.testing.assert_array_equal(gb, [0.5, 1, 0, 0.5])
    ga, gb = _grads(autograd.minimum, a, b)
    np.testing.assert_array_equal(ga, [0.5, 1, 0, 0.5])
    np.testing.assert_array_equal(gb, [0.5, 0, 1, 0.5])
    # broadcast: a scalar tied with two entries collects half of each
    ga, gb = _grads(autograd.maximum, 2.0, np.array([2.0, 1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(ga, 0.5 + 1.0 + 0.5)
    np.testing.assert_array_equal(gb, [0.5, 0, 0.5, 1])


def test_kinks_follow_pytorch_conventions():
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(_grads(lambda t: t.relu(), x)[0], [0, 0, 1])
    np.testing.assert_array_equal(_grads(lambda t: t.abs(), x)[0], [-1, 0, 1])
    # clip: the boundaries pass the gradient
    y = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(_grads(lambda t: t.clip(-0.5, 0.5), y)[0], [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(_grads(lambda t: t.clip(lo=0.0), y)[0], [0, 0, 1, 1, 1])


def test_repeated_integer_indices_accumulate_exactly():
    x = np.arange(5.0)
    (g,) = _grads(lambda t: t[[0, 0, 3, 0, 1]], x)
    np.testing.assert_array_equal(g, [3, 1, 0, 1, 0])
    (g,) = _grads(lambda t: t[np.array([[4, 4], [4, -1]])], x)
    np.testing.assert_array_equal(g, [0, 0, 0, 0, 4])
    # weighted upstream: each use adds its own upstream element
    (g,) = _grads(lambda t: t[np.array([2, 2, 1])], x, upstream=np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(g, [0, 100, 11, 0, 0])
    m = np.zeros((3, 4))
    (g,) = _grads(lambda t: t[[0, 0, 2], [1, 1, 3]], m)
    expected = np.zeros((3, 4))
    expected[0, 1], expected[2, 3] = 2, 1
    np.testing.assert_array_equal(g, expected)
    (g,) = _grads(lambda t: t[:, [3, 3, 3, 0]], m)
    np.testing.assert_array_equal(g, np.tile([1.0, 0, 0, 3], (3, 1)))
    # the same tensor indexed twice also accumulates
    (g,) = _grads(lambda t: t[1:4] + t[[1, 1, 2]], x)
    np.testing.assert_array_equal(g, [0, 3, 2, 1, 0])


def test_boolean_mask_gradient_is_the_mask():
    x = np.arange(20.0).reshape(4, 5)
    (g,) = _grads(lambda t: t[MASK_45], x)
    np.testing.assert_array_equal(g, MASK_45.astype(float))
    (g,) = _grads(lambda t: t[t > 7.5], x)
    np.testing.assert_array_equal(g, (x > 7.5).astype(float))


def test_setitem_records_out_of_place():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    v = Tensor(np.array([10.0, 20.0]), requires_grad=True)
    y = x * 1.0
    before = y.grad_fn
    y[:, 1] = v
    assert y.grad_fn is not before and y.grad_fn.name == "setitem"
    np.testing.assert_array_equal(y.data, [[0, 10, 2], [3, 20, 5]])
    (y * np.array([[1.0, 2.0, 3.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[1, 0, 3], [1, 0, 3]])
    np.testing.assert_array_equal(v.grad.data, [2, 2])


def test_setitem_on_a_leaf_that_requires_grad_raises():
    x = Tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x[0] = 1.0


def test_astype_gradient_comes_back_in_the_input_dtype():
    w = np.array([[0.5, -1.25], [2.0, 3.0]])
    x32 = Tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    y = x32.astype(np.float64)
    assert y.dtype == np.float64
    (y * w).sum().backward()
    assert x32.grad.dtype == np.float32
    np.testing.assert_array_equal(x32.grad.data, w.astype(np.float32))
    x64 = Tensor(np.ones((2, 2)), requires_grad=True)
    z = x64.astype(np.float32)
    assert z.dtype == np.float32
    (z * w.astype(np.float32)).sum().backward()
    assert x64.grad.dtype == np.float64
    np.testing.assert_array_equal(x64.grad.data, w)
    assert not x64.astype(np.int64).requires_grad


def test_pow_exponent_gradient_is_computed_in_the_promoted_dtype():
    # float32 base, float64 exponent: d/db a^b = a^b log(a) must not round log(a) to float32
    rng = np.random.default_rng(1)
    a32 = rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
    b = Tensor(rng.uniform(0.5, 2.0, (4,)), requires_grad=True)
    (Tensor(a32) ** b).sum().backward()
    a64 = a32.astype(np.float64)
    expected = (a64**b.data * np.log(a64)).sum(axis=0)
    np.testing.assert_allclose(b.grad.data, expected, rtol=1e-14)


def test_numerical_grad_of_a_function_that_calls_grad():
    # gradcheck / numerical_grad keep grad mode on, so fn may differentiate internally
    def slope(x):
        (g,) = autograd.grad((x**3).sum(), x, create_graph=True)
        return g.sum()

    (x,) = rand_tensors((4,), seed=4)
    (numeric,) = autograd.numerical_grad(slope, [x])
    np.testing.assert_allclose(numeric, 6 * x.data, rtol=1e-7)


def test_pad_forward_matches_numpy():
    x = np.arange(6.0).reshape(2, 3)
    for width in (1, (1, 2), ((0, 1), (2, 0))):
        out = autograd.pad(Tensor(x), width, value=-1.0)
        np.testing.assert_array_equal(out.data, np.pad(x, width, constant_values=-1.0))


# ---------------------------------------------------------------------------------------------
# second order: gradcheck of a function that itself calls autograd.grad(create_graph=True)


def _gradgrad_fn(f, n_inputs):
    """(x1..xn, w) -> d sum(w * f(x)) / d x, with the graph kept (PyTorch's gradgradcheck).

    Also differentiating with respect to the upstream ``w`` checks that a VJP is recorded
    in ``w`` even where ``f`` is linear (so that the second derivative in x is zero).
    """

    def fn(*args):
        xs, w = args[:n_inputs], args[n_inputs]
        out = f(*xs)
        return autograd.grad(out, xs, grad_outputs=w, create_graph=True)

    return fn


SECOND_ORDER = [
    # elementwise
    ("add", lambda a, b: a + b, ((3, 1), (4,)), False),
    ("sub", lambda a, b: a - b, ((3, 4), (4,)), False),
    ("mul", lambda a, b: a * b, ((3, 1), (1, 4)), False),
    ("mul-self", lambda a: a * a, ((3, 4),), False),
    ("div", lambda a, b: a / b, ((3, 4), (4,)), True),
    ("neg", lambda a: -a, ((3, 4),), False),
    ("pow-scalar", lambda a: a**3, ((3, 4),), False),
    ("pow-float", lambda a: a**1.5, ((3, 4),), True),
    ("pow-base", lambda a: 2**a, ((3, 4),), False),
    ("pow-tensor", lambda a, b: a**b, ((3, 4), (4,)), True),
    ("exp", lambda a: a.exp(), ((3, 4),), False),
    ("log", lambda a: a.log(), ((3, 4),), True),
    ("sqrt", lambda a: a.sqrt(), ((3, 4),), True),
    ("tanh", lambda a: a.tanh(), ((3, 4),), False),
    ("sigmoid", lambda a: a.sigmoid(), ((3, 4),), False),
    ("relu", lambda a: a.relu() * a, ((3, 4),), False),
    ("abs", lambda a: a.abs() * a, ((3, 4),), False),
    ("clip", lambda a: a.clip(-0.5, 0.5) * a, ((3, 4),), False),
    ("maximum", lambda a, b: autograd.maximum(a, b) * a, ((3, 4), (4,)), False),
    ("minimum", lambda a, b: autograd.minimum(a, b) * b, ((3, 4), (3, 1)), False),
    ("where", lambda a, b: autograd.where(a > b, a * a, b), ((3, 4), (4,)), False),
    ("astype", lambda a: a.astype(np.float64) * a, ((3, 4),), False),
    # reductions
    ("sum", lambda a: (a * a).sum(axis=1), ((3, 4),), False),
    ("sum-keep", lambda a: (a * a).sum(axis=(0, 2), keepdims=True), ((2, 3, 4),), False),
    ("mean", lambda a: (a * a).mean(axis=-1), ((3, 4),), False),
    ("mean-all", lambda a: a.exp().mean(), ((3, 4),), False),
    ("var", lambda a: a.var(axis=0), ((3, 4),), False),
    ("var-ddof1-keep", lambda a: a.var(axis=(0, 2), ddof=1, keepdims=True), ((2, 3, 4),), False),
    ("std", lambda a: a.std(axis=1), ((3, 4),), False),
    ("max", lambda a: a.max(axis=1) * a.sum(axis=1), ((3, 4),), False),
    ("min", lambda a: a.min() * a, ((3, 4),), False),
    ("logsumexp", lambda a: a.logsumexp(axis=1), ((3, 4),), False),
    ("logsumexp-all", lambda a: a.logsumexp(axis=None, keepdims=True), ((2, 3, 2),), False),
    # shape
    ("reshape", lambda a: a.reshape(4, 3) ** 2, ((3, 4),), False),
    ("transpose", lambda a: a.transpose(2, 0, 1) ** 2, ((2, 3, 4),), False),
    ("T", lambda a, b: a.T @ b, ((3, 4), (3, 2)), False),
    ("broadcast_to", lambda a: a.broadcast_to((2, 3, 4)) ** 2, ((3, 1),), False),
    ("pad", lambda a: autograd.pad(a, ((1, 0), (2, 1))) ** 2, ((3, 4),), False),
    ("squeeze-unsqueeze", lambda a: a.squeeze(0).unsqueeze(-1) ** 2, ((1, 3, 4),), False),
    ("flatten", lambda a: a.flatten(1).tanh(), ((2, 3, 4),), False),
    # matmul
    ("matmul-1d@1d", lambda a, b: a @ b, ((4,), (4,)), False),
    ("matmul-1d@2d", lambda a, b: (a @ b) ** 2, ((4,), (4, 3)), False),
    ("matmul-2d@1d", lambda a, b: (a @ b) ** 2, ((3, 4), (4,)), False),
    ("matmul-2d@2d", lambda a, b: a @ b, ((3, 4), (4, 2)), False),
    ("matmul-2d@2d-sq", lambda a, b: (a @ b) ** 2, ((3, 4), (4, 2)), False),
    ("matmul-batched", lambda a, b: (a @ b) ** 2, ((2, 1, 3, 4), (5, 4, 2)), False),
    ("matmul-self", lambda a: a @ a, ((3, 3),), False),
    # indexing and combining (getitem's VJP is scatter_add and vice versa)
    ("getitem-repeats", lambda a: a[np.array([0, 2, 2, 0])] ** 2, ((3, 4),), False),
    ("getitem-mixed", lambda a: a[1:, [0, 0, 3]] ** 3, ((3, 4),), False),
    ("getitem-mask", lambda a: a[MASK_45] ** 2, ((4, 5),), False),
    ("setitem", lambda a, v: _set(slice(0, 2))(a, v) ** 2, ((3, 4), (4,)), False),
    (
        "concatenate",
        lambda a, b: autograd.concatenate([a, b], axis=1) ** 2,
        ((2, 3), (2, 1)),
        False,
    ),
    ("stack", lambda a, b: autograd.stack([a, b * a], axis=-1), ((2, 3), (2, 3)), False),
]


@pytest.mark.parametrize(
    "f, shapes, positive",
    [pytest.param(f, s, p, id=name) for name, f, s, p in SECOND_ORDER],
)
def test_second_order_gradcheck(f, shapes, positive):
    xs = rand_tensors(*shapes, seed=1, positive=positive)
    out_shape = f(*xs).shape
    (w,) = rand_tensors(out_shape, seed=2)
    assert autograd.gradcheck(_gradgrad_fn(f, len(xs)), [*xs, w], atol=ATOL, rtol=RTOL)


def test_third_derivative_of_tanh_matches_closed_form():
    x0 = np.linspace(-2.0, 2.0, 9)
    x = Tensor(x0, requires_grad=True)
    y = x.tanh().sum()
    (d1,) = autograd.grad(y, x, create_graph=True)
    (d2,) = autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = autograd.grad(d2.sum(), x)
    t = np.tanh(x0)
    np.testing.assert_allclose(d1.data, 1 - t**2, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(d2.data, -2 * t * (1 - t**2), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(d3.data, -2 * (1 - t**2) * (1 - 3 * t**2), rtol=1e-12, atol=1e-14)
    assert not d3.requires_grad


def test_third_order_gradcheck_of_tanh():
    def second(x):
        (d1,) = autograd.grad(x.tanh().sum(), x, create_graph=True)
        (d2,) = autograd.grad(d1.sum(), x, create_graph=True)
        return d2

    assert autograd.gradcheck(second, rand_tensors((5,), seed=3), atol=ATOL, rtol=RTOL)


# ---------------------------------------------------------------------------------------------
# Hessian-vector product of a small 2-layer tanh MLP

D_IN, D_HID, N = 3, 4, 5


def _mlp_params(seed=0):
    return rand_tensors((D_IN, D_HID), (D_HID,), (D_HID, 1), (1,), seed=seed)


def _mlp_loss(X, y, W1, b1, W2, b2):  # noqa: N803 (matrix names)
    out = (X @ W1 + b1).tanh() @ W2 + b2
    return ((out.reshape(-1) - y) ** 2).mean()


def _mlp_data():
    rng = np.random.default_rng(7)
    return _const(rng.standard_normal((N, D_IN))), _const(rng.standard_normal(N))


def _hvp(params, v):
    X, y = _mlp_data()  # noqa: N806
    grads = autograd.grad(_mlp_loss(X, y, *params), params, create_graph=True)
    dot = sum((g * vi).sum() for g, vi in zip(grads, v))
    return [h.data for h in autograd.grad(dot, params)]


def _grad_at(arrays):
    X, y = _mlp_data()  # noqa: N806
    params = [Tensor(a, requires_grad=True) for a in arrays]
    return [g.data for g in autograd.grad(_mlp_loss(X, y, *params), params)]


def test_hvp_matches_finite_difference_of_gradients():
    params = _mlp_params()
    v = [t.data for t in rand_tensors(*[p.shape for p in params], seed=11)]
    hv = _hvp(params, v)
    eps = 1e-5
    plus = _grad_at([p.data + eps * vi for p, vi in zip(params, v)])
    minus = _grad_at([p.data - eps * vi for p, vi in zip(params, v)])
    for h, gp, gm in zip(hv, plus, minus):
        np.testing.assert_allclose(h, (gp - gm) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_hvp_matches_torch():
    torch = torch_or_skip()
    params = _mlp_params()
    v = [t.data for t in rand_tensors(*[p.shape for p in params], seed=11)]
    hv = _hvp(params, v)
    X, y = _mlp_data()  # noqa: N806
    tX, ty = torch.from_numpy(X.data), torch.from_numpy(y.data)  # noqa: N806

    def loss(W1, b1, W2, b2):  # noqa: N803
        out = torch.tanh(tX @ W1 + b1) @ W2 + b2
        return ((out.reshape(-1) - ty) ** 2).mean()

    _, expected = torch.autograd.functional.hvp(
        loss,
        tuple(torch.from_numpy(p.data.copy()) for p in params),
        tuple(torch.from_numpy(vi.copy()) for vi in v),
    )
    for h, e in zip(hv, expected):
        np.testing.assert_allclose(h, e.numpy(), rtol=1e-10, atol=1e-13)
