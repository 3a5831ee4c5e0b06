"""The engine: Tensor, backward, grad modes, version counters, anomaly mode, Function, gradcheck.

The primitives themselves are gradchecked in ``test_ops.py``; this module tests the machinery
around them: the dtype policy, graph bookkeeping (accumulation, retain_graph, freeing saved
buffers), ``autograd.grad``, in-place safety, the extension API, the gradient checker, the error
messages, and graphs far deeper than Python's recursion limit.
"""

from __future__ import annotations

import gc
import math
import operator
import re
import subprocess
import sys
import textwrap
import time
import weakref
from pathlib import Path

import numpy as np
import pytest

import autograd
from autograd import Function, GradcheckError, Tensor, enable_grad, no_grad
from autograd.function import edge_target
from tests.helpers import rand_tensors, torch_or_skip

ROOT = Path(__file__).resolve().parents[2]


def _leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


# ---------------------------------------------------------------------------------------------
# dtype policy


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_ndarray_keeps_its_dtype(dtype):
    t = Tensor(np.ones(3, dtype=dtype))
    assert t.dtype == dtype
    assert Tensor(np.ones(3, dtype=dtype), requires_grad=True).requires_grad


@pytest.mark.parametrize("data", [1.5, [1.0, 2.0], [[1, 2.5], [3, 4]], (0.5,)])
def test_python_floats_become_float32(data):
    assert Tensor(data).dtype == np.float32


@pytest.mark.parametrize(
    "data, kind",
    [(3, "i"), ([1, 2], "i"), (np.array([1, 2], dtype=np.int32), "i"), (True, "b"), ([True], "b")],
)
def test_ints_and_bools_keep_an_integer_dtype(data, kind):
    t = Tensor(data)
    assert t.dtype.kind == kind
    if isinstance(data, np.ndarray):
        assert t.dtype == data.dtype


@pytest.mark.parametrize("data", [3, [1, 2], np.arange(3), True, np.array([True, False])])
def test_requires_grad_on_an_integer_or_bool_tensor_raises(data):
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        Tensor(data, requires_grad=True)
    with pytest.raises(TypeError, match="requires_grad"):
        Tensor(data).requires_grad_()
    with pytest.raises(TypeError, match="requires_grad"):
        autograd.tensor(data, requires_grad=True)


def test_dtype_argument_overrides_the_policy():
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert Tensor([1, 2], dtype=np.float32, requires_grad=True).requires_grad
    assert Tensor(np.ones(2), dtype=np.float32).dtype == np.float32
    assert Tensor([1.7, 2.2], dtype=np.int64).dtype == np.int64
    assert autograd.tensor([1.0], dtype=np.float64).dtype == np.float64


def test_python_scalars_keep_the_tensor_dtype_and_tensors_promote():
    x = Tensor([1.0, 2.0])
    for out in (x * 2.0, x + 1, 2.0 / x, x**2, 3 - x, x / 2, -x, abs(x)):
        assert out.dtype == np.float32
    assert (x + Tensor(np.ones(2))).dtype == np.float64
    assert (Tensor([1, 2]) + Tensor([1, 2], dtype=np.int32)).dtype == np.int64


def test_gradient_comes_back_in_the_leaf_dtype_under_promotion():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    w = Tensor(np.full(3, 2.0), requires_grad=True)  # float64
    (x * w).sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0, 2.0])


# ---------------------------------------------------------------------------------------------
# attributes and methods


def test_shape_attributes():
    t = Tensor(np.zeros((2, 3, 4)))
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.size == 24 and len(t) == 2
    assert t.T.shape == (4, 3, 2)
    m = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(m.T.data, m.data.T)


def test_data_numpy_item():
    a = np.array([[2.5]])
    t = Tensor(a)
    assert t.numpy() is t.data and t.data is a  # wraps, never copies a float ndarray
    assert t.item() == 2.5 and isinstance(t.item(), float)
    assert float(Tensor(np.float64(1.5))) == 1.5 and int(Tensor(7)) == 7
    with pytest.raises(ValueError, match=r"item: only one-element tensors.*\(2,\)"):
        Tensor([1.0, 2.0]).item()
    t.data = np.zeros(4)  # assigning replaces the array
    assert t.shape == (4,)


def test_detach_shares_data_and_leaves_the_graph():
    x = _leaf([1.0, 2.0])
    y = x * 3
    d = y.detach()
    assert d.data is y.data
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None


