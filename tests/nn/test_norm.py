"""Normalization layers: batch, layer, group, instance and switchable norm, both impls."""

import os
import signal
import time

import numpy as np
import pytest

import autograd
from autograd import Tensor
from nn.functional.norm import batch_norm, group_norm, instance_norm, layer_norm
from nn.functional.switchable import switchable_norm
from tests.helpers import rand_tensors, to_torch, torch_or_skip

X4 = (4, 3, 3, 5)  # odd sizes everywhere
C4 = X4[1]


def _buffers(C, seed=1):
    """Running buffers with random values (variances positive), float64."""
    rng = np.random.default_rng(seed)
    return Tensor(rng.standard_normal(C)), Tensor(rng.uniform(0.5, 2.0, C))


def _copy(t):
    return None if t is None else Tensor(t.data.copy(), requires_grad=t.requires_grad)


# -- cases: name -> (function of (x, *params, impl), x shape, param shapes, buffers?) ---------
# Each case builds its call from fresh inputs, so the same case runs under gradcheck, the
# fused/composed agreement and the no-grad check.


def _bn(training, buffers=True, affine=True):
    def make(x_shape):
        C = x_shape[1]
        rm, rv = _buffers(C) if buffers else (None, None)

        def fn(x, *p, impl):
            w, b = p if affine else (None, None)
            return batch_norm(x, rm, rv, w, b, training=training, momentum=0.3, impl=impl)

        return fn, [(C,), (C,)] if affine else [], (rm, rv)

    return make


def _ln(normalized_shape, parts="wb"):
    def make(x_shape):
        def fn(x, *p, impl):
            it = iter(p)
            w = next(it) if "w" in parts else None
            b = next(it) if "b" in parts else None
            return layer_norm(x, normalized_shape, w, b, impl=impl)

        return fn, [tuple(normalized_shape)] * len(parts), (None, None)

    return make


def _gn(groups, affine=True):
    def make(x_shape):
        def fn(x, *p, impl):
            w, b = p if affine else (None, None)
            return group_norm(x, groups, w, b, impl=impl)

        return fn, [(x_shape[1],)] * 2 if affine else [], (None, None)

    return make


def _in(affine=True):
    def make(x_shape):
        def fn(x, *p, impl):
            w, b = p if affine else (None, None)
            return instance_norm(x, w, b, impl=impl)

        return fn, [(x_shape[1],)] * 2 if affine else [], (None, None)

    return make


def _sn(training, buffers=True, affine=True):
    def make(x_shape):
        C = x_shape[1]
        rm, rv = _buffers(C) if buffers else (None, None)

        def fn(x, mw, vw, *p, impl):
            w, b = p if affine else (None, None)
            return switchable_norm(
                x, mw, vw, rm, rv, w, b, training=training, momentum=0.3, impl=impl
            )

        return fn, [(3,), (3,)] + ([(C,), (C,)] if affine else []), (rm, rv)

    return make


CASES = {
    "bn1d-train": ((5, 3), _bn(True)),
    "bn1d-eval": ((5, 3), _bn(False)),
    "bn2d-train": (X4, _bn(True)),
    "bn2d-eval": (X4, _bn(False)),
    "bn2d-train-plain": (X4, _bn(True, affine=False)),
    "bn2d-eval-plain": (X4, _bn(False, affine=False)),
    "bn2d-eval-nobuffers": (X4, _bn(False, buffers=False)),
    "bn3d-train": ((3, 3, 7), _bn(True)),
    "ln-1": ((5, 7), _ln((7,))),
    "ln-2": ((3, 3, 5), _ln((3, 5))),
    "ln-plain": ((3, 3, 5), _ln((3, 5), parts="")),
    "ln-weight-only": ((5, 7), _ln((7,), parts="w")),
    "ln-bias-only": ((5, 7), _ln((7,), parts="b")),
    "gn-1": ((3, 6, 3, 5), _gn(1)),
    "gn-3": ((3, 6, 3, 5), _gn(3)),
    "gn-C": ((3, 6, 3, 5), _gn(6)),
    "gn-2d": ((5, 6), _gn(2)),
    "gn-plain": ((3, 6, 3, 5), _gn(2, affine=False)),
    "in": (X4, _in()),
    "in-1d": ((3, 3, 7), _in()),
    "in-plain": (X4, _in(affine=False)),
    "sn-train": (X4, _sn(True)),
    "sn-eval": (X4, _sn(False)),
    "sn-train-plain": (X4, _sn(True, affine=False)),
    "sn-eval-nobuffers": (X4, _sn(False, buffers=False)),
}


