"""conv2d: gradients, fused against composed, the PyTorch oracle, scratch reuse, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import nn.functional.conv as conv_module
from autograd import Tensor
from nn.functional.conv import Conv2d, conv2d
from tests.helpers import rand_tensors, to_torch, torch_or_skip

# name -> (x shape, weight shape, stride, padding); small, odd sizes, both layouts reachable
CASES = {
    "3x3_pad1": ((2, 3, 7, 6), (4, 3, 3, 3), 1, 1),
    "stride2": ((2, 3, 7, 6), (4, 3, 3, 2), 2, 1),
    "pairs": ((2, 3, 7, 6), (4, 3, 3, 2), (2, 1), (0, 2)),
    "rect_kernel_pairs": ((2, 2, 6, 9), (3, 2, 2, 5), (1, 2), (1, 2)),
    "1x1": ((2, 3, 5, 4), (4, 3, 1, 1), 1, 0),
    "1x1_stride2_pad1": ((2, 3, 5, 4), (2, 3, 1, 1), 2, 1),
    "no_padding": ((1, 2, 5, 7), (3, 2, 3, 3), 1, 0),
    "padding_past_kernel": ((1, 2, 4, 4), (3, 2, 5, 5), 1, 3),
    "7x7_pad3": ((2, 3, 9, 8), (5, 3, 7, 7), 1, 3),
    "kernel_fills_input": ((2, 2, 3, 4), (3, 2, 3, 4), 1, 0),
    "one_row_big_padding": ((2, 2, 1, 7), (2, 2, 5, 5), 1, (2, 3)),
}


@pytest.fixture(params=["per-sample+correlate", "one-gemm+col2im"])
def layout(request, monkeypatch):
    """Force the fused op's paths: per-sample GEMMs and, for stride 1, the input gradient as
    a conv of grad_out; or one GEMM over the batch and always the HH*WW-adds col2im."""
    first = request.param == "per-sample+correlate"
    monkeypatch.setattr(conv_module, "_PER_SAMPLE_MIN_PIXELS", 0 if first else np.inf)
    monkeypatch.setattr(conv_module, "_CORRELATE_MAX_GROWTH", np.inf if first else -1)
    return request.param


def _inputs(case, seed=0, bias=True):
    x_shape, w_shape, stride, padding = CASES[case]
    shapes = [x_shape, w_shape] + ([(w_shape[0],)] if bias else [])
    tensors = rand_tensors(*shapes, seed=seed)
    return tensors, stride, padding


def _run(tensors, stride, padding, impl, grad_out=None):
    """Output and the gradients of (x, weight[, bias]) for upstream ``grad_out``."""
    for t in tensors:
        t.grad = None
    x, w, *b = tensors
    out = conv2d(x, w, b[0] if b else None, stride=stride, padding=padding, impl=impl)
    if grad_out is None:
        grad_out = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(grad_out)
    return out.data, [t.grad.data for t in tensors], grad_out


# -- gradients ------------------------------------------------------------------------------


def _gradcheck(case, impl):
    tensors, stride, padding = _inputs(case)

    def fn(x, w, b):
        return conv2d(x, w, b, stride=stride, padding=padding, impl=impl)

    assert autograd.gradcheck(fn, tensors, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("case", list(CASES))
def test_gradcheck(case, impl):
    _gradcheck(case, impl)


@pytest.mark.parametrize("case", list(CASES))
def test_fused_gradcheck_in_both_layouts(case, layout):
    _gradcheck(case, "fused")


def test_gradcheck_without_bias(impl):
    tensors, stride, padding = _inputs("stride2", bias=False)

    def fn(x, w):
        return conv2d(x, w, None, stride=stride, padding=padding, impl=impl)

    assert autograd.gradcheck(fn, tensors, atol=1e-6, rtol=1e-5)


def test_gradient_for_one_input_only(impl):
    """needs_input_grad: a frozen input or weight gets no gradient, the other the right one."""
    (x, w, b), stride, padding = _inputs("3x3_pad1")
    _, (gx, gw, gb), g = _run([x, w, b], stride, padding, "composed")
    for frozen in (x, w):
        frozen.requires_grad = False
        out = conv2d(x, w, b, stride=stride, padding=padding, impl=impl)
        x.grad = w.grad = b.grad = None
        out.backward(g)
        assert frozen.grad is None
        free, expected = (w, gw) if frozen is x else (x, gx)
        np.testing.assert_allclose(free.grad.data, expected, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(b.grad.data, gb, rtol=1e-10, atol=1e-12)
        frozen.requires_grad = True


# -- the two implementations agree ------------------------------------------------------------


@pytest.mark.parametrize("case", list(CASES))
def test_fused_matches_composed(case, layout):
    tensors, stride, padding = _inputs(case, seed=1)
    out_c, grads_c, g = _run(tensors, stride, padding, "composed")
    out_f, grads_f, _ = _run(tensors, stride, padding, "fused", g)
    np.testing.assert_allclose(out_f, out_c, rtol=1e-10, atol=1e-10)
    for name, a, b in zip(("x", "weight", "bias"), grads_f, grads_c):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, err_msg=name)


def test_fused_matches_composed_on_random_geometries(layout):
    """Sizes, kernels, strides and paddings drawn at random (padding up to 4, past the kernel)."""
    rng = np.random.default_rng(11)
    for _ in range(40):
        (HH, WW), (ph, pw), (sh, sw) = (
            tuple(int(v) for v in rng.integers(lo, hi, 2)) for lo, hi in ((1, 6), (0, 5), (1, 4))
        )
        H, W = int(rng.integers(max(1, HH - 2 * ph), 9)), int(rng.integers(max(1, WW - 2 * pw), 9))
        N, C, F = (int(v) for v in rng.integers(1, 4, 3))
        tensors = rand_tensors((N, C, H, W), (F, C, HH, WW), (F,), seed=int(rng.integers(1000)))
        out_c, grads_c, g = _run(tensors, (sh, sw), (ph, pw), "composed")
        out_f, grads_f, _ = _run(tensors, (sh, sw), (ph, pw), "fused", g)
        for a, b in zip([out_f] + grads_f, [out_c] + grads_c):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


# -- the PyTorch oracle ------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(CASES))
def test_matches_torch(case, impl):
    torch = torch_or_skip()
    tensors, stride, padding = _inputs(case, seed=2)
    out, grads, g = _run(tensors, stride, padding, impl)
    xt, wt, bt = (to_torch(t) for t in tensors)
    ref = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=padding)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    for name, ours, theirs in zip(("x", "weight", "bias"), grads, (xt, wt, bt)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def test_float32_realistic_shape_matches_torch(impl):
    """The default layout choice on a CIFAR-like shape, in float32 (dtype kept throughout)."""
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((4, 8, 16, 16), dtype=np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((16, 8, 3, 3), dtype=np.float32) * 0.1, requires_grad=True)
    b = Tensor(rng.standard_normal(16, dtype=np.float32), requires_grad=True)
    out = conv2d(x, w, b, padding=1, impl=impl)
    g = rng.standard_normal(out.shape, dtype=np.float32)
    out.backward(g)
    assert out.dtype == x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
    xt, wt, bt = to_torch(x), to_torch(w), to_torch(b)
    ref = torch.nn.functional.conv2d(xt, wt, bt, padding=1)
    ref.backward(torch.tensor(g))
    for ours, theirs in ((out.data, ref), (x.grad.data, xt.grad), (w.grad.data, wt.grad)):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-4, atol=1e-4)


# -- the fused op's scratch buffers and node -----------------------------------------------------


def test_results_never_alias_the_scratch_buffers(layout):
    """A second call (same shapes, so the same scratch) leaves the first results untouched."""
    (x, w, b), stride, padding = _inputs("3x3_pad1")
    out1, grads1, g = _run([x, w, b], stride, padding, "fused")
    kept = [out1.copy()] + [a.copy() for a in grads1]
    x2, w2, b2 = (Tensor(t.data * 2.0, requires_grad=True) for t in (x, w, b))
    _run([x2, w2, b2], stride, padding, "fused", g)
    for before, after in zip(kept, [out1] + grads1):
        np.testing.assert_array_equal(before, after)


def test_backward_after_another_conv_rebuilds_the_columns(layout):
    """Two forwards of one shape, then the first backward: its columns are gone from the
    scratch buffer (the second forward's are there) and must be rebuilt, not reused."""
    (x, w, b), stride, padding = _inputs("3x3_pad1")
    _, expected, g = _run([x, w, b], stride, padding, "composed")
    for t in (x, w, b):
        t.grad = None
    out = conv2d(x, w, b, stride=stride, padding=padding)
    conv2d(x * -3.0, w, b, stride=stride, padding=padding)
    out.backward(g)
    for t, e in zip((x, w, b), expected):
        np.testing.assert_allclose(t.grad.data, e, rtol=1e-10, atol=1e-12)


def test_oversized_scratch_is_not_kept(monkeypatch, layout):
    monkeypatch.setattr(conv_module, "_WORKSPACE_LIMIT_BYTES", 64)
    monkeypatch.setattr(conv_module, "_WORKSPACE", conv_module._Workspace())
    tensors, stride, padding = _inputs("7x7_pad3")
    out_f, grads_f, g = _run(tensors, stride, padding, "fused")
    out_c, grads_c, _ = _run(tensors, stride, padding, "composed", g)
    for a, b in zip([out_f] + grads_f, [out_c] + grads_c):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    assert not conv_module._WORKSPACE.buffers


@pytest.mark.parametrize(
    "x_shape, w_shape, padding",
    [((8, 3, 32, 32), (32, 3, 7, 7), 3), ((8, 64, 32, 32), (64, 64, 3, 3), 1),
     ((8, 128, 16, 16), (128, 128, 3, 3), 1), ((8, 32, 16, 16), (64, 32, 3, 3), 1)],
)  # fmt: skip
def test_peak_memory_is_at_most_twice_the_columns(x_shape, w_shape, padding, monkeypatch):
    """Forward + backward from fresh scratch buffers: everything allocated at the peak,
    output and gradients included, within twice the im2col buffer (the layers issue)."""
    import tracemalloc

    monkeypatch.setattr(conv_module, "_WORKSPACE", conv_module._Workspace())
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal(x_shape, dtype=np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal(w_shape, dtype=np.float32), requires_grad=True)
    g = np.ones((x_shape[0], w_shape[0]) + x_shape[2:], np.float32)
    tracemalloc.start()
    try:
        conv2d(x, w, None, padding=padding).backward(g)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    columns = math.prod(w_shape[1:]) * x_shape[0] * math.prod(x_shape[2:]) * 4
    assert peak <= 2 * columns, f"peak {peak / columns:.2f}x the columns"


def test_backward_twice_with_retain_graph(layout):
    (x, w, b), stride, padding = _inputs("7x7_pad3")
    out = conv2d(x, w, b, stride=stride, padding=padding)
    g = np.ones(out.shape)
    out.backward(g, retain_graph=True)
    first = [t.grad.data.copy() for t in (x, w, b)]
    conv2d(x * 1.0, w, None, padding=1)  # reuse the scratch buffers in between
    out.backward(g)
    for t, a in zip((x, w, b), first):
        np.testing.assert_allclose(t.grad.data, 2 * a, rtol=1e-12)


def test_fused_is_one_once_differentiable_node():
    (x, w, b), stride, padding = _inputs("3x3_pad1")
    out = conv2d(x, w, b, stride=stride, padding=padding)
    assert out.grad_fn.name == "conv2d" and isinstance(out.grad_fn, Conv2d)
    assert Conv2d.fused and Conv2d.once_differentiable
    assert "grad_w" in Conv2d.__doc__  # the derivation is written down
    (gx,) = autograd.grad(out.sum(), [x], create_graph=False, retain_graph=True)
    with pytest.raises(RuntimeError, match="once-differentiable"):
        autograd.grad(out.sum(), [x], create_graph=True)


def test_composed_is_scoped_and_twice_differentiable():
    (x, w), stride, padding = _inputs("stride2", bias=False)
    out = conv2d(x, w, None, stride=stride, padding=padding, impl="composed")
    assert out.grad_fn._scope == ("conv2d",)
    # d/dw of sum(dL/dx): the composed graph differentiates its own backward
    (gx,) = autograd.grad((out * out).sum(), [x], create_graph=True)
    (gw,) = autograd.grad(gx.sum(), [w])
    assert gw.shape == w.shape and np.isfinite(gw.data).all()


# -- argument errors -------------------------------------------------------------------------------


def test_channel_mismatch_message(impl):
    x, w = Tensor(np.zeros((8, 4, 32, 32))), Tensor(np.zeros((16, 3, 3, 3)))
    message = (
        "conv2d: x has 4 channels but weight expects 3; "
        "x.shape=(8, 4, 32, 32), weight.shape=(16, 3, 3, 3)"
    )
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        conv2d(x, w, impl=impl)


@pytest.mark.parametrize(
    "x_shape, w_shape, kwargs, error, match",
    [
        ((4, 3, 8), (2, 3, 3, 3), {}, ValueError, r"conv2d: expected 4-d input x, got shape"),
        ((1, 3, 8, 8), (3, 3, 3), {}, ValueError, r"expected 4-d input weight"),
        ((1, 3, 4, 4), (2, 3, 5, 5), {}, ValueError, r"kernel \(5, 5\) is larger than the padded"),
        ((1, 3, 4, 4), (2, 3, 7, 3), {"padding": 1}, ValueError, r"padded input \(6, 6\)"),
        ((1, 3, 8, 8), (2, 3, 3, 3), {"stride": 0}, ValueError, r"stride must be >= 1"),
        ((1, 3, 8, 8), (2, 3, 3, 3), {"stride": (1, 2, 3)}, TypeError, r"stride must be an int"),
        ((1, 3, 8, 8), (2, 3, 3, 3), {"padding": -1}, ValueError, r"padding must be >= 0"),
        ((1, 3, 8, 8), (2, 3, 3, 3), {"padding": "1"}, TypeError, r"padding must be an int"),
        ((1, 3, 8, 8), (2, 3, 3, 3), {"impl": "fast"}, ValueError, r"impl must be 'fused'"),
    ],
)
def test_argument_errors(x_shape, w_shape, kwargs, error, match):
    x, w = Tensor(np.zeros(x_shape)), Tensor(np.zeros(w_shape))
    with pytest.raises(error, match=match):
        conv2d(x, w, **kwargs)


def test_bias_and_dtype_errors(impl):
    x, w = Tensor(np.zeros((1, 3, 8, 8))), Tensor(np.zeros((2, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"bias has shape \(3,\) but weight has 2 filters"):
        conv2d(x, w, Tensor(np.zeros(3)), impl=impl)
    with pytest.raises(TypeError, match=r"weight has dtype float32 but x has float64"):
        conv2d(x, w.astype(np.float32), impl=impl)
    with pytest.raises(TypeError, match=r"conv2d: expected a Tensor for x"):
        conv2d(np.zeros((1, 3, 8, 8)), w, impl=impl)