def test_astype():
    x = Tensor(np.array([1.5, -2.0], dtype=np.float32), requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and y.grad_fn.name == "astype"
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_astype_to_int_gives_a_leaf_that_does_not_hold_the_graph():
    x = _leaf([1.5, 2.5])
    i = x.astype(np.int64)
    assert i.dtype == np.int64 and not i.requires_grad
    assert i.is_leaf and i.grad_fn is None  # as PyTorch: an int result is not part of the graph


def test_requires_grad_flag():
    t = Tensor([1.0, 2.0])
    assert not t.requires_grad
    assert t.requires_grad_() is t and t.requires_grad
    assert t.requires_grad_(False) is t and not t.requires_grad
    y = _leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.requires_grad_(False)


def test_is_leaf_and_grad_fn_names():
    x = _leaf(np.ones((2, 3)))
    c = Tensor(np.ones((2, 3)))
    assert x.is_leaf and x.grad_fn is None
    assert (c * 2).is_leaf  # nothing requires grad: nothing recorded
    cases = {
        "add": x + 1,
        "sub": x - c,
        "mul": x * c,
        "div": x / 2,
        "neg": -x,
        "matmul": x @ c.T,
        "sum": x.sum(),
        "mean": x.mean(axis=0),
        "exp": x.exp(),
        "getitem": x[0],
        "reshape": x.reshape(3, 2),
        "transpose": x.T,
        "abs": abs(x),
    }
    for name, out in cases.items():
        assert not out.is_leaf and out.requires_grad
        assert out.grad_fn.name == name


def test_repr():
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    assert repr(Tensor([1.0], requires_grad=True)) == "Tensor([1.], requires_grad=True)"
    assert repr(Tensor([1, 2])) == "Tensor([1, 2])"
    assert "dtype=float64" in repr(Tensor(np.ones(2)))
    assert repr(Tensor([2.0], requires_grad=True) * 2) == "Tensor([4.], grad_fn=<mul>)"


def test_bool_and_len_of_ambiguous_tensors_raise():
    assert bool(Tensor([1.0])) and not bool(Tensor(0.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))


# ---------------------------------------------------------------------------------------------
# operators


def test_reflected_operators_with_python_scalars():
    x = _leaf([1.0, 2.0, 4.0])
    outs = {
        "radd": (2 + x, 2 + x.data, np.ones(3)),
        "rsub": (2 - x, 2 - x.data, -np.ones(3)),
        "rmul": (3 * x, 3 * x.data, np.full(3, 3.0)),
        "rdiv": (2 / x, 2 / x.data, -2 / x.data**2),
        "rpow": (2**x, 2**x.data, 2**x.data * np.log(2)),
    }
    for name, (out, value, grad) in outs.items():
        assert isinstance(out, Tensor), name
        np.testing.assert_allclose(out.data, value, err_msg=name)
        (g,) = autograd.grad(out.sum(), x)
        np.testing.assert_allclose(g.data, grad, rtol=1e-12, err_msg=name)


def test_reflected_operators_with_ndarrays_on_the_left():
    x = _leaf([1.0, 2.0, 4.0])
    a = np.array([3.0, 5.0, 7.0])
    for out, value in [
        (a + x, a + x.data),
        (a - x, a - x.data),
        (a * x, a * x.data),
        (a / x, a / x.data),
        (a**x, a**x.data),
    ]:
        assert isinstance(out, Tensor) and out.requires_grad
        np.testing.assert_allclose(out.data, value)
    out = np.ones(3) + x
    assert isinstance(out, Tensor) and out.grad_fn.name == "add"
    m = np.arange(6.0).reshape(2, 3)
    out = m @ x
    assert isinstance(out, Tensor) and out.shape == (2,)
    (g,) = autograd.grad(out.sum(), x)
    np.testing.assert_allclose(g.data, m.sum(axis=0))
    scalar = np.float32(2.0) * Tensor([1.0, 2.0])
    assert isinstance(scalar, Tensor)


@pytest.mark.parametrize(
    "op, ref",
    [
        (lambda a, b: a < b, np.less),
        (lambda a, b: a <= b, np.less_equal),
        (lambda a, b: a > b, np.greater),
        (lambda a, b: a >= b, np.greater_equal),
        (lambda a, b: a == b, np.equal),
        (lambda a, b: a != b, np.not_equal),
    ],
)
def test_comparisons_give_bool_tensors_that_never_require_grad(op, ref):
    x = _leaf([1.0, 2.0, 3.0])
    y = _leaf([3.0, 2.0, 1.0])
    for other, other_data in [(y, y.data), (2.0, 2.0), (np.array([2.0, 2.0, 2.0]), 2.0)]:
        out = op(x, other)
        assert isinstance(out, Tensor) and out.dtype == np.bool_
        assert not out.requires_grad and out.grad_fn is None
        np.testing.assert_array_equal(out.data, ref(x.data, other_data))
    for left_operand in (2.0, np.full(3, 2.0)):  # reflected: 2.0 < x is x > 2.0
        left = op(left_operand, x)
        assert isinstance(left, Tensor) and left.dtype == np.bool_ and not left.requires_grad
        np.testing.assert_array_equal(left.data, ref(left_operand, x.data))


def test_tensors_hash_by_identity():
    a, b = Tensor([1.0]), Tensor([1.0])
    assert len({a: 1, b: 2}) == 2


def test_abs_function_and_method():
    x = _leaf([-2.0, 3.0])
    np.testing.assert_array_equal(abs(x).data, [2.0, 3.0])
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-1.0, 1.0])


# ---------------------------------------------------------------------------------------------
# creation


@pytest.mark.parametrize(
    "make",
    [
        lambda **k: autograd.zeros(2, 3, **k),
        lambda **k: autograd.zeros((2, 3), **k),
        lambda **k: autograd.ones(2, 3, **k),
        lambda **k: autograd.full((2, 3), 0.5, **k),
        lambda **k: autograd.eye(3, **k),
        lambda **k: autograd.randn(2, 3, **k),
        lambda **k: autograd.rand(2, 3, **k),
        lambda **k: autograd.tensor([1.0, 2.0], **k),
    ],
)
def test_creation_functions_default_to_float32(make):
    assert make().dtype == np.float32
    assert make(dtype=np.float64).dtype == np.float64
    t = make(requires_grad=True)
    assert t.requires_grad and t.is_leaf


def test_arange_dtypes():
    assert autograd.arange(5).dtype == np.int64
    assert autograd.arange(1, 7, 2).dtype == np.int64
    np.testing.assert_array_equal(autograd.arange(1, 7, 2).data, [1, 3, 5])
    assert autograd.arange(5.0).dtype == np.float32
    assert autograd.arange(0, 1, 0.25).dtype == np.float32
    np.testing.assert_array_equal(autograd.arange(0, 1, 0.25).data, [0, 0.25, 0.5, 0.75])
    assert autograd.arange(3, dtype=np.float64).dtype == np.float64
    assert autograd.arange(3.0, requires_grad=True).requires_grad


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float16, np.float64, np.bool_])
def test_like_functions_keep_the_dtype(dtype):
    t = Tensor(np.ones((2, 3), dtype=dtype))
    z, o = autograd.zeros_like(t), autograd.ones_like(t)
    assert z.dtype == dtype and o.dtype == dtype and z.shape == (2, 3)
    assert not z.data.any() and o.data.all()
    assert autograd.zeros_like(t, dtype=np.float32).dtype == np.float32


