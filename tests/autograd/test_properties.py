"""Hypothesis properties of broadcasting (unbroadcast), shape round trips and scatter counts.

Expected gradients are computed independently of the engine's summing logic: every result
element is mapped back to the input element it came from (a broadcast index map), and
``np.bincount`` adds up the contributions.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import autograd
from autograd import Tensor

SETTINGS = settings(max_examples=50, deadline=None)

pair_shapes = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4)


def _scatter_to(shape, out_shape, weights):
    """Sum ``weights`` (of out_shape) onto the input element each result element came from."""
    size = int(np.prod(shape))
    source = np.broadcast_to(np.arange(size).reshape(shape), out_shape).ravel()
    flat = np.broadcast_to(weights, out_shape).ravel()
    return np.bincount(source, weights=flat, minlength=size).reshape(shape)


def _values(shape, seed, positive=False):
    rng = np.random.default_rng(seed)
    data = rng.uniform(0.5, 2.0, shape) if positive else rng.standard_normal(shape)
    return np.asarray(data, dtype=np.float64)


# op -> (fn, d out / d a, d out / d b) as NumPy expressions of the arrays
OPS = {
    "add": (lambda a, b: a + b, lambda a, b: np.ones_like(a + b), lambda a, b: np.ones_like(a + b)),
    "sub": (
        lambda a, b: a - b,
        lambda a, b: np.ones_like(a - b),
        lambda a, b: -np.ones_like(a - b),
    ),
    "mul": (lambda a, b: a * b, lambda a, b: b + 0 * a, lambda a, b: a + 0 * b),
    "div": (lambda a, b: a / b, lambda a, b: 1 / b + 0 * a, lambda a, b: -a / b**2),
    "maximum": (autograd.maximum, lambda a, b: (a > b) * 1.0, lambda a, b: (b > a) * 1.0),
}


@pytest.mark.parametrize("op", sorted(OPS))
@SETTINGS
@given(shapes=pair_shapes, seed=st.integers(0, 2**16))
def test_broadcast_gradient_has_input_shape_and_sums_the_partials(op, shapes, seed):
    a_shape, b_shape = shapes.input_shapes
    out_shape = shapes.result_shape
    fn, da, db = OPS[op]
    a_data, b_data = _values(a_shape, seed), _values(b_shape, seed + 1, positive=op == "div")
    a, b = Tensor(a_data, requires_grad=True), Tensor(b_data, requires_grad=True)
    out = fn(a, b)
    assert out.shape == out_shape
    out.sum().backward()
    assert a.grad.shape == a_shape and b.grad.shape == b_shape
    assert a.grad.dtype == np.float64 and b.grad.dtype == np.float64
    np.testing.assert_allclose(
        a.grad.data, _scatter_to(a_shape, out_shape, da(a_data, b_data)), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        b.grad.data, _scatter_to(b_shape, out_shape, db(a_data, b_data)), rtol=1e-12, atol=1e-12
    )


@SETTINGS
@given(shapes=pair_shapes, seed=st.integers(0, 2**16))
def test_broadcast_to_gradient_counts_copies(shapes, seed):
    shape, _ = shapes.input_shapes
    out_shape = shapes.result_shape
    x = Tensor(_values(shape, seed), requires_grad=True)
    w = _values(out_shape, seed + 1)
    (x.broadcast_to(out_shape) * w).sum().backward()
    assert x.grad.shape == shape
    np.testing.assert_allclose(
        x.grad.data, _scatter_to(shape, out_shape, w), rtol=1e-12, atol=1e-12
    )


@SETTINGS
@given(shapes=pair_shapes, seed=st.integers(0, 2**16))
def test_upstream_gradient_dtype_follows_each_input(shapes, seed):
    # float32 and float64 operands: the result promotes, each grad keeps its input's dtype
    a_shape, b_shape = shapes.input_shapes
    a = Tensor(_values(a_shape, seed).astype(np.float32), requires_grad=True)
    b = Tensor(_values(b_shape, seed + 1), requires_grad=True)
    out = a * b
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and a.grad.shape == a_shape
    assert b.grad.dtype == np.float64 and b.grad.shape == b_shape


@st.composite
def _permuted(draw):
    shape = draw(array_shapes(min_dims=0, max_dims=5, min_side=1, max_side=4))
    perm = draw(st.permutations(range(len(shape))))
    return shape, tuple(perm)


@SETTINGS
@given(case=_permuted(), seed=st.integers(0, 2**16))
def test_transpose_round_trips_and_its_gradient_is_the_inverse(case, seed):
    shape, perm = case
    inverse = tuple(np.argsort(perm).tolist())
    data = _values(shape, seed)
    x = Tensor(data, requires_grad=True)
    y = x.transpose(perm)
    np.testing.assert_array_equal(y.data, np.transpose(data, perm))
    np.testing.assert_array_equal(y.transpose(inverse).data, data)
    w = _values(y.shape, seed + 1)
    (y * w).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.transpose(w, inverse))


@st.composite
def _reshaped(draw):
    shape = draw(array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    # another factorization of the same size: permute the sides, then merge some neighbours
    sides = list(draw(st.permutations(shape)))
    merged = []
    for side in sides:
        if merged and draw(st.booleans()):
            merged[-1] *= side
        else:
            merged.append(side)
    if merged and draw(st.booleans()):
        merged[draw(st.integers(0, len(merged) - 1))] = -1
    return shape, tuple(merged)


@SETTINGS
@given(case=_reshaped(), seed=st.integers(0, 2**16))
def test_reshape_round_trips_and_its_gradient_is_reshaped_back(case, seed):
    shape, new_shape = case
    data = _values(shape, seed)
    x = Tensor(data, requires_grad=True)
    y = x.reshape(new_shape)
    np.testing.assert_array_equal(y.data, data.reshape(new_shape))
    np.testing.assert_array_equal(y.reshape(shape).data, data)
    w = _values(y.shape, seed + 1)
    (y * w).sum().backward()
    assert x.grad.shape == shape
    np.testing.assert_array_equal(x.grad.data, w.reshape(shape))


@st.composite
def _indices(draw):
    n = draw(st.integers(1, 6))
    idx = draw(st.lists(st.integers(-n, n - 1), min_size=0, max_size=12))
    return n, idx


@SETTINGS
@given(case=_indices())
def test_gradient_of_sum_of_getitem_counts_uses(case):
    n, idx = case
    x = Tensor(np.zeros(n), requires_grad=True)
    y = x[np.asarray(idx, dtype=np.int64)]
    assert y.shape == (len(idx),)
    y.sum().backward()
    expected = np.bincount(np.asarray(idx, dtype=np.int64) % n, minlength=n)
    np.testing.assert_array_equal(x.grad.data, expected)


@SETTINGS
@given(
    n=st.integers(1, 5),
    m=st.integers(1, 5),
    data=st.data(),
)
def test_gradient_of_paired_index_arrays_counts_uses(n, m, data):
    k = data.draw(st.integers(1, 10))
    rows = np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=k, max_size=k)))
    cols = np.array(data.draw(st.lists(st.integers(-m, m - 1), min_size=k, max_size=k)))
    x = Tensor(np.zeros((n, m)), requires_grad=True)
    x[rows, cols].sum().backward()
    expected = np.zeros((n, m))
    np.add.at(expected, (rows, cols), 1.0)
    np.testing.assert_array_equal(x.grad.data, expected)


@SETTINGS
@given(n=st.integers(1, 8), data=st.data())
def test_gradient_of_a_slice_marks_the_selected_elements(n, data):
    index = data.draw(st.slices(n))
    x = Tensor(np.zeros(n), requires_grad=True)
    y = x[index]
    y.sum().backward()
    expected = np.zeros(n)
    expected[index] = 1.0
    np.testing.assert_array_equal(x.grad.data, expected)


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data())
def test_gradient_of_a_boolean_mask_is_the_mask(shape, data):
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=int(np.prod(shape)),
                                       max_size=int(np.prod(shape))))).reshape(shape)  # fmt: skip
    x = Tensor(np.zeros(shape), requires_grad=True)
    x[mask].sum().backward()
    np.testing.assert_array_equal(x.grad.data, mask.astype(np.float64))