def _case(name, seed=0):
    x_shape, make = CASES[name]
    fn, param_shapes, buffers = make(x_shape)
    inputs = rand_tensors(x_shape, *param_shapes, seed=seed)
    return fn, inputs, buffers


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck(name, impl):
    fn, inputs, _ = _case(name)
    assert autograd.gradcheck(lambda *xs: fn(*xs, impl=impl), inputs, atol=1e-6, rtol=1e-5)


def _run(fn, inputs, impl, grad, buffers):
    """Forward + backward on copies; returns the output, the grads and the buffers after."""
    inputs = [_copy(t) for t in inputs]
    saved = [None if b is None else b.data.copy() for b in buffers]
    out = fn(*inputs, impl=impl)
    out.backward(grad)
    after = [None if b is None else b.data.copy() for b in buffers]
    for b, s in zip(buffers, saved):  # put the buffers back for the other implementation
        if b is not None:
            b.data[...] = s
    return out.data, [t.grad.data if t.grad is not None else None for t in inputs], after


def _assert_fused_matches_composed(name, seed):
    fn, inputs, buffers = _case(name, seed=seed)
    grad = np.random.default_rng(seed + 1).standard_normal(inputs[0].shape)
    fused = _run(fn, inputs, "fused", grad, buffers)
    composed = _run(fn, inputs, "composed", grad, buffers)
    np.testing.assert_allclose(fused[0], composed[0], rtol=0, atol=1e-10)
    for i, (a, b) in enumerate(zip(fused[1], composed[1])):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10, err_msg=f"input {i}")
    for a, b in zip(fused[2], composed[2]):
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12, err_msg="running buffer")


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Make every fused norm run in several blocks on the thread pool, even on test shapes."""
    from nn.functional import _parallel

    monkeypatch.setattr(_parallel, "_MIN_PARALLEL_SIZE", 1)
    monkeypatch.setattr(_parallel, "_BLOCK_SIZE", 8)
    monkeypatch.setattr(_parallel, "_threads", lambda: 2)


@pytest.mark.parametrize("name", list(CASES))
def test_fused_matches_composed(name):
    _assert_fused_matches_composed(name, seed=3)


@pytest.mark.parametrize("name", [n for n in CASES if not n.startswith("sn")])
def test_blocked_threaded_fused_matches_composed(name, tiny_blocks):
    _assert_fused_matches_composed(name, seed=5)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_thread_pool_works_in_a_forked_child(tiny_blocks):
    """A child forked after the pool started (a DataLoader worker, say) has no pool threads;
    it must start its own pool, not wait forever on the parent's."""
    fn, inputs, buffers = _case("gn-3")
    _run(fn, inputs, "fused", np.ones(inputs[0].shape), buffers)  # the parent's pool is up
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if the threaded norm finishes
        code = 1
        try:
            _run(fn, inputs, "fused", np.ones(inputs[0].shape), buffers)
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("the forked child hung in the fused norm")


def test_run_split_covers_the_axis_in_order(tiny_blocks):
    from nn.functional._parallel import run_split

    blocks = run_split(lambda s: s, 37, 37 * 10, row=10)
    assert len(blocks) > 2
    assert [i for s in blocks for i in range(37)[s]] == list(range(37))