def test_tensor_copies_its_data():
    a = np.ones(3)
    t = autograd.tensor(a)
    a[0] = 5.0
    assert t.data[0] == 1.0


def test_manual_seed_makes_random_draws_reproducible():
    autograd.manual_seed(123)
    a, b = autograd.randn(4, 5), autograd.rand(3)
    autograd.manual_seed(123)
    c, d = autograd.randn(4, 5), autograd.rand(3)
    np.testing.assert_array_equal(a.data, c.data)
    np.testing.assert_array_equal(b.data, d.data)
    autograd.manual_seed(124)
    assert not np.array_equal(autograd.randn(4, 5).data, a.data)
    u = autograd.rand(1000).data
    assert u.min() >= 0 and u.max() < 1


# ---------------------------------------------------------------------------------------------
# gradient accumulation, retain_graph, freeing


def test_a_tensor_used_twice_in_one_op_gets_both_contributions():
    x = _leaf([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, 2 * x.data)


def test_a_tensor_used_in_two_branches_sums_them():
    x = _leaf([0.5, -1.0])
    (x.exp() + x.tanh() * 2.0 + x).sum().backward()
    expected = np.exp(x.data) + 2 * (1 - np.tanh(x.data) ** 2) + 1
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-14)


def test_diamond_graph_runs_each_node_once():
    x = _leaf([2.0])
    h = x * 3.0  # one node feeding three consumers
    y = h * h + h.exp() + h
    y.backward()
    np.testing.assert_allclose(x.grad.data, 3 * (2 * 6.0 + np.exp(6.0) + 1), rtol=1e-14)


def test_two_backward_calls_accumulate_into_grad_out_of_place():
    x = _leaf([1.0, 2.0])
    (x * 3.0).sum().backward()
    first = x.grad
    first_values = first.data.copy()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, 3.0 + 2 * x.data)
    np.testing.assert_array_equal(first.data, first_values)  # the earlier grad is untouched


def test_leaves_never_share_a_grad_array():
    a, b = _leaf([1.0, 2.0]), _leaf([3.0, 4.0])
    (a + b).sum().backward()  # add hands the same gradient to both inputs
    assert a.grad.data is not b.grad.data
    a.grad.data[0] = 100.0
    assert b.grad.data[0] == 1.0


def test_backward_with_an_explicit_gradient():
    x = _leaf([1.0, 2.0, 3.0])
    (x * 2).backward(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad.data, [2.0, 0.0, -2.0])
    x.grad = None
    (x * 2).backward(Tensor(np.array([1.0, 1.0, 1.0])))
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0, 2.0])


def test_second_backward_without_retain_graph_raises():
    x = _leaf([1.0, 2.0])
    loss = (x.exp() * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"already been freed.*retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward_that_doubles_grad():
    x = _leaf([1.0, 2.0])
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    once = x.grad.data.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.data, 2 * once, rtol=1e-15)
    np.testing.assert_allclose(once, np.exp(x.data) * (x.data + 1), rtol=1e-14)


def test_saved_buffers_are_released_after_backward():
    gc.disable()  # freed by reference counting alone: the graph must hold no cycles
    try:
        x = _leaf(np.linspace(-1, 1, 5))
        h = x.exp()
        node = h.grad_fn
        saved = weakref.ref(h.data)  # exp saves its output
        loss = (h * 3.0).sum()
        del h
        assert saved() is not None  # still needed for backward
        assert node._saved is not None
        loss.backward()
        assert node._saved is None
        assert saved() is None
        np.testing.assert_allclose(x.grad.data, 3 * np.exp(x.data))
    finally:
        gc.enable()


def test_retain_graph_keeps_saved_buffers():
    x = _leaf([1.0, 2.0])
    h = x.exp()
    node, saved = h.grad_fn, weakref.ref(h.data)
    loss = h.sum()
    del h
    loss.backward(retain_graph=True)
    assert node._saved is not None and saved() is not None


