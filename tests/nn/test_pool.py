"""max_pool2d, avg_pool2d, adaptive_avg_pool2d: gradients, both implementations, the
PyTorch oracle, tie and NaN handling, errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import Tensor
from nn.functional.pooling import AvgPool2d, MaxPool2d, adaptive_avg_pool2d, avg_pool2d, max_pool2d
from tests.helpers import rand_tensors, to_torch, torch_or_skip

POOLS = {"max": max_pool2d, "avg": avg_pool2d}

# name -> (x shape, kernel_size, stride, padding)
CASES = {
    "2x2_tiles": ((2, 3, 8, 6), 2, None, 0),  # the reshape fast path
    "rect_tiles": ((2, 2, 6, 9), (2, 3), None, 0),  # fast path, non-square
    "2x2_odd_size": ((2, 3, 7, 9), 2, None, 0),  # stride == kernel but not divisible
    "3x3_s2_p1": ((2, 3, 7, 9), 3, 2, 1),
    "pairs": ((2, 3, 7, 9), (3, 2), (2, 1), (1, 0)),
    "overlap_s1_p1": ((1, 2, 5, 6), 3, 1, 1),
    "1x1": ((2, 2, 5, 5), 1, None, 0),
    "stride_past_kernel": ((2, 2, 9, 8), 2, 3, 1),
    "window_of_272": ((1, 2, 17, 16), (17, 16), None, 0),  # indices past uint8
}


def _run(pool, case, impl, seed=0, grad_out=None):
    x_shape, kernel, stride, padding = CASES[case]
    (x,) = rand_tensors(x_shape, seed=seed)
    out = POOLS[pool](x, kernel, stride, padding, impl=impl)
    if grad_out is None:
        grad_out = np.random.default_rng(seed + 1).standard_normal(out.shape)
    out.backward(grad_out)
    return x, out, grad_out


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("pool", list(POOLS))
def test_gradcheck(pool, case, impl):
    x_shape, kernel, stride, padding = CASES[case]
    (x,) = rand_tensors(x_shape, seed=3)  # continuous values: no ties in a window

    def fn(x):
        return POOLS[pool](x, kernel, stride, padding, impl=impl)

    assert autograd.gradcheck(fn, [x], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("pool", list(POOLS))
def test_fused_matches_composed(pool, case):
    x_c, out_c, g = _run(pool, case, "composed", seed=4)
    x_f, out_f, _ = _run(pool, case, "fused", seed=4, grad_out=g)
    np.testing.assert_allclose(out_f.data, out_c.data, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(x_f.grad.data, x_c.grad.data, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("pool", list(POOLS))
def test_matches_torch(pool, case, impl):
    torch = torch_or_skip()
    x, out, g = _run(pool, case, impl, seed=5)
    _, kernel, stride, padding = CASES[case]
    xt = to_torch(x)
    fn = getattr(torch.nn.functional, f"{pool}_pool2d")
    ref = fn(xt, kernel, stride, padding)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_fused_ops_are_marked():
    (x,) = rand_tensors((1, 1, 4, 4))
    for fn, cls in ((max_pool2d, MaxPool2d), (avg_pool2d, AvgPool2d)):
        out = fn(x, 2)
        assert isinstance(out.grad_fn, cls) and cls.fused and cls.once_differentiable
        assert "grad_x" in cls.__doc__
        composed = fn(x, 2, impl="composed")
        assert composed.grad_fn._scope == (fn.__name__,)


def test_float32_is_kept(impl):
    x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32))
    x.requires_grad_()
    for fn in (max_pool2d, avg_pool2d):
        x.grad = None
        out = fn(x, 3, 2, 1, impl=impl)
        out.backward(np.ones(out.shape, np.float32))
        assert out.dtype == x.grad.dtype == np.float32


# -- ties and NaN ------------------------------------------------------------------------------

TIES = np.array([[1.0, 2, 2, 1, 0], [2, 2, 0, 2, 0], [0, 0, 3, 3, 1], [3, 3, 3, 0, 1]])[None, None]


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 1, 1), (2, 1, 0)])
def test_fused_ties_send_the_gradient_to_the_first_maximum(kernel, stride, padding):
    torch = torch_or_skip()
    x = Tensor(TIES.copy(), requires_grad=True)
    out = max_pool2d(x, kernel, stride, padding)
    out.backward(np.ones(out.shape))
    xt = to_torch(x)
    torch.nn.functional.max_pool2d(xt, kernel, stride, padding).sum().backward()
    np.testing.assert_array_equal(x.grad.data, xt.grad.numpy())


def test_composed_ties_split_the_gradient_evenly():
    x = Tensor(np.zeros((1, 1, 2, 4)), requires_grad=True)
    out = max_pool2d(x, 2, impl="composed")
    out.backward(np.array([[[[4.0, 8.0]]]]))
    np.testing.assert_array_equal(x.grad.data[0, 0], [[1, 1, 2, 2], [1, 1, 2, 2]])


def test_fused_nan_propagates_like_torch():
    torch = torch_or_skip()
    data = np.arange(16.0).reshape(1, 1, 4, 4)
    data[0, 0, 0, 0] = data[0, 0, 1, 1] = data[0, 0, 2, 3] = np.nan
    x = Tensor(data, requires_grad=True)
    out = max_pool2d(x, 2)
    out.backward(np.ones(out.shape))
    xt = to_torch(x)
    ref = torch.nn.functional.max_pool2d(xt, 2)
    ref.sum().backward()
    np.testing.assert_array_equal(out.data, ref.detach().numpy())  # NaNs compare equal here
    np.testing.assert_array_equal(x.grad.data, xt.grad.numpy())


# -- adaptive average pooling ------------------------------------------------------------------

ADAPTIVE = [
    ((2, 3, 7, 9), (3, 4)),
    ((2, 3, 8, 8), 2),
    ((2, 3, 8, 6), 1),
    ((1, 2, 5, 7), (None, 3)),
    ((1, 2, 3, 3), 5),  # more bins than rows: windows overlap
]


@pytest.mark.parametrize("x_shape, output_size", ADAPTIVE)
def test_adaptive_gradcheck(x_shape, output_size):
    (x,) = rand_tensors(x_shape)
    assert autograd.gradcheck(lambda x: adaptive_avg_pool2d(x, output_size), [x])


@pytest.mark.parametrize("x_shape, output_size", ADAPTIVE)
def test_adaptive_matches_torch(x_shape, output_size):
    torch = torch_or_skip()
    (x,) = rand_tensors(x_shape, seed=6)
    out = adaptive_avg_pool2d(x, output_size)
    g = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(g)
    xt = to_torch(x)
    ref = torch.nn.functional.adaptive_avg_pool2d(xt, output_size)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert out.grad_fn._scope == ("adaptive_avg_pool2d",)


# -- argument errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("pool", list(POOLS))
@pytest.mark.parametrize(
    "x_shape, args, error, match",
    [
        ((3, 8, 8), (2,), ValueError, r"expected 4-d input x, got shape \(3, 8, 8\)"),
        ((1, 1, 8, 8), (3, 1, 2), ValueError, r"padding \(2, 2\) must be at most half"),
        (
            (1, 1, 1, 3),
            (5, 1, 1),
            ValueError,
            r"kernel_size \(5, 5\) is larger than the padded input \(3, 5\)",
        ),
        ((1, 1, 8, 8), (2, 0), ValueError, r"stride must be >= 1"),
        ((1, 1, 8, 8), ((2, 2, 2),), TypeError, r"kernel_size must be an int or a pair"),
        ((1, 1, 8, 8), (0,), ValueError, r"kernel_size must be >= 1"),
        ((1, 1, 8, 8), (2, None, -1), ValueError, r"padding must be >= 0"),
    ],
)
def test_argument_errors(pool, x_shape, args, error, match, impl):
    x = Tensor(np.zeros(x_shape))
    with pytest.raises(error, match=f"{pool}_pool2d: {match}"):
        POOLS[pool](x, *args, impl=impl)


def test_impl_and_dtype_errors():
    x = Tensor(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"max_pool2d: impl must be 'fused' or 'composed'"):
        max_pool2d(x, 2, impl="fast")
    with pytest.raises(TypeError, match=r"avg_pool2d: x has dtype int64"):
        avg_pool2d(Tensor(np.zeros((1, 1, 4, 4), np.int64)), 2)


@pytest.mark.parametrize(
    "x_shape, output_size, error, match",
    [
        ((4, 4), 2, ValueError, r"adaptive_avg_pool2d: expected 4-d input x"),
        ((1, 1, 4, 4), 0, ValueError, r"adaptive_avg_pool2d: output_size must be >= 1"),
        ((1, 1, 4, 4), (2, 2, 2), TypeError, r"output_size must be an int or a pair"),
    ],
)
def test_adaptive_errors(x_shape, output_size, error, match):
    with pytest.raises(error, match=match):
        adaptive_avg_pool2d(Tensor(np.zeros(x_shape)), output_size)
