"""nn.functional: activations, linear, dropout, losses and compare_impls."""

import numpy as np
import pytest

import autograd
import nn.functional as F
from autograd import Tensor
from tests.helpers import check_grads, rand_tensors, to_torch, torch_or_skip

TARGET = np.array([0, 2, 1, 2, 4])


# -- activations and linear ---------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: F.leaky_relu(x, 0.1),
        F.sigmoid,
        F.tanh,
        lambda x: F.softmax(x, axis=1),
        lambda x: F.log_softmax(x, axis=0),
    ],
)
def test_activation_gradients(fn):
    check_grads(fn, (4, 5))


def test_relu_gradient_away_from_kink():
    (x,) = rand_tensors((4, 5))
    x.data[np.abs(x.data) < 0.1] = 0.5
    assert autograd.gradcheck(F.relu, [x])


def test_activations_match_torch():
    torch = torch_or_skip()
    (x,) = rand_tensors((6, 7), seed=3)
    cases = [
        (F.relu, torch.relu),
        (lambda t: F.leaky_relu(t, 0.2), lambda t: torch.nn.functional.leaky_relu(t, 0.2)),
        (F.sigmoid, torch.sigmoid),
        (F.tanh, torch.tanh),
        (lambda t: F.softmax(t, axis=1), lambda t: torch.softmax(t, 1)),
        (lambda t: F.log_softmax(t, axis=0), lambda t: torch.log_softmax(t, 0)),
    ]
    g = np.random.default_rng(1).standard_normal(x.shape)
    for ours, theirs in cases:
        x.grad = None
        out = ours(x)
        out.backward(g)
        xt = to_torch(x)
        ref = theirs(xt)
        ref.backward(torch.tensor(g))
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_leaky_relu_gradient_at_zero_is_the_slope():
    x = Tensor(np.zeros(3), requires_grad=True)
    F.leaky_relu(x, 0.3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.3, 0.3, 0.3])


def test_softmax_is_stable_for_huge_logits():
    x = Tensor(np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]]), requires_grad=True)
    p = F.softmax(x, axis=1)
    np.testing.assert_allclose(p.data, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-15)
    lp = F.log_softmax(x, axis=1)
    assert np.isfinite(lp.data[0, :2]).all() and lp.data[0, 2] == -2e4
    lp.sum().backward()
    assert np.isfinite(x.grad.data).all()


def test_linear_matches_formula_and_gradchecks():
    x, w, b = check_grads(F.linear, (3, 4), (5, 4), (5,))
    np.testing.assert_allclose(F.linear(x, w, b).data, x.data @ w.data.T + b.data)
    check_grads(lambda x, w: F.linear(x, w), (2, 3, 4), (5, 4))


def test_linear_errors():
    x, w = rand_tensors((3, 4), (5, 6))
    with pytest.raises(ValueError, match=r"linear: x has 4 features but weight expects 6"):
        F.linear(x, w)
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(5,\)"):
        F.linear(x, rand_tensors((5, 4))[0], rand_tensors((4,))[0])


# -- dropout --------------------------------------------------------------------------------


def test_dropout_is_inverted_and_reproducible():
    x = autograd.ones(200, 100, requires_grad=True)
    autograd.manual_seed(5)
    y = F.dropout(x, p=0.3)
    autograd.manual_seed(5)
    y2 = F.dropout(x, p=0.3)
    np.testing.assert_array_equal(y.data, y2.data)
    kept = y.data != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, kept / 0.7, rtol=1e-6)
    assert y.dtype == np.float32


def test_dropout_eval_and_edge_probabilities():
    x = autograd.ones(10, 10)
    assert F.dropout(x, p=0.5, training=False) is x
    assert F.dropout(x, p=0.0) is x
    assert (F.dropout(x, p=1.0).data == 0).all()
    with pytest.raises(ValueError, match="dropout: p is the probability to drop"):
        F.dropout(x, p=1.5)


# -- losses ---------------------------------------------------------------------------------

REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_gradcheck(impl, reduction):
    check_grads(lambda s: F.cross_entropy(s, TARGET, reduction=reduction, impl=impl), (5, 6))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_fused_matches_composed(reduction):
    (s,) = rand_tensors((7, 4), seed=2)
    y = np.array([0, 1, 2, 3, 3, 2, 1])
    report = F.compare_impls(F.cross_entropy, s, y, reduction=reduction, numeric=True)
    assert report.max_abs < 1e-12, str(report)
    assert report.row("logits.grad").fused_vs_numeric < 1e-7


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_losses_match_torch(reduction, impl):
    torch = torch_or_skip()
    tf = torch.nn.functional
    s, t = rand_tensors((5, 6), (5, 6), seed=4)
    probs = np.random.default_rng(0).uniform(size=(5, 6))
    r = reduction
    cases = [
        (lambda a: F.cross_entropy(a, TARGET, reduction, impl=impl),
         lambda a: tf.cross_entropy(a, torch.tensor(TARGET), reduction=reduction)),
        (lambda a: F.nll_loss(F.log_softmax(a, axis=1), TARGET, reduction),
         lambda a: tf.nll_loss(tf.log_softmax(a, 1), torch.tensor(TARGET), reduction=reduction)),
        (lambda a: F.mse_loss(a, t.data, reduction),
         lambda a: tf.mse_loss(a, torch.tensor(t.data), reduction=reduction)),
        (lambda a: F.binary_cross_entropy_with_logits(a, probs, reduction),
         lambda a: tf.binary_cross_entropy_with_logits(a, torch.tensor(probs), reduction=r)),
        (lambda a: F.svm_loss(a, TARGET, reduction),
         lambda a: tf.multi_margin_loss(a, torch.tensor(TARGET), reduction=r) * a.shape[1]),
    ]  # fmt: skip
    for ours, theirs in cases:
        s.grad = None
        out = ours(s)
        g = np.ones(out.shape)
        out.backward(g)
        st = to_torch(s)
        ref = theirs(st)
        ref.backward(torch.tensor(g))
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(s.grad.data, st.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_svm_loss_matches_cs231n_formula():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((6, 4))
    y = rng.integers(0, 4, 6)
    margins = np.maximum(0, scores - scores[np.arange(6), y][:, None] + 1)
    margins[np.arange(6), y] = 0
    expected = margins.sum() / 6
    s = Tensor(scores, requires_grad=True)
    np.testing.assert_allclose(F.svm_loss(s, y).item(), expected, rtol=1e-12)
    assert autograd.gradcheck(lambda s: F.svm_loss(s, y), [s])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_other_losses_gradcheck(reduction):
    t = np.random.default_rng(1).uniform(size=(4, 3))
    check_grads(lambda a: F.mse_loss(a, t, reduction), (4, 3))
    check_grads(lambda a: F.binary_cross_entropy_with_logits(a, t, reduction), (4, 3))
    check_grads(lambda a: F.nll_loss(a, TARGET[:4] % 3, reduction), (4, 3))


def test_initial_softmax_loss_is_log_k():
    logits = autograd.zeros(50, 10, requires_grad=True)
    y = np.arange(50) % 10
    for impl in ("fused", "composed"):
        assert abs(F.cross_entropy(logits, y, impl=impl).item() - np.log(10)) < 1e-6


def test_cross_entropy_accepts_tensor_targets_and_keeps_float32():
    s = autograd.randn(4, 3, requires_grad=True)
    loss = F.cross_entropy(s, Tensor(np.array([0, 1, 2, 0])))
    assert loss.dtype == np.float32
    loss.backward()
    assert s.grad.dtype == np.float32


def test_loss_errors():
    (s,) = rand_tensors((3, 4))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'"):
        F.cross_entropy(s, [0, 1, 2], reduction="avg")
    with pytest.raises(ValueError, match=r"target must have shape \(3,\)"):
        F.cross_entropy(s, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"outside \[0, 4\)"):
        F.svm_loss(s, np.array([0, 1, 4]))
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(s, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="impl must be 'fused' or 'composed'"):
        F.cross_entropy(s, np.array([0, 1, 2]), impl="fast")
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(3, 4\) and target shape"):
        F.mse_loss(s, np.zeros(4))


def test_compare_impls_report_is_a_table():
    (s,) = rand_tensors((5, 3))
    report = F.compare_impls(F.cross_entropy, s, TARGET % 3)
    text = str(report)
    assert "cross_entropy" in text and "logits.grad" in text and "output" in text
    assert report.nodes["fused"] == 1 and report.nodes["composed"] > 1
    with pytest.raises(KeyError, match="no row"):
        report.row("nope")