class _KeepsBigArray(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.big = np.ones(1000)  # an arbitrary ctx attribute: backward's data, freed with it
        ctx.save_for_backward(x)
        return x * 2

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 2


def test_ctx_attributes_are_released_after_backward():
    x = _leaf([1.0])
    y = _KeepsBigArray.apply(x)
    node, big = y.grad_fn, weakref.ref(y.grad_fn.big)
    y.backward()
    assert big() is None and not hasattr(node, "big") and node._saved is None
    assert node.name == "_keepsbigarray"


def test_the_graph_is_freed_when_the_root_dies():
    gc.disable()
    try:
        x = _leaf(np.ones(4))
        y = (x.tanh() * 2.0).exp().sum()
        nodes = [weakref.ref(y.grad_fn)]
        node = y.grad_fn
        while edge_target(node._edges[0]) is not None:
            node = edge_target(node._edges[0])[0]
            nodes.append(weakref.ref(node))
        del node
        assert len(nodes) == 4 and all(r() is not None for r in nodes)
        del y
        assert all(r() is None for r in nodes)
    finally:
        gc.enable()


def test_backward_on_a_leaf_root():
    x = _leaf([3.0])
    x.backward()
    np.testing.assert_array_equal(x.grad.data, [1.0])


# ---------------------------------------------------------------------------------------------
# grad modes


def test_no_grad_context_records_nothing():
    x = _leaf([1.0, 2.0])
    assert autograd.is_grad_enabled()
    with no_grad():
        assert not autograd.is_grad_enabled()
        y = x * 2
    assert autograd.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf


def test_enable_grad_inside_no_grad_and_nesting():
    x = _leaf([1.0])
    with no_grad():
        with enable_grad():
            assert autograd.is_grad_enabled()
            assert (x * 2).requires_grad
            with no_grad():
                assert not (x * 2).requires_grad
            assert autograd.is_grad_enabled()
        assert not autograd.is_grad_enabled()
        with no_grad():
            assert not autograd.is_grad_enabled()
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(KeyError):
        with no_grad():
            raise KeyError("boom")
    assert autograd.is_grad_enabled()


def test_no_grad_and_enable_grad_as_decorators():
    x = _leaf([1.0])

    @no_grad()
    def frozen(t):
        """Doc."""
        return t * 2, autograd.is_grad_enabled()

    @no_grad
    def frozen_bare(t):  # PyTorch also accepts the bare form
        return t * 2

    @enable_grad()
    def recording(t):
        return t * 2

    out, enabled = frozen(x)
    assert not out.requires_grad and not enabled
    assert frozen.__name__ == "frozen" and frozen.__doc__ == "Doc."
    assert not frozen_bare(x).requires_grad and frozen_bare.__name__ == "frozen_bare"
    with no_grad():
        assert recording(x).requires_grad
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()


def test_in_place_under_no_grad_changes_the_data():
    x = _leaf([1.0, 2.0])
    array = x.data
    with no_grad():
        x -= 0.5 * Tensor(np.array([2.0, 2.0]))
        x *= 2
    assert x.data is array  # really in place
    np.testing.assert_array_equal(x.data, [0.0, 2.0])
    assert x.is_leaf and x.requires_grad and x._version == 2


# ---------------------------------------------------------------------------------------------
# autograd.grad


def test_grad_for_leaves_does_not_touch_dot_grad():
    x, w = _leaf([1.0, 2.0]), _leaf([3.0, -1.0])
    gx, gw = autograd.grad((x * w).sum(), [x, w])
    np.testing.assert_array_equal(gx.data, w.data)
    np.testing.assert_array_equal(gw.data, x.data)
    assert x.grad is None and w.grad is None
    x.grad = Tensor(np.array([7.0, 7.0]))
    (g,) = autograd.grad((x * 2).sum(), x)
    np.testing.assert_array_equal(x.grad.data, [7.0, 7.0])
    assert isinstance(g, Tensor)


def test_grad_for_a_single_tensor_returns_a_one_tuple():
    x = _leaf([1.0])
    result = autograd.grad((x * 5).sum(), x)
    assert isinstance(result, tuple) and len(result) == 1
    assert result[0].item() == 5.0


def test_grad_for_intermediate_tensors():
    x = _leaf([1.0, 2.0, 3.0])
    h = x * 2  # intermediate
    z = (h * h).sum()
    gx, gh = autograd.grad(z, [x, h])
    np.testing.assert_array_equal(gh.data, 2 * h.data)
    np.testing.assert_array_equal(gx.data, 8 * x.data)
    assert x.grad is None and h.grad is None


def test_grad_outputs_weights_a_non_scalar_output():
    x = _leaf([1.0, 2.0, 3.0])
    v = np.array([1.0, 0.0, 2.0])
    (g,) = autograd.grad(x * x, x, grad_outputs=v)
    np.testing.assert_array_equal(g.data, 2 * x.data * v)
    (g,) = autograd.grad([x * x], [x], grad_outputs=[Tensor(v)])
    np.testing.assert_array_equal(g.data, 2 * x.data * v)


def test_grad_of_several_outputs_sums():
    x = _leaf([1.0, 2.0])
    (g,) = autograd.grad([(x * 2).sum(), (x * x).sum()], x)
    np.testing.assert_array_equal(g.data, 2 + 2 * x.data)
    y = (x * 2).sum()
    z = y * 3  # one root is an ancestor of the other: y's node waits for z's
    (g,) = autograd.grad([y, z], x)
    np.testing.assert_array_equal(g.data, [8.0, 8.0])


def test_grad_of_an_output_with_respect_to_itself_is_the_seed():
    y = _leaf([1.0, 2.0]) * 2
    v = np.array([3.0, -1.0])
    (g,) = autograd.grad(y, y, grad_outputs=v)
    np.testing.assert_array_equal(g.data, v)


def test_grad_allow_unused():
    x, unused = _leaf([1.0]), _leaf([2.0])
    with pytest.raises(RuntimeError, match=r"input 1 .* was not used.*allow_unused=True"):
        autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.item() == 2.0 and gu is None


def test_grad_of_an_input_that_does_not_require_grad_raises():
    x = _leaf([1.0])
    with pytest.raises(RuntimeError, match="input 1 is not a Tensor that requires grad"):
        autograd.grad((x * 2).sum(), [x, Tensor([1.0])])


def test_grad_create_graph_gives_higher_derivatives():
    x = _leaf([0.5, 2.0])
    (g,) = autograd.grad((x**3).sum(), x, create_graph=True)
    assert g.requires_grad
    (h,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g.data, 3 * x.data**2)
    np.testing.assert_allclose(h.data, 6 * x.data)


def test_grad_frees_the_graph_unless_retained():
    x = _leaf([1.0])
    y = (x.exp() * x).sum()
    autograd.grad(y, x, retain_graph=True)
    autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        autograd.grad(y, x)


# ---------------------------------------------------------------------------------------------
# version counters and in-place operations


def test_in_place_on_a_saved_input_raises_at_backward_naming_the_op():
    x = _leaf([1.0, 2.0])
    y = x * 2
    z = y.log()  # saves y
    y += 1  # allowed now...
    with pytest.raises(
        RuntimeError, match=r"backward: log saved its input at version 0, now 1.*y = y \+ 1"
    ):
        z.sum().backward()  # ...refused here


def test_in_place_on_a_saved_output_raises_at_backward_naming_the_op():
    x = _leaf([1.0, 2.0])
    y = x.exp()  # saves its own output
    y *= 2
    with pytest.raises(RuntimeError, match="exp saved its output at version 0, now 1"):
        y.sum().backward()


def test_in_place_on_a_saved_constant_tensor_raises():
    x = _leaf([1.0, 2.0])
    c = Tensor(np.array([3.0, 4.0]))
    y = (x * c).sum()
    c += 1  # c does not require grad: changed in place
    with pytest.raises(RuntimeError, match="mul saved its input"):
        y.backward()


def test_update_between_forward_and_backward_raises():
    w = _leaf([1.0, 2.0])
    loss = (w * w).sum()
    with no_grad():
        w -= 0.1 * Tensor(np.ones(2))  # an optimizer step too early
    with pytest.raises(RuntimeError, match=r"mul saved its input at version 0, now 1"):
        loss.backward()


def test_in_place_on_a_detached_alias_is_caught():
    x = _leaf([1.0, 2.0])
    y = x.exp()
    d = y.detach()
    d += 1  # changes y's data too (they share it)
    assert y.data[0] == pytest.approx(np.e + 1)
    with pytest.raises(RuntimeError, match="exp saved its output"):
        y.sum().backward()


def test_in_place_on_a_leaf_that_requires_grad_raises_under_grad_mode():
    x = _leaf([1.0, 2.0])
    for update in (
        lambda: x.__iadd__(1),
        lambda: x.__imul__(2),
        lambda: x.__setitem__(0, 5.0),
    ):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*no_grad"):
            update()
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    assert x._version == 0


def test_in_place_that_nothing_saved_rebinds_and_keeps_gradients_right():
    x = _leaf([1.0, 2.0])
    y = x * 2
    s = y + 0  # add saves nothing
    y += 1
    assert y.grad_fn.name == "add" and y._version == 1
    (s + y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [8.0, 8.0])


def test_in_place_on_a_non_leaf_whose_old_value_was_not_needed_is_allowed():
    # PyTorch allows these: x * 2 needs only the constant, x / 2 and x ** 2 not their output.
    x = _leaf([1.0, 2.0])
    y = x * 1.0
    z = y * 2.0
    y += 1
    q = x / 2.0
    q += 1
    p = x**2
    p += 1
    (z + q + p).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2.0 + 0.5 + 2 * x.data)


