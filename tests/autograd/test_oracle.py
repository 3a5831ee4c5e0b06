"""Every primitive against PyTorch: forward values, dtypes and gradients on random inputs.

float64 throughout, to round-off (rtol 1e-10); dtype promotion, the even split of max/min
ties (torch.amax / torch.amin, and torch.max with no dim), PyTorch's conventions at kinks,
and logsumexp's stability at 1e4. Skipped as a whole when PyTorch is not installed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import autograd
from autograd import Tensor
from autograd.ops import REGISTRY, ScatterAdd
from tests.helpers import BROADCAST_PAIRS, rand_tensors, shape_id, to_torch

torch = pytest.importorskip("torch")
F = torch.nn.functional

RTOL, ATOL = 1e-10, 1e-12


@dataclass(frozen=True)
class Oracle:
    """``ours`` on Tensors and ``theirs`` on torch tensors should agree (``theirs`` None: same)."""

    op: str
    ours: Callable
    theirs: Callable | None
    shapes: tuple
    positive: bool = False


def same(op, label, fn, *shapes, positive=False):
    """A case where one lambda reads the same in npgrad and in PyTorch."""
    return pytest.param(Oracle(op, fn, None, shapes, positive), id=f"{op}-{label}")


def pair(op, label, ours, theirs, *shapes, positive=False):
    return pytest.param(Oracle(op, ours, theirs, shapes, positive), id=f"{op}-{label}")


def _tdim(axis, ndim):
    return tuple(range(ndim)) if axis is None else axis


def _tindex(index):
    """An npgrad index as PyTorch takes it (arrays become tensors)."""
    if isinstance(index, tuple):
        return tuple(_tindex(i) for i in index)
    if isinstance(index, np.ndarray):
        return torch.from_numpy(index)
    return index


CASES = []
for _op, _fn, _positive in [
    ("add", lambda a, b: a + b, False),
    ("sub", lambda a, b: a - b, False),
    ("mul", lambda a, b: a * b, False),
    ("div", lambda a, b: a / b, True),
    ("pow", lambda a, b: a**b, True),
]:
    for _a, _b in BROADCAST_PAIRS:
        CASES.append(same(_op, f"{shape_id(_a)}-{shape_id(_b)}", _fn, _a, _b, positive=_positive))
for _op, _ours, _theirs in [
    ("maximum", autograd.maximum, torch.maximum),
    ("minimum", autograd.minimum, torch.minimum),
]:
    for _a, _b in BROADCAST_PAIRS:
        CASES.append(pair(_op, f"{shape_id(_a)}-{shape_id(_b)}", _ours, _theirs, _a, _b))

CASES += [
    same("add", "scalar", lambda x: 1.5 + x + 2, (3, 4)),
    same("sub", "scalar", lambda x: 3.0 - x - 1, (3, 4)),
    same("mul", "scalar", lambda x: 2.5 * x * 2, (3, 4)),
    same("div", "scalar", lambda x: 2.0 / x / 4, (3, 4), positive=True),
    same("neg", "2d", lambda x: -x, (3, 4)),
    same("pow", "int", lambda x: x**3, (3, 4)),
    same("pow", "float", lambda x: x**2.5, (3, 4), positive=True),
    same("pow", "negative", lambda x: x**-1.5, (3, 4), positive=True),
    same("pow", "base-2", lambda x: 2**x, (3, 4)),
    same("pow", "base-float", lambda x: 0.7**x, (3, 4)),
    same("exp", "2d", lambda x: x.exp(), (3, 4)),
    same("log", "2d", lambda x: x.log(), (3, 4), positive=True),
    same("sqrt", "2d", lambda x: x.sqrt(), (3, 4), positive=True),
    same("tanh", "2d", lambda x: x.tanh(), (3, 4)),
    same("sigmoid", "2d", lambda x: x.sigmoid(), (3, 4)),
    pair("sigmoid", "large", lambda x: (x * 40).sigmoid(), lambda x: (x * 40).sigmoid(), (3, 4)),
    same("relu", "2d", lambda x: x.relu(), (4, 5)),
    same("abs", "2d", lambda x: x.abs(), (4, 5)),
    same("abs", "builtin", lambda x: abs(x), (4, 5)),
    pair("clip", "both", lambda x: x.clip(-0.5, 0.5), lambda x: x.clamp(-0.5, 0.5), (4, 5)),
    pair("clip", "lo", lambda x: x.clip(lo=-0.3), lambda x: x.clamp(min=-0.3), (4, 5)),
    pair("clip", "hi", lambda x: x.clip(hi=0.2), lambda x: x.clamp(max=0.2), (4, 5)),
    pair(
        "where",
        "broadcast",
        lambda a, b: autograd.where(a > b, a, b),
        lambda a, b: torch.where(a > b, a, b),
        (2, 3, 4),
        (4,),
    ),
    pair(
        "where",
        "scalar-branch",
        lambda a: autograd.where(a > 0, a, 0.5),
        lambda a: torch.where(a > 0, a, 0.5),
        (3, 4),
    ),
    pair(
        "astype",
        "f64-f32",
        lambda x: x.astype(np.float32),
        lambda x: x.to(torch.float32),
        (3, 4),
    ),
    pair(
        "astype",
        "f64-f32-f64",
        lambda x: x.astype(np.float32).astype(np.float64) * x,
        lambda x: x.to(torch.float32).to(torch.float64) * x,
        (3, 4),
    ),
    # shape
    same("reshape", "tuple", lambda x: x.reshape((2, 6)), (3, 4)),
    same("reshape", "varargs", lambda x: x.reshape(4, -1), (3, 4)),
    same("reshape", "flatten", lambda x: x.flatten(), (2, 3, 4)),
    same("reshape", "flatten-1", lambda x: x.flatten(1), (2, 3, 4)),
    same("reshape", "squeeze", lambda x: x.squeeze(), (1, 3, 1, 4)),
    same("reshape", "squeeze-axis", lambda x: x.squeeze(-2), (1, 3, 1, 4)),
    same("reshape", "unsqueeze", lambda x: x.unsqueeze(1), (3, 4)),
    same("reshape", "unsqueeze-neg", lambda x: x.unsqueeze(-1), (3, 4)),
    pair("transpose", "no-axes", lambda x: x.transpose(), lambda x: x.permute(2, 1, 0), (2, 3, 4)),
    pair(
        "transpose", "axes", lambda x: x.transpose(1, 2, 0), lambda x: x.permute(1, 2, 0), (2, 3, 4)
    ),
    pair(
        "transpose",
        "negative",
        lambda x: x.transpose((-1, 0, -2)),
        lambda x: x.permute(-1, 0, -2),
        (2, 3, 4),
    ),
    same("transpose", "T", lambda x: x.T, (3, 4)),
    same("broadcast_to", "col", lambda x: x.broadcast_to((2, 3, 4)), (3, 1)),
    same("broadcast_to", "0d", lambda x: x.broadcast_to((2, 3)), ()),
    pair("pad", "int", lambda x: autograd.pad(x, 1), lambda x: F.pad(x, (1, 1, 1, 1)), (2, 3)),
    pair(
        "pad",
        "per-axis",
        lambda x: autograd.pad(x, ((0, 1), (2, 0), (1, 3)), value=2.5),
        lambda x: F.pad(x, (1, 3, 2, 0, 0, 1), value=2.5),
        (2, 3, 2),
    ),
    # matmul
    same("matmul", "1d@1d", lambda a, b: a @ b, (4,), (4,)),
    same("matmul", "1d@2d", lambda a, b: a @ b, (4,), (4, 3)),
    same("matmul", "2d@1d", lambda a, b: a @ b, (3, 4), (4,)),
    same("matmul", "2d@2d", lambda a, b: a @ b, (3, 4), (4, 2)),
    same("matmul", "batched-broadcast", lambda a, b: a @ b, (2, 1, 3, 4), (5, 4, 2)),
    same("matmul", "1d@3d", lambda a, b: a @ b, (4,), (2, 4, 3)),
    same("matmul", "3d@1d", lambda a, b: a @ b, (2, 3, 4), (4,)),
    # combining
    pair(
        "concatenate",
        "axis0",
        lambda a, b: autograd.concatenate([a, b, a]),
        lambda a, b: torch.cat([a, b, a]),
        (2, 3),
        (4, 3),
    ),
    pair(
        "concatenate",
        "axis-1",
        lambda a, b: autograd.concatenate([a, b], axis=-1),
        lambda a, b: torch.cat([a, b], dim=-1),
        (2, 3, 2),
        (2, 3, 1),
    ),
    pair(
        "stack",
        "axis1",
        lambda a, b: autograd.stack([a, b], axis=1),
        lambda a, b: torch.stack([a, b], dim=1),
        (2, 3),
        (2, 3),
    ),
    pair(
        "stack",
        "axis-1",
        lambda a, b: autograd.stack([a, b, b], axis=-1),
        lambda a, b: torch.stack([a, b, b], dim=-1),
        (2, 3),
        (2, 3),
    ),
]

# Reductions: axis None / int / negative / tuple, keepdims both ways.
AXES = [None, 1, -1, (0, 2)]
for _axis in AXES:
    for _keep in (False, True):
        _label = f"axis{_axis}-keep{int(_keep)}".replace(" ", "")
        _d = _tdim(_axis, 3)
        CASES += [
            pair(
                "sum",
                _label,
                lambda x, a=_axis, k=_keep: x.sum(axis=a, keepdims=k),
                lambda x, d=_d, k=_keep: x.sum(dim=d, keepdim=k),
                (2, 3, 4),
            ),
            pair(
                "mean",
                _label,
                lambda x, a=_axis, k=_keep: x.mean(axis=a, keepdims=k),
                lambda x, d=_d, k=_keep: x.mean(dim=d, keepdim=k),
                (2, 3, 4),
            ),
        ]
        for _ddof in (0, 1):
            CASES += [
                pair(
                    "var",
                    f"{_label}-ddof{_ddof}",
                    lambda x, a=_axis, k=_keep, c=_ddof: x.var(axis=a, keepdims=k, ddof=c),
                    lambda x, d=_d, k=_keep, c=_ddof: x.var(dim=d, keepdim=k, correction=c),
                    (2, 3, 4),
                ),
                pair(
                    "var",
                    f"std-{_label}-ddof{_ddof}",
                    lambda x, a=_axis, k=_keep, c=_ddof: x.std(axis=a, keepdims=k, ddof=c),
                    lambda x, d=_d, k=_keep, c=_ddof: x.std(dim=d, keepdim=k, correction=c),
                    (2, 3, 4),
                ),
            ]
        CASES += [
            pair(
                "max",
                _label,
                lambda x, a=_axis, k=_keep: x.max(axis=a, keepdims=k),
                lambda x, d=_d, k=_keep: x.amax(dim=d, keepdim=k),
                (2, 3, 4),
            ),
            pair(
                "min",
                _label,
                lambda x, a=_axis, k=_keep: x.min(axis=a, keepdims=k),
                lambda x, d=_d, k=_keep: x.amin(dim=d, keepdim=k),
                (2, 3, 4),
            ),
            pair(
                "logsumexp",
                _label,
                lambda x, a=_axis, k=_keep: x.logsumexp(axis=a, keepdims=k),
                lambda x, d=_d, k=_keep: x.logsumexp(dim=d, keepdim=k),
                (2, 3, 4),
            ),
        ]

# Indexing. PyTorch has no negative slice steps: its side flips first.
MASK = np.arange(20).reshape(4, 5) % 3 == 0
INDEXES = {
    "int": 1,
    "slice": (slice(1, 3), slice(None, None, 2)),
    "ellipsis-none": (Ellipsis, None, 1),
    "int-array-repeats": np.array([0, 2, 2, 3, 0]),
    "list-repeats": [3, 3, 1],
    "paired-arrays": (np.array([0, 0, 3, 0]), np.array([1, 1, 2, 1])),
    "mixed": (slice(1, None), [0, 0, 2], 1),
    "bool-mask": MASK,
    "bool-axis1": (slice(None), np.array([True, False, True, True, False])),
}
for _label, _index in INDEXES.items():
    _tidx = _tindex(_index)
    CASES.append(
        pair("getitem", _label, lambda x, i=_index: x[i], lambda x, i=_tidx: x[i], (4, 5, 3))
    )
CASES.append(
    pair(
        "getitem",
        "negative-step",
        lambda x: x[::-1, 3:0:-2],
        lambda x: x.flip(0)[:, 1:4].flip(1)[:, ::2],
        (4, 5, 3),
    )
)
for _label, _index in [
    ("repeats", np.array([0, 2, 2, 0])),
    ("paired", (np.array([0, 0, 3]), np.array([1, 1, 2]))),
    ("mask", MASK),
]:
    _shape = np.zeros((4, 5, 3))[_index].shape
    _tidx = _tindex(_index if isinstance(_index, tuple) else (_index,))
    CASES.append(
        pair(
            "scatter_add",
            _label,
            lambda g, i=_index: ScatterAdd.apply(g, index=i, shape=(4, 5, 3)),
            lambda g, i=_tidx: torch.zeros((4, 5, 3), dtype=g.dtype).index_put(
                i, g, accumulate=True
            ),
            _shape,
        )
    )


def _setitem(index):
    def fn(x, v):
        y = x * 1.0
        y[index] = v
        return y

    return fn


for _label, _index, _vshape in [
    ("slice", slice(1, 3), (2, 5)),
    ("broadcast", (slice(None), 2), ()),
    ("int-array", np.array([3, 0]), (5,)),
    ("mask", MASK, (int(MASK.sum()),)),
]:
    CASES.append(
        pair("setitem", _label, _setitem(_index), _setitem(_tindex(_index)), (4, 5), _vshape)
    )


def test_every_primitive_has_an_oracle():
    covered = {p.values[0].op for p in CASES}
    assert not sorted(set(REGISTRY) - covered), sorted(set(REGISTRY) - covered)


def _compare(ours, theirs, *inputs, upstream_seed=5):
    """Forward values and dtypes, then the gradient of every input, against PyTorch."""
    xs = [Tensor(np.array(x.data), requires_grad=x.requires_grad) for x in inputs]
    txs = [to_torch(x) for x in xs]
    out, t_out = ours(*xs), theirs(*txs)
    assert out.shape == tuple(t_out.shape)
    assert out.dtype == np.dtype(str(t_out.dtype).removeprefix("torch."))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=RTOL, atol=ATOL)
    g = np.random.default_rng(upstream_seed).standard_normal(out.shape).astype(out.dtype)
    out.backward(g)
    t_out.backward(torch.from_numpy(g))
    for i, (x, tx) in enumerate(zip(xs, txs)):
        if not x.requires_grad:
            continue
        assert x.grad is not None and tx.grad is not None, f"input {i}"
        assert x.grad.dtype == x.dtype, f"input {i}: grad dtype {x.grad.dtype} vs {x.dtype}"
        np.testing.assert_allclose(
            x.grad.data, tx.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=f"input {i}"
        )
    return xs, out


@pytest.mark.parametrize("c", CASES)
def test_against_torch(c):
    inputs = rand_tensors(*c.shapes, seed=0, positive=c.positive)
    _compare(c.ours, c.theirs or c.ours, *inputs)


# ---------------------------------------------------------------------------------------------
# dtypes


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x * 2.0,
        lambda x: 2.0 * x,
        lambda x: x + 1,
        lambda x: 1.5 - x,
        lambda x: x / 3.0,
        lambda x: 3.0 / x,
        lambda x: x**2,
        lambda x: x**0.5,
        lambda x: 2.0**x,
        lambda x: -x,
        lambda x: x.exp().mean(),
        lambda x: x.sigmoid().sum(),
    ],
    ids=[
        "mul",
        "rmul",
        "add-int",
        "rsub",
        "div",
        "rdiv",
        "pow-int",
        "pow-float",
        "rpow",
        "neg",
        "exp-mean",
        "sigmoid-sum",
    ],  # fmt: skip
)
def test_float32_with_python_scalars_stays_float32(fn):
    data = np.random.default_rng(0).uniform(0.5, 2.0, (3, 4)).astype(np.float32)
    x = Tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    out, t_out = fn(x), fn(tx)
    assert out.dtype == np.float32 and t_out.dtype == torch.float32
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-6)
    out.sum().backward()
    t_out.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "maximum", "where"])
def test_float32_with_float64_tensor_promotes(op):
    fns = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "pow": lambda a, b: a**b,
    }
    rng = np.random.default_rng(1)
    a32 = rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32)
    b64 = rng.uniform(0.5, 2.0, (4,))
    if op == "maximum":
        ours, theirs = autograd.maximum, torch.maximum
    elif op == "where":
        cond = np.array([True, False, False, True])
        ours = lambda a, b: autograd.where(cond, a, b)  # noqa: E731
        theirs = lambda a, b: torch.where(torch.from_numpy(cond), a, b)  # noqa: E731
    else:
        ours = theirs = fns[op]
    a, b = Tensor(a32, requires_grad=True), Tensor(b64, requires_grad=True)
    ta, tb = to_torch(a), to_torch(b)
    out, t_out = ours(a, b), theirs(ta, tb)
    assert out.dtype == np.float64 and t_out.dtype == torch.float64
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=RTOL, atol=ATOL)
    out.sum().backward()
    t_out.sum().backward()
    assert a.grad.dtype == np.float32 and ta.grad.dtype == torch.float32
    assert b.grad.dtype == np.float64 and tb.grad.dtype == torch.float64
    np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.grad.data, tb.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_python_floats_become_float32_like_torch_default():
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor(2.5).dtype == np.float32
    assert torch.tensor([1.0, 2.0]).dtype == torch.float32
    assert Tensor(np.array([1.0])).dtype == np.float64


# ---------------------------------------------------------------------------------------------
# ties and kinks: the same convention as PyTorch

TIED = np.array(
    [
        [[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [5.0, -1.0, 5.0, 5.0]],
        [[0.0, 0.0, -4.0, -4.0], [7.0, 1.0, 7.0, 0.5], [3.0, 3.0, 3.0, -2.0]],
    ]
)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (1, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("kind", ["max", "min"])
def test_max_min_ties_split_evenly_like_amax_amin(kind, axis, keepdims):
    ours = lambda x: getattr(x, kind)(axis=axis, keepdims=keepdims)  # noqa: E731
    theirs = lambda x: getattr(x, "a" + kind)(dim=_tdim(axis, 3), keepdim=keepdims)  # noqa: E731
    _compare(ours, theirs, Tensor(TIED, requires_grad=True))


@pytest.mark.parametrize("kind", ["max", "min"])
def test_full_max_min_split_like_torch_max_without_dim(kind):
    x = Tensor(np.array([[1.0, 7.0, -3.0], [7.0, -3.0, 7.0]]), requires_grad=True)
    _compare(lambda t: getattr(t, kind)(), lambda t: getattr(torch, kind)(t), x)


@pytest.mark.parametrize("ours, theirs", [(autograd.maximum, torch.maximum),
                                          (autograd.minimum, torch.minimum)])  # fmt: skip
def test_maximum_minimum_ties_like_torch(ours, theirs):
    a = Tensor(np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 2.0]]), requires_grad=True)
    b = Tensor(np.array([1.0, 0.0, 3.0]), requires_grad=True)
    _compare(ours, theirs, a, b)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # d sqrt(0) = inf
def test_kinks_match_torch():
    x = Tensor(np.array([-1.0, -0.5, 0.0, 0.5, 1.0]), requires_grad=True)
    _compare(lambda t: t.relu(), lambda t: t.relu(), x)
    _compare(lambda t: t.abs(), lambda t: t.abs(), x)
    _compare(lambda t: t.clip(-0.5, 0.5), lambda t: t.clamp(-0.5, 0.5), x)
    _compare(lambda t: t.clip(lo=0.0), lambda t: t.clamp(min=0.0), x)
    _compare(lambda t: t.sqrt(), lambda t: t.sqrt(), Tensor(np.array([0.0, 4.0]), True))


# ---------------------------------------------------------------------------------------------
# logsumexp stability


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_logsumexp_is_stable_for_large_inputs(axis):
    rng = np.random.default_rng(3)
    data = 1e4 + rng.standard_normal((3, 4))
    data[1] -= 2e4  # a row around -1e4 too
    x = Tensor(data, requires_grad=True)
    dims = _tdim(axis, 2)
    (x,), out = _compare(lambda t: t.logsumexp(axis=axis), lambda t: t.logsumexp(dim=dims), x)
    assert np.isfinite(out.data).all()
    assert np.isfinite(x.grad.data).all()


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # log(0) = -inf
def test_logsumexp_of_a_minus_inf_row_is_minus_inf():
    data = np.array([[-np.inf, -np.inf], [0.0, 1.0]])
    out = Tensor(data).logsumexp(axis=1)
    expected = torch.from_numpy(data).logsumexp(dim=1).numpy()
    np.testing.assert_array_equal(out.data, expected)