@pytest.mark.parametrize("name", ["gn-3", "sn-train", "sn-eval"])
def test_fused_matches_composed_with_a_zero_weight(name):
    """A zero in weight takes the fused backward off its no-temporary path."""
    fn, inputs, buffers = _case(name, seed=5)
    inputs[-2].data[1] = 0.0  # weight
    grad = np.random.default_rng(6).standard_normal(inputs[0].shape)
    fused = _run(fn, inputs, "fused", grad, buffers)
    composed = _run(fn, inputs, "composed", grad, buffers)
    for a, b in zip(fused[1], composed[1]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", ["bn2d-train", "bn2d-eval", "ln-2", "gn-3", "sn-train"])
def test_only_parameters_require_grad(name):
    """x without requires_grad: the weight and bias grads still match the composed ones."""
    fn, inputs, buffers = _case(name, seed=7)
    inputs[0].requires_grad_(False)
    grad = np.random.default_rng(8).standard_normal(inputs[0].shape)
    fused = _run(fn, inputs, "fused", grad, buffers)
    composed = _run(fn, inputs, "composed", grad, buffers)
    for a, b in zip(fused[1][1:], composed[1][1:]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", list(CASES))
def test_no_grad_forward_matches(name, impl):
    """The fused forward has a leaner path when nothing is recorded; same values."""
    fn, inputs, buffers = _case(name, seed=9)
    saved = [None if b is None else b.data.copy() for b in buffers]
    recorded = fn(*inputs, impl=impl).data
    for b, s in zip(buffers, saved):
        if b is not None:
            b.data[...] = s
    with autograd.no_grad():
        plain = fn(*inputs, impl=impl)
    assert plain.grad_fn is None
    np.testing.assert_allclose(plain.data, recorded, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ["bn2d-train", "ln-1", "gn-3", "in", "sn-train"])
def test_float32_stays_float32(name, impl):
    fn, inputs, _ = _case(name)
    inputs = [Tensor(t.data.astype(np.float32), requires_grad=True) for t in inputs]
    out = fn(*inputs, impl=impl)
    out.sum().backward()
    assert out.dtype == np.float32
    assert all(t.grad.dtype == np.float32 for t in inputs)


@pytest.mark.parametrize(
    "name, op",
    [
        ("bn2d-train", "batch_norm"),
        ("ln-1", "layer_norm"),
        ("gn-3", "group_norm"),
        ("in", "instance_norm"),
        ("sn-eval", "switchable_norm"),
    ],
)
def test_fused_is_one_node(name, op):
    fn, inputs, _ = _case(name)
    out = fn(*inputs, impl="fused")
    assert out.grad_fn.name == op
    assert type(out.grad_fn).fused
    assert len(autograd.graph_nodes(out)) == 1
    assert len(autograd.graph_nodes(fn(*inputs, impl="composed"))) > 1


def test_running_buffers_updated_in_place(impl):
    (x,) = rand_tensors(X4)
    rm, rv = _buffers(C4)
    arrays = rm.data, rv.data
    expected_mean = 0.9 * rm.data + 0.1 * x.data.mean(axis=(0, 2, 3))
    expected_var = 0.9 * rv.data + 0.1 * x.data.var(axis=(0, 2, 3), ddof=1)
    batch_norm(x, rm, rv, training=True, impl=impl)
    assert rm.data is arrays[0] and rv.data is arrays[1]
    np.testing.assert_allclose(rm.data, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(rv.data, expected_var, rtol=1e-12)
    before = rm.data.copy(), rv.data.copy()
    batch_norm(x, rm, rv, training=False, impl=impl)  # eval leaves them alone
    np.testing.assert_array_equal(rm.data, before[0])
    np.testing.assert_array_equal(rv.data, before[1])


@pytest.mark.parametrize("name", ["bn2d-eval", "sn-eval"])
def test_fused_eval_backward_ignores_later_buffer_updates(name):
    """The fused op copies the running statistics it uses, so a later update can't leak in."""
    fn, inputs, buffers = _case(name, seed=15)
    grad = np.random.default_rng(16).standard_normal(inputs[0].shape)
    expected = _run(fn, inputs, "fused", grad, buffers)[1]
    inputs = [_copy(t) for t in inputs]
    out = fn(*inputs, impl="fused")
    for b in buffers:
        b.data += 1.0
    out.backward(grad)
    for t, e in zip(inputs, expected):
        np.testing.assert_allclose(t.grad.data, e, rtol=0, atol=1e-12)


# -- the PyTorch oracle ------------------------------------------------------------------------


def _grads(tensors):
    return [t.grad.numpy() for t in tensors]


def _check_against_torch(ours, theirs, inputs, impl, atol=1e-9):
    """Forward and backward with the same upstream grad through ours and a torch twin."""
    torch = torch_or_skip()
    tinputs = [to_torch(t) for t in inputs]
    out = ours(*inputs, impl=impl)
    tout = theirs(*tinputs)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=0, atol=atol)
    grad = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(grad)
    tout.backward(torch.tensor(grad))
    for i, (t, tt) in enumerate(zip(inputs, tinputs)):
        np.testing.assert_allclose(
            t.grad.data, tt.grad.numpy(), rtol=0, atol=atol, err_msg=f"input {i}"
        )


@pytest.mark.parametrize("shape", [(6, 5), (4, 3, 7), X4])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_matches_torch(shape, training, impl):
    torch = torch_or_skip()
    C = shape[1]
    x, w, b = rand_tensors(shape, (C,), (C,), seed=2)
    rm, rv = _buffers(C)
    trm, trv = to_torch(rm), to_torch(rv)
    _check_against_torch(
        lambda x, w, b, impl: batch_norm(x, rm, rv, w, b, training, 0.2, 1e-4, impl=impl),
        lambda x, w, b: torch.nn.functional.batch_norm(x, trm, trv, w, b, training, 0.2, 1e-4),
        [x, w, b],
        impl,
    )
    np.testing.assert_allclose(rm.data, trm.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(rv.data, trv.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape", [(8, 5), (6, 4, 3, 5)])
def test_batch_norm_running_buffers_match_torch_over_steps(shape, impl):
    """Several training steps, then eval: buffers and eval output as torch's BatchNorm."""
    torch = torch_or_skip()
    C = shape[1]
    module = (torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d)(C).double()
    rm, rv = Tensor(np.zeros(C)), Tensor(np.ones(C))
    rng = np.random.default_rng(3)
    for _ in range(4):
        x = rng.standard_normal(shape) * 2.0 + 1.5
        ours = batch_norm(Tensor(x), rm, rv, training=True, impl=impl)
        theirs = module.train()(torch.tensor(x))
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(rm.data, module.running_mean.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(rv.data, module.running_var.numpy(), rtol=0, atol=1e-12)
    x = rng.standard_normal(shape)
    ours = batch_norm(Tensor(x), rm, rv, training=False, impl=impl)
    theirs = module.eval()(torch.tensor(x))
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=0, atol=1e-9)


@pytest.mark.parametrize("shape, normalized", [((6, 7), (7,)), ((3, 4, 3, 5), (3, 5))])
def test_layer_norm_matches_torch(shape, normalized, impl):
    torch = torch_or_skip()
    x, w, b = rand_tensors(shape, normalized, normalized, seed=2)
    _check_against_torch(
        lambda x, w, b, impl: layer_norm(x, normalized, w, b, eps=1e-4, impl=impl),
        lambda x, w, b: torch.nn.functional.layer_norm(x, normalized, w, b, eps=1e-4),
        [x, w, b],
        impl,
    )


@pytest.mark.parametrize("groups", [1, 2, 6])
@pytest.mark.parametrize("shape", [(4, 6, 3, 5), (5, 6)])
def test_group_norm_matches_torch(shape, groups, impl):
    torch = torch_or_skip()
    x, w, b = rand_tensors(shape, (6,), (6,), seed=2)  # (5, 6) with 6 groups: one value each
    _check_against_torch(
        lambda x, w, b, impl: group_norm(x, groups, w, b, eps=1e-4, impl=impl),
        lambda x, w, b: torch.nn.functional.group_norm(x, groups, w, b, eps=1e-4),
        [x, w, b],
        impl,
    )


@pytest.mark.parametrize("shape", [(3, 4, 7), (3, 4, 3, 5)])
def test_instance_norm_matches_torch(shape, impl):
    torch = torch_or_skip()
    x, w, b = rand_tensors(shape, (4,), (4,), seed=2)
    _check_against_torch(
        lambda x, w, b, impl: instance_norm(x, w, b, eps=1e-4, impl=impl),
        lambda x, w, b: torch.nn.functional.instance_norm(x, weight=w, bias=b, eps=1e-4),
        [x, w, b],
        impl,
    )


# -- switchable norm against a straightforward implementation of the paper ---------------------


def _sn_reference_numpy(x, mw, vw, rm, rv, w, b, training, eps):
    """Eqs. (2)-(4) of Luo et al. written out directly: biased statistics per scope."""
    mu_in, s2_in = x.mean(axis=(2, 3), keepdims=True), x.var(axis=(2, 3), keepdims=True)
    mu_ln, s2_ln = x.mean(axis=(1, 2, 3), keepdims=True), x.var(axis=(1, 2, 3), keepdims=True)
    if training:
        mu_bn, s2_bn = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True)
    else:
        mu_bn, s2_bn = rm.reshape(1, -1, 1, 1), rv.reshape(1, -1, 1, 1)
    pm, pv = np.exp(mw) / np.exp(mw).sum(), np.exp(vw) / np.exp(vw).sum()
    mu = pm[0] * mu_in + pm[1] * mu_ln + pm[2] * mu_bn
    var = pv[0] * s2_in + pv[1] * s2_ln + pv[2] * s2_bn
    return (x - mu) / np.sqrt(var + eps) * w.reshape(1, -1, 1, 1) + b.reshape(1, -1, 1, 1)


@pytest.mark.parametrize("training", [True, False])
def test_switchable_norm_matches_numpy_reference(training, impl):
    x, mw, vw, w, b = rand_tensors(X4, (3,), (3,), (C4,), (C4,), seed=11)
    rm, rv = _buffers(C4)
    expected = _sn_reference_numpy(
        x.data, mw.data, vw.data, rm.data, rv.data, w.data, b.data, training, 1e-4
    )
    out = switchable_norm(x, mw, vw, rm, rv, w, b, training=training, eps=1e-4, impl=impl)
    np.testing.assert_allclose(out.data, expected, rtol=0, atol=1e-10)


def _sn_torch(torch, x, mw, vw, rm, rv, w, b, training, momentum, eps):
    """The paper's formula in torch, with the running-buffer update of batch norm."""
    mu_in = x.mean(dim=(2, 3), keepdim=True)
    s2_in = x.var(dim=(2, 3), keepdim=True, unbiased=False)
    mu_ln = x.mean(dim=(1, 2, 3), keepdim=True)
    s2_ln = x.var(dim=(1, 2, 3), keepdim=True, unbiased=False)
    if training:
        mu_bn = x.mean(dim=(0, 2, 3), keepdim=True)
        s2_bn = x.var(dim=(0, 2, 3), keepdim=True, unbiased=False)
        with torch.no_grad():
            rm.mul_(1 - momentum).add_(momentum * mu_bn.flatten())
            rv.mul_(1 - momentum).add_(momentum * x.var(dim=(0, 2, 3), unbiased=True))
    else:
        mu_bn, s2_bn = rm.reshape(1, -1, 1, 1), rv.reshape(1, -1, 1, 1)
    pm, pv = torch.softmax(mw, 0), torch.softmax(vw, 0)
    mu = pm[0] * mu_in + pm[1] * mu_ln + pm[2] * mu_bn
    var = pv[0] * s2_in + pv[1] * s2_ln + pv[2] * s2_bn
    return (x - mu) / torch.sqrt(var + eps) * w.reshape(1, -1, 1, 1) + b.reshape(1, -1, 1, 1)


@pytest.mark.parametrize("training", [True, False])
def test_switchable_norm_matches_torch_formula(training, impl):
    torch = torch_or_skip()
    x, mw, vw, w, b = rand_tensors(X4, (3,), (3,), (C4,), (C4,), seed=12)
    rm, rv = _buffers(C4)
    trm, trv = to_torch(rm), to_torch(rv)
    _check_against_torch(
        lambda x, mw, vw, w, b, impl: switchable_norm(
            x, mw, vw, rm, rv, w, b, training=training, momentum=0.2, eps=1e-4, impl=impl
        ),
        lambda x, mw, vw, w, b: _sn_torch(torch, x, mw, vw, trm, trv, w, b, training, 0.2, 1e-4),
        [x, mw, vw, w, b],
        impl,
    )
    np.testing.assert_allclose(rm.data, trm.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(rv.data, trv.numpy(), rtol=0, atol=1e-12)


def test_switchable_norm_running_buffers_over_steps(impl):
    torch = torch_or_skip()
    rng = np.random.default_rng(13)
    mw, vw = Tensor(rng.standard_normal(3)), Tensor(rng.standard_normal(3))
    w, b = Tensor(rng.standard_normal(C4)), Tensor(rng.standard_normal(C4))
    rm, rv = Tensor(np.zeros(C4)), Tensor(np.ones(C4))
    trm, trv = torch.zeros(C4, dtype=torch.float64), torch.ones(C4, dtype=torch.float64)
    args = [torch.tensor(t.data) for t in (mw, vw)]
    for step in range(4):
        x = rng.standard_normal(X4) * 1.5 + 0.5
        training = step < 3
        ours = switchable_norm(Tensor(x), mw, vw, rm, rv, w, b, training=training, impl=impl)
        theirs = _sn_torch(
            torch, torch.tensor(x), *args, trm, trv, torch.tensor(w.data),
            torch.tensor(b.data), training, 0.1, 1e-5,
        )  # fmt: skip
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=0, atol=1e-9)
        np.testing.assert_allclose(rm.data, trm.numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(rv.data, trv.numpy(), rtol=0, atol=1e-12)


def test_switchable_norm_reduces_to_batch_norm():
    """All the mixture weight on the batch statistics: exactly batch norm."""
    x, w, b = rand_tensors(X4, (C4,), (C4,), seed=14)
    logits = Tensor(np.array([-1e3, -1e3, 0.0]))
    for training in (True, False):
        rm, rv = _buffers(C4)
        rm2, rv2 = _buffers(C4)
        sn = switchable_norm(x, logits, logits, rm, rv, w, b, training=training)
        bn = batch_norm(x, rm2, rv2, w, b, training=training)
        np.testing.assert_allclose(sn.data, bn.data, rtol=0, atol=1e-12)
        np.testing.assert_allclose(rv.data, rv2.data, rtol=0, atol=1e-12)


# -- argument errors ----------------------------------------------------------------------------


def _t(*shape):
    return Tensor(np.zeros(shape))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda i: batch_norm(_t(3), None, None, impl=i), r"batch_norm: expected 2-d .*\(3,\)"),
        (lambda i: batch_norm(_t(2, 3, 4, 5, 6), None, None, impl=i), r"batch_norm: .*4-d"),
        (
            lambda i: batch_norm(_t(2, 3, 4, 4), _t(4), _t(4), impl=i),
            r"batch_norm: running_mean has shape \(4,\) but x has 3 channels.*\(2, 3, 4, 4\)",
        ),
        (
            lambda i: batch_norm(_t(2, 3), None, None, _t(2), impl=i),
            r"batch_norm: weight has shape \(2,\) but x has 3 channels",
        ),
        (lambda i: batch_norm(_t(2, 3), _t(3), None, impl=i), "both running_mean"),
        (
            lambda i: batch_norm(_t(1, 3), None, None, training=True, impl=i),
            "more than 1 value per channel",
        ),
        (lambda i: batch_norm(_t(2, 3), None, None, impl="fast"), "impl must be"),
        (
            lambda i: layer_norm(_t(2, 3, 4), (3,), impl=i),
            r"layer_norm: x.shape=\(2, 3, 4\) does not end with normalized_shape=\(3,\)",
        ),
        (
            lambda i: layer_norm(_t(2, 3, 4), 4, _t(3), impl=i),
            r"layer_norm: weight has shape \(3,\) but normalized_shape is \(4,\)",
        ),
        (
            lambda i: group_norm(_t(2, 6, 3, 3), 4, impl=i),
            r"group_norm: num_groups=4 must be a positive int dividing the 6 channels",
        ),
        (lambda i: group_norm(_t(6), 3, impl=i), r"group_norm: expected 2-d"),
        (
            lambda i: group_norm(_t(2, 6, 3), 3, None, _t(3), impl=i),
            r"group_norm: bias has shape \(3,\) but x has 6 channels",
        ),
        (lambda i: instance_norm(_t(2, 3), impl=i), r"instance_norm: expected 3-d or 4-d"),
        (
            lambda i: instance_norm(_t(2, 3, 5), _t(5), impl=i),
            r"instance_norm: weight has shape \(5,\) but x has 3 channels",
        ),
        (
            lambda i: switchable_norm(_t(2, 3, 4), _t(3), _t(3), None, None, impl=i),
            r"switchable_norm: expected 4-d input x, got shape \(2, 3, 4\)",
        ),
        (
            lambda i: switchable_norm(_t(2, 3, 4, 4), _t(2), _t(3), None, None, impl=i),
            r"switchable_norm: mean_weight has shape \(2,\) .*expected \(3,\)",
        ),
        (
            lambda i: switchable_norm(_t(2, 3, 4, 4), _t(3), _t(3), _t(2), _t(2), impl=i),
            r"switchable_norm: running_mean has shape \(2,\) but x has 3 channels",
        ),
    ],
)
def test_errors_name_the_op_and_shapes(call, match, impl):
    with pytest.raises(ValueError, match=match):
        call(impl)


def test_integer_input_is_rejected(impl):
    x = Tensor(np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(TypeError, match="batch_norm: expected a floating-point x"):
        batch_norm(x, None, None, impl=impl)