def test_setitem_records_the_assignment():
    x = _leaf([1.0, 2.0, 3.0])
    v = _leaf([7.0, 8.0])
    y = x * 1
    y[0] = 5.0
    y[np.array([1, 2])] = v
    np.testing.assert_array_equal(y.data, [5.0, 7.0, 8.0])
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(v.grad.data, 2 * v.data)


def test_setitem_with_a_tensor_into_a_constant_makes_it_part_of_the_graph():
    buf = autograd.zeros(4, dtype=np.float64)
    v = _leaf([2.0, 3.0])
    buf[1:3] = v
    assert buf.requires_grad and not buf.is_leaf
    (buf * Tensor(np.arange(4.0))).sum().backward()
    np.testing.assert_array_equal(v.grad.data, [1.0, 2.0])


def test_setitem_under_no_grad_changes_the_data_in_place():
    x = _leaf([1.0, 2.0, 3.0])
    array = x.data
    with no_grad():
        x[1] = -1.0
        x[x < 0] = 0.0
    assert x.data is array
    np.testing.assert_array_equal(x.data, [1.0, 0.0, 3.0])
    assert x._version == 2


def test_in_place_shape_change_is_refused():
    y = Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"in-place result has shape \(2, 3\)"):
        y += Tensor(np.ones((2, 3)))


# ---------------------------------------------------------------------------------------------
# detect_anomaly


def test_detect_anomaly_names_the_op_for_nan_in_forward():
    x = _leaf([-1.0, 1.0])
    with np.errstate(all="ignore"), autograd.detect_anomaly():
        with pytest.raises(FloatingPointError, match="log produced NaN in forward"):
            x.log()
        with pytest.raises(FloatingPointError, match="log produced NaN in forward"):
            Tensor([-1.0]).log()  # also when nothing is recorded
        with pytest.raises(FloatingPointError, match="exp produced Inf in forward"):
            (x * 1000.0).exp()


def test_detect_anomaly_names_the_op_for_inf_and_nan_in_backward():
    x = _leaf([0.0, 1.0])
    with np.errstate(all="ignore"), autograd.detect_anomaly():
        y = x.sqrt()  # finite forward; d sqrt at 0 is inf
        with pytest.raises(FloatingPointError, match="sqrt produced Inf in backward"):
            y.sum().backward()
        with pytest.raises(FloatingPointError, match="sqrt produced NaN in backward"):
            (x.sqrt() * 0.0).sum().backward()  # 0 / 0
    assert not autograd.grad_mode.STATE.detect_anomaly


def test_without_detect_anomaly_nan_passes_silently():
    x = _leaf([-1.0, 0.0])
    with np.errstate(all="ignore"):
        y = x.log()
        x.sqrt().sum().backward()
    assert np.isnan(y.data[0])
    assert np.isinf(x.grad.data[1])


# ---------------------------------------------------------------------------------------------
# the Function extension API


class Cube(Function):
    @staticmethod
    def forward(ctx, x, scale=1.0):
        ctx.save_for_backward(x)
        ctx.scale = scale  # arbitrary ctx attributes reach backward
        ctx.seen_needs = ctx.needs_input_grad
        return scale * x**3

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        ctx.seen_types = type(x), type(grad_out)
        return grad_out * (3 * ctx.scale) * x * x  # Tensor ops: differentiable again


class SumAndProduct(Function):
    """Two outputs: a + b and a * b."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a + b, a * b

    @staticmethod
    def backward(ctx, grad_sum, grad_prod):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad_sum + grad_prod * b if need_a else None), (
            grad_sum + grad_prod * a if need_b else None
        )


def test_user_function_forward_backward_and_ctx():
    x = _leaf([1.0, -2.0])
    y = Cube.apply(x, scale=2.0)
    assert isinstance(y, Tensor) and y.grad_fn.name == "cube" and not type(y.grad_fn).fused
    np.testing.assert_array_equal(y.data, 2 * x.data**3)
    node = y.grad_fn
    assert node.seen_needs == (True,)
    y.sum().backward(retain_graph=True)  # retained: ctx attributes are freed otherwise
    np.testing.assert_array_equal(x.grad.data, 6 * x.data**2)
    assert node.seen_types == (Tensor, Tensor)


def test_user_function_gradcheck_first_and_second_order():
    (x,) = rand_tensors((3, 2), seed=1)
    assert autograd.gradcheck(lambda t: Cube.apply(t, scale=0.5), [x])

    def first_derivative(t):
        (g,) = autograd.grad(Cube.apply(t).sum(), t, create_graph=True)
        return g

    assert autograd.gradcheck(first_derivative, [x])


def test_two_output_function():
    a, b = rand_tensors((4,), (4,), seed=2)
    s, p = SumAndProduct.apply(a, b)
    assert s.grad_fn is p.grad_fn and s.grad_fn.name == "sumandproduct"
    assert autograd.gradcheck(lambda x, y: SumAndProduct.apply(x, y), [a, b])
    # only one output used: the other's gradient is zero
    ga, gb = autograd.grad(SumAndProduct.apply(a, b)[1].sum(), [a, b])
    np.testing.assert_allclose(ga.data, b.data)
    np.testing.assert_allclose(gb.data, a.data)


def test_needs_input_grad_and_none_gradients():
    a = _leaf([1.0, 2.0])
    b = Tensor(np.array([3.0, 4.0]))  # needs no grad
    s, p = SumAndProduct.apply(a, b)
    assert s.grad_fn.needs_input_grad == (True, False)
    (s + p).sum().backward()
    np.testing.assert_array_equal(a.grad.data, 1 + b.data)
    assert b.grad is None


def test_function_with_a_non_tensor_positional_argument():
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, factor):
            ctx.factor = factor
            return x * factor

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * ctx.factor, None

    x = _leaf([1.0, 2.0])
    y = Scale.apply(x, 3.0)
    assert y.grad_fn.needs_input_grad == (True, False)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_function_returning_the_wrong_number_of_gradients_raises():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out

    with pytest.raises(RuntimeError, match="bad returned 1 gradients for 2 inputs"):
        Bad.apply(_leaf([1.0]), _leaf([2.0])).backward()


def test_function_name_and_fused_attributes():
    class MyOp(Function):
        name = "my_op"
        fused = True

        @staticmethod
        def forward(ctx, x):
            return x + 1

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out

    y = MyOp.apply(_leaf([1.0]))
    assert y.grad_fn.name == "my_op" and type(y.grad_fn).fused
    with no_grad():
        z = MyOp.apply(_leaf([1.0]))
    assert z.grad_fn is None and not z.requires_grad


class OnceSquare(Function):
    once_differentiable = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        assert type(x) is np.ndarray and type(grad_out) is np.ndarray
        return 2 * x * grad_out


def test_once_differentiable_function():
    (x,) = rand_tensors((3,), seed=3)
    assert autograd.gradcheck(OnceSquare.apply, [x])
    y = OnceSquare.apply(x).sum()
    with pytest.raises(RuntimeError, match="oncesquare is once-differentiable.*create_graph"):
        autograd.grad(y, x, create_graph=True)
    x2 = _leaf([1.0])
    with pytest.raises(RuntimeError, match="once-differentiable"):
        OnceSquare.apply(x2).backward(create_graph=True)


# ---------------------------------------------------------------------------------------------
# gradcheck and numerical_grad


class WrongSquare(Function):
    """x ** 2 with a deliberately wrong gradient (x instead of 2x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * x


def _numbers(message):
    match = re.search(r"analytic (\S+), numeric (\S+)", message)
    return float(match.group(1)), float(match.group(2))


def test_gradcheck_error_names_input_index_and_values():
    x = Tensor(np.array([0.5, -3.0, 1.0]), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(3,\)\).*index \(1,\)") as info:
        autograd.gradcheck(lambda t: WrongSquare.apply(t).sum(), [x])
    analytic, numeric = _numbers(str(info.value))
    assert analytic == pytest.approx(-3.0) and numeric == pytest.approx(-6.0, rel=1e-6)


def test_gradcheck_names_the_right_input():
    a, b = rand_tensors((2, 2), (2, 2), seed=4)
    c = Tensor(np.ones(2))  # not checked, still counted as an input
    with pytest.raises(GradcheckError, match=r"input 2 \(shape \(2, 2\)\) mismatch at index \("):
        autograd.gradcheck(lambda p, q, r: (p * q).sum() + WrongSquare.apply(r).sum(), [a, c, b])


def test_gradcheck_returns_bool_without_raising():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert autograd.gradcheck(lambda t: WrongSquare.apply(t), [x], raise_exception=False) is False
    assert autograd.gradcheck(lambda t: t * t, [x], raise_exception=False) is True


def test_gradcheck_checks_float32_inputs_in_float64_and_any_memory_layout():
    x = Tensor(np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3) / 10, requires_grad=True)
    assert autograd.gradcheck(lambda t: (t * t).tanh(), [x])
    transposed = Tensor(np.arange(1.0, 7.0).reshape(2, 3).T, requires_grad=True)
    assert autograd.gradcheck(lambda t: (t * t).sum(), [transposed])
    with pytest.raises(GradcheckError):
        autograd.gradcheck(lambda t: WrongSquare.apply(t).sum(), [transposed])


def test_gradcheck_without_inputs_that_require_grad_raises():
    with pytest.raises(ValueError, match="no input requires grad"):
        autograd.gradcheck(lambda t: t.sum(), [Tensor(np.ones(2))])


def test_gradcheck_error_is_exported():
    assert autograd.GradcheckError is GradcheckError
    assert issubclass(GradcheckError, Exception)


def test_numerical_grad_of_a_known_function():
    x = Tensor(np.array([1.0, -2.0, 0.5]))
    y = Tensor(np.array([[3.0, 1.0, 2.0]]))  # broadcast against x
    grads = autograd.numerical_grad(lambda a, b: (a * b).sum() + (a**2).sum(), [x, y])
    assert isinstance(grads, tuple) and len(grads) == 2
    assert all(isinstance(g, np.ndarray) and g.dtype == np.float64 for g in grads)
    np.testing.assert_allclose(grads[0], y.data[0] + 2 * x.data, rtol=1e-8)
    np.testing.assert_allclose(grads[1], x.data[None], rtol=1e-8)
    # the inputs are left as they were
    np.testing.assert_array_equal(x.data, [1.0, -2.0, 0.5])


def test_numerical_grad_on_a_transposed_input():
    a = np.arange(1.0, 7.0).reshape(2, 3).T
    (g,) = autograd.numerical_grad(lambda t: (t**3).sum(), [Tensor(a)])
    np.testing.assert_allclose(g, 3 * a**2, rtol=1e-7)


# ---------------------------------------------------------------------------------------------
# error messages


def test_matmul_shape_error():
    a, b = Tensor(np.zeros((32, 100))), Tensor(np.zeros((64, 10)))
    message = "matmul: shapes (32, 100) and (64, 10) are not aligned (100 != 64)"
    with pytest.raises(ValueError, match=re.escape(message)):
        a @ b


@pytest.mark.parametrize(
    "op, name",
    [
        (operator.add, "add"),
        (operator.sub, "sub"),
        (operator.mul, "mul"),
        (operator.truediv, "div"),
    ],
)
def test_broadcast_error_names_the_op_and_both_shapes(op, name):
    a, b = Tensor(np.zeros((3, 4))), Tensor(np.zeros(5))
    with pytest.raises(ValueError, match=re.escape(f"{name}: shapes (3, 4) and (5,) cannot be")):
        op(a, b)


def test_reshape_error():
    with pytest.raises(ValueError, match=re.escape("reshape: cannot reshape shape (2, 3)")):
        Tensor(np.zeros((2, 3))).reshape(4, 2)


@pytest.mark.parametrize("index", [5, (0, 7), np.array([0, 9]), -4])
def test_out_of_range_indexing(index):
    x = Tensor(np.zeros((3, 4)))
    with pytest.raises(IndexError, match=r"getitem: .*out of bounds.*tensor shape \(3, 4\)"):
        x[index]


def test_backward_on_a_non_scalar_needs_a_grad():
    y = _leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"only for one-element tensors; got shape \(2,\)"):
        y.backward()


def test_backward_grad_of_the_wrong_shape():
    y = _leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"grad has shape \(3,\) but the tensor has shape \(2"):
        y.backward(np.ones(3))
    with pytest.raises(RuntimeError, match=r"grad has shape \(1, 2\)"):
        autograd.grad(y, y, grad_outputs=np.ones((1, 2)))


def test_backward_on_a_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).backward()


@pytest.mark.parametrize("method", ["sum", "mean", "max", "min", "var", "logsumexp"])
@pytest.mark.parametrize("axis", [2, -3, (0, 2)])
def test_reductions_with_a_bad_axis(method, axis):
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=rf"{method}: axis -?\d is out of range.*\(2, 3\)"):
        getattr(x, method)(axis=axis)


@pytest.mark.parametrize("method", ["argmax", "argmin"])
def test_argmax_argmin_with_a_bad_axis(method):
    x = Tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]))
    with pytest.raises(ValueError, match=rf"{method}: axis 2 is out of range.*\(2, 3\)"):
        getattr(x, method)(axis=2)
    np.testing.assert_array_equal(x.argmax(axis=-1).data, [1, 0])
    np.testing.assert_array_equal(x.argmin(axis=0).data, [0, 1, 0])
    assert x.argmax().item() == 3 and x.argmax().dtype == np.int64


def test_reduction_with_a_repeated_axis():
    with pytest.raises(ValueError, match=r"sum: repeated axis"):
        Tensor(np.zeros((2, 3))).sum(axis=(1, -1))


def test_a_backward_returning_an_irreconcilable_shape_raises():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            return Tensor(np.ones(5))

    with pytest.raises(RuntimeError, match=r"badshape returned a gradient of shape \(5,\)"):
        BadShape.apply(_leaf([1.0, 2.0])).sum().backward()


# ---------------------------------------------------------------------------------------------
# micrograd-style scalar graphs (0-d tensors)


def _scalar(v):
    return Tensor(np.float64(v), requires_grad=True)


def _micrograd_sanity(x):
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    return h + q + q * x


def _micrograd_more_ops(a, b):
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def test_micrograd_sanity_check():
    x = _scalar(-4.0)
    y = _micrograd_sanity(x)
    y.backward()
    assert y.shape == () and x.grad.shape == ()
    assert y.item() == -20.0 and x.grad.item() == 46.0


def test_micrograd_more_ops_with_in_place_rebinding():
    a, b = _scalar(-4.0), _scalar(2.0)
    g = _micrograd_more_ops(a, b)
    g.backward()
    assert g.item() == pytest.approx(24.70408163265306, rel=1e-12)
    assert a.grad.item() == pytest.approx(138.83381924198252, rel=1e-12)
    assert b.grad.item() == pytest.approx(645.5772594752186, rel=1e-12)


def test_micrograd_graphs_match_torch():
    torch = torch_or_skip()
    x = _scalar(-4.0)
    _micrograd_sanity(x).backward()
    xt = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
    _micrograd_sanity(xt).backward()
    assert x.grad.item() == xt.grad.item()

    a, b = _scalar(-4.0), _scalar(2.0)
    _micrograd_more_ops(a, b).backward()
    at = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    _micrograd_more_ops(at, bt).backward()
    assert a.grad.item() == pytest.approx(at.grad.item(), rel=1e-12)
    assert b.grad.item() == pytest.approx(bt.grad.item(), rel=1e-12)


def test_scalar_results_are_zero_dimensional_tensors():
    x = _scalar(0.5)
    for y in (x * 2, x.exp(), x.sum(), x + x, x.tanh(), x.reshape(()), x.max()):
        assert isinstance(y, Tensor) and y.shape == () and isinstance(y.data, np.ndarray)


# ---------------------------------------------------------------------------------------------
# very deep graphs: no recursion, linear time, memory released

_STEP = 1.0000001  # the chain's multiplier: d out / d x = _STEP ** (n // 4)


def _chain(n, every=1000):
    """A float64 scalar chain of n ops cycling exp, log, * _STEP, + 1e-7 (exp/log save buffers).

    Returns the leaf, the root and weakrefs to every ``every``-th node and saved array.
    """
    x = _scalar(0.5)
    y, nodes, arrays = x, [], []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            y = y.exp()
        elif kind == 1:
            y = y.log()
        elif kind == 2:
            y = y * _STEP
        else:
            y = y + 1e-7
        if i % every == 0:  # i % 4 == 0 here: y is an exp output, saved by exp and log
            nodes.append(weakref.ref(y.grad_fn))
            arrays.append(weakref.ref(y.data))
    return x, y, nodes, arrays


def _timed_backward(n):
    x, y, _, _ = _chain(n)
    start = time.perf_counter()
    y.backward()
    return time.perf_counter() - start


def _check_deep_chain(n):
    gc.disable()  # no cycles: everything below is freed by reference counting alone
    try:
        x, y, nodes, arrays = _chain(n)
        assert all(r() is not None for r in arrays)  # held for backward
        y.backward()  # no RecursionError
        assert x.grad.item() == pytest.approx(_STEP ** (n // 4), rel=1e-8)
        assert all(r() is None for r in arrays)  # saved buffers freed by backward...
        assert all(r() is not None for r in nodes)  # ...while the root keeps the graph
        del y
        assert all(r() is None for r in nodes)  # and deleting the root frees every node
    finally:
        gc.enable()


def _check_linear_time(small, large, slack):
    gc.disable()
    try:
        t_small = min(_timed_backward(small) for _ in range(2))
        t_large = _timed_backward(large)
    finally:
        gc.enable()
    ratio = t_large / t_small
    assert ratio < (large / small) * slack, f"{small}: {t_small:.3f}s, {large}: {t_large:.3f}s"


def _delete_unrun_graph_in_subprocess(n):
    """Build an n-op graph, never run backward, delete it: a recursive dealloc would crash."""
    code = textwrap.dedent(
        f"""
        import gc
        import numpy as np
        from autograd import Tensor
        gc.disable()
        x = Tensor(np.float64(0.5), requires_grad=True)
        y = x
        for i in range({n}):
            y = y.exp() if i % 2 == 0 else y.log()
        del y
        print("deleted")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0 and "deleted" in result.stdout, result.stderr[-2000:]


def test_deep_chain_100k():
    assert sys.getrecursionlimit() < 100_000
    _check_deep_chain(100_000)


def test_deep_chain_backward_time_is_linear():
    _check_linear_time(10_000, 100_000, slack=4.0)


def test_deleting_a_deep_unrun_graph_does_not_crash():
    _delete_unrun_graph_in_subprocess(100_000)


@pytest.mark.slow
def test_million_op_chain():
    _check_deep_chain(1_000_000)
    _check_linear_time(100_000, 1_000_000, slack=3.0)
    _delete_unrun_graph_in_subprocess(1_000_000)


def test_chain_helper_counts_ops():
    x, y, nodes, _ = _chain(8, every=4)
    assert len(nodes) == 2 and math.isclose(y.item(), 0.5 * _STEP**2 + 2e-7, rel_tol=1e-12)
    assert [r().name for r in nodes] == ["exp", "exp"]


def test_views_share_the_version_counter_of_their_base():
    # linear saves weight.T: changing weight in place must invalidate it, not give wrong grads
    x = autograd.Tensor(np.ones((2, 3)), requires_grad=True)
    w = autograd.Tensor(np.ones((4, 3)), requires_grad=True)
    y = (x @ w.T).sum()
    with autograd.no_grad():
        w[...] = 5.0
    with pytest.raises(RuntimeError, match="matmul saved its input at version 0, now 1"):
        y.backward()
    # a slice and a reshape are views too; an advanced-index copy is not
    base = autograd.Tensor(np.arange(6.0))
    part, flat, picked = base[1:3], base.reshape(2, 3), base[np.array([0, 1])]
    base += 1
    assert part._version == flat._version == base._version == 1
    assert picked._version == 0


def test_max_over_non_empty_axes_of_an_empty_batch():
    x = autograd.Tensor(np.zeros((0, 3)), requires_grad=True)
    assert x.max(axis=1).shape == (0,)
    with pytest.raises(ValueError, match=r"max: cannot reduce over an empty axis \(shape"):
        x.max(axis=0)


def test_fan_out_sums_are_right_when_accumulated_in_place():
    # x feeds five consumers; their sum a feeds an add whose one gradient object reaches
    # two parents, which then get further contributions: in-place sums must not leak
    x = autograd.Tensor(np.arange(3.0), requires_grad=True)
    a = x * 1.0 + x * 2.0 + x * 3.0 + x * 4.0 + x * 5.0
    b = x * 1.0
    c = a + b  # Add's backward hands one tensor to both a and b
    loss = (c + a * 1.0 + a * 1.0 + b * 1.0 + b * 1.0).sum()
    loss.backward()
    # dloss/da = 3, dloss/db = 3; da/dx = 15, db/dx = 1
    np.testing.assert_array_equal(x.grad.data, np.full(3, 3 * 15 + 3 * 1.0))
