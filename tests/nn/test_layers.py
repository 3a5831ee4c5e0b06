"""Layer classes, nn.init and nn.utils: names, shapes, initialisation, PyTorch parity, errors."""

import math
import re

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from autograd import Tensor
from tests.helpers import torch_or_skip
from tests.nn.oracle import compare_with_torch, load_from_torch, randomize_torch

# -- the layer table: ours (taking impl) and PyTorch's twin, and an input shape ------------

# name -> (our layer given impl, torch layer given the torch module, input shape)
LAYERS = {
    "linear": (lambda i: nn.Linear(5, 4), lambda t: t.nn.Linear(5, 4), (3, 5)),
    "linear_nobias_3d": (
        lambda i: nn.Linear(5, 4, bias=False), lambda t: t.nn.Linear(5, 4, bias=False), (2, 3, 5),
    ),
    "conv": (lambda i: nn.Conv2d(3, 4, 3, impl=i), lambda t: t.nn.Conv2d(3, 4, 3), (2, 3, 7, 6)),
    "conv_stride_pad": (
        lambda i: nn.Conv2d(3, 4, (3, 2), stride=2, padding=1, impl=i),
        lambda t: t.nn.Conv2d(3, 4, (3, 2), stride=2, padding=1),
        (2, 3, 7, 8),
    ),
    "conv_nobias_asym": (
        lambda i: nn.Conv2d(2, 5, 3, stride=(2, 1), padding=(0, 2), bias=False, impl=i),
        lambda t: t.nn.Conv2d(2, 5, 3, stride=(2, 1), padding=(0, 2), bias=False),
        (3, 2, 6, 5),
    ),
    "maxpool": (lambda i: nn.MaxPool2d(2, impl=i), lambda t: t.nn.MaxPool2d(2), (2, 3, 6, 6)),
    "maxpool_stride_pad": (
        lambda i: nn.MaxPool2d(3, stride=2, padding=1, impl=i),
        lambda t: t.nn.MaxPool2d(3, stride=2, padding=1),
        (2, 2, 7, 7),
    ),
    "avgpool": (lambda i: nn.AvgPool2d(2, impl=i), lambda t: t.nn.AvgPool2d(2), (2, 3, 6, 4)),
    "avgpool_stride_pad": (
        lambda i: nn.AvgPool2d((3, 2), stride=(2, 1), padding=1, impl=i),
        lambda t: t.nn.AvgPool2d((3, 2), stride=(2, 1), padding=1),
        (2, 2, 7, 5),
    ),
    "adaptive_avgpool_1": (
        lambda i: nn.AdaptiveAvgPool2d((1, 1)), lambda t: t.nn.AdaptiveAvgPool2d((1, 1)),
        (2, 3, 5, 5),
    ),
    "adaptive_avgpool_2": (
        lambda i: nn.AdaptiveAvgPool2d(2), lambda t: t.nn.AdaptiveAvgPool2d(2), (2, 3, 6, 4),
    ),
    "batchnorm1d": (
        lambda i: nn.BatchNorm1d(4, impl=i), lambda t: t.nn.BatchNorm1d(4), (6, 4),
    ),
    "batchnorm1d_3d": (
        lambda i: nn.BatchNorm1d(4, momentum=0.3, impl=i),
        lambda t: t.nn.BatchNorm1d(4, momentum=0.3),
        (5, 4, 3),
    ),
    "batchnorm1d_no_affine": (
        lambda i: nn.BatchNorm1d(4, affine=False, impl=i),
        lambda t: t.nn.BatchNorm1d(4, affine=False),
        (6, 4),
    ),
    "batchnorm1d_cumulative": (
        lambda i: nn.BatchNorm1d(4, momentum=None, impl=i),
        lambda t: t.nn.BatchNorm1d(4, momentum=None),
        (6, 4),
    ),
    "batchnorm2d": (
        lambda i: nn.BatchNorm2d(3, eps=1e-3, impl=i),
        lambda t: t.nn.BatchNorm2d(3, eps=1e-3),
        (4, 3, 5, 5),
    ),
    "batchnorm2d_untracked": (
        lambda i: nn.BatchNorm2d(3, track_running_stats=False, impl=i),
        lambda t: t.nn.BatchNorm2d(3, track_running_stats=False),
        (4, 3, 5, 5),
    ),
    "layernorm": (lambda i: nn.LayerNorm(6, impl=i), lambda t: t.nn.LayerNorm(6), (4, 6)),
    "layernorm_3d_shape": (
        lambda i: nn.LayerNorm((3, 4, 4), impl=i), lambda t: t.nn.LayerNorm((3, 4, 4)),
        (2, 3, 4, 4),
    ),
    "layernorm_no_affine": (
        lambda i: nn.LayerNorm(6, elementwise_affine=False, impl=i),
        lambda t: t.nn.LayerNorm(6, elementwise_affine=False),
        (4, 6),
    ),
    "groupnorm": (
        lambda i: nn.GroupNorm(2, 4, impl=i), lambda t: t.nn.GroupNorm(2, 4), (3, 4, 5, 5),
    ),
    "groupnorm_layer": (
        lambda i: nn.GroupNorm(1, 4, impl=i), lambda t: t.nn.GroupNorm(1, 4), (3, 4, 3, 5),
    ),
    "groupnorm_instance": (
        lambda i: nn.GroupNorm(4, 4, eps=1e-3, impl=i),
        lambda t: t.nn.GroupNorm(4, 4, eps=1e-3),
        (3, 4, 5, 5),
    ),
    "instancenorm": (
        lambda i: nn.InstanceNorm2d(3, impl=i), lambda t: t.nn.InstanceNorm2d(3), (2, 3, 5, 5),
    ),
    "instancenorm_affine": (
        lambda i: nn.InstanceNorm2d(3, affine=True, impl=i),
        lambda t: t.nn.InstanceNorm2d(3, affine=True),
        (2, 3, 5, 4),
    ),
    "relu": (lambda i: nn.ReLU(), lambda t: t.nn.ReLU(), (4, 5)),
    "leaky_relu": (lambda i: nn.LeakyReLU(0.2), lambda t: t.nn.LeakyReLU(0.2), (4, 5)),
    "sigmoid": (lambda i: nn.Sigmoid(), lambda t: t.nn.Sigmoid(), (4, 5)),
    "tanh": (lambda i: nn.Tanh(), lambda t: t.nn.Tanh(), (4, 5)),
    "softmax": (lambda i: nn.Softmax(axis=1), lambda t: t.nn.Softmax(dim=1), (4, 5, 2)),
    "softmax_last": (lambda i: nn.Softmax(), lambda t: t.nn.Softmax(dim=-1), (4, 5)),
    "flatten": (lambda i: nn.Flatten(), lambda t: t.nn.Flatten(), (2, 3, 4, 5)),
    "identity": (lambda i: nn.Identity(3, x=1), lambda t: t.nn.Identity(), (2, 3)),
    "dropout_eval_like": (lambda i: nn.Dropout(0.0), lambda t: t.nn.Dropout(0.0), (4, 5)),
}  # fmt: skip
# adaptive_avg_pool2d, linear and the activations have one implementation
LAYERS_WITH_IMPL = {
    n for n in LAYERS if n.startswith(("conv", "maxpool", "avgpool")) or "norm" in n
}


def _pair(name, impl):
    torch = torch_or_skip()
    ours_fn, theirs_fn, shape = LAYERS[name]
    ours, theirs = ours_fn(impl), theirs_fn(torch)
    randomize_torch(theirs)
    load_from_torch(ours, theirs)
    return ours, theirs, shape


def _input(shape, seed=1):
    # Away from relu's kink and max-pool ties: continuous normals, no exact zeros or repeats.
    return np.random.default_rng(seed).standard_normal(shape)


def _check_against_torch(name, impl, train):
    ours, theirs, shape = _pair(name, impl)
    ours.train(train)
    theirs.train(train)
    for step in range(2):  # two steps: running statistics and their counter move twice
        compare_with_torch(ours, theirs, _input(shape, seed=step), seed=step)


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name", sorted(LAYERS_WITH_IMPL))
def test_layer_matches_torch(name, impl, train):
    _check_against_torch(name, impl, train)


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name", sorted(set(LAYERS) - LAYERS_WITH_IMPL))
def test_single_impl_layer_matches_torch(name, train):
    _check_against_torch(name, "fused", train)


@pytest.mark.parametrize(
    "name", sorted(n for n in LAYERS if not n.startswith(("relu", "sigmoid", "tanh")))
)
def test_state_dict_keys_shapes_and_dtypes_match_torch(name):
    torch = torch_or_skip()
    ours_fn, theirs_fn, _ = LAYERS[name]
    sd, tsd = ours_fn("fused").state_dict(), theirs_fn(torch).state_dict()
    assert list(sd) == list(tsd)
    for key, value in tsd.items():
        assert sd[key].shape == tuple(value.shape), key
        assert sd[key].dtype == value.numpy().dtype, key


def test_bn_after_torch_state_keeps_counting(impl):
    torch = torch_or_skip()
    ours, theirs, shape = _pair("batchnorm2d", impl)
    for _ in range(3):
        compare_with_torch(ours, theirs, _input(shape))
    assert ours.num_batches_tracked.data == 3 == theirs.num_batches_tracked.item()
    assert ours.num_batches_tracked.dtype == np.int64
    ours.eval()
    ours(Tensor(_input(shape)))
    assert ours.num_batches_tracked.data == 3  # only training calls count
    del torch


def test_layer_impls_agree(impl):
    x = Tensor(_input((2, 3, 8, 8)))
    autograd.manual_seed(0)
    ref = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.MaxPool2d(2))
    autograd.manual_seed(0)
    other = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1, impl=impl),
        nn.BatchNorm2d(4, impl=impl),
        nn.MaxPool2d(2, impl=impl),
    )
    ref.double()
    other.double()
    np.testing.assert_allclose(other(x).data, ref(x).data, rtol=1e-10, atol=1e-12)


# -- parameters, shapes and default initialisation ------------------------------------------


def _uniform_stats(values, bound):
    values = np.asarray(values, dtype=np.float64).ravel()
    assert np.abs(values).max() <= bound
    assert abs(values.mean()) < 0.05 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound / math.sqrt(3)


def test_linear_parameters_and_default_init():
    layer = nn.Linear(256, 512)
    assert [(n, p.shape, p.dtype) for n, p in layer.named_parameters()] == [
        ("weight", (512, 256), np.float32),
        ("bias", (512,), np.float32),
    ]
    _uniform_stats(layer.weight.data, 1 / 16)  # kaiming_uniform_(a=sqrt(5)): 1/sqrt(fan_in)
    assert np.abs(layer.bias.data).max() <= 1 / 16 and layer.bias.data.std() > 0.025
    assert nn.Linear(3, 2, bias=False).bias is None
    assert [n for n, _ in nn.Linear(3, 2, bias=False).named_parameters()] == ["weight"]


def test_conv_parameters_and_default_init():
    layer = nn.Conv2d(16, 32, 3, stride=2, padding=1)
    assert layer.weight.shape == (32, 16, 3, 3) and layer.bias.shape == (32,)
    assert layer.weight.dtype == np.float32
    _uniform_stats(layer.weight.data, 1 / 12)  # fan_in = 16 * 3 * 3 = 144
    assert np.abs(layer.bias.data).max() <= 1 / 12
    assert layer.kernel_size == (3, 3) and layer.stride == (2, 2) and layer.padding == (1, 1)
    assert nn.Conv2d(1, 2, (3, 5), bias=False).weight.shape == (2, 1, 3, 5)


def test_default_init_has_torch_statistics():
    torch = torch_or_skip()
    ours, theirs = nn.Linear(400, 300).weight.data, torch.nn.Linear(400, 300).weight.detach()
    assert abs(ours.std() - float(theirs.std())) < 0.02 * float(theirs.std())
    assert abs(np.abs(ours).max() - float(theirs.abs().max())) < 1e-3


@pytest.mark.parametrize(
    "layer, params, buffers",
    [
        (nn.BatchNorm1d(5), {"weight": 1, "bias": 0}, {"running_mean": 0, "running_var": 1}),
        (nn.BatchNorm2d(5), {"weight": 1, "bias": 0}, {"running_mean": 0, "running_var": 1}),
        (nn.LayerNorm(5), {"weight": 1, "bias": 0}, {}),
        (nn.GroupNorm(5, 5), {"weight": 1, "bias": 0}, {}),
        (nn.InstanceNorm2d(5, affine=True), {"weight": 1, "bias": 0}, {}),
        (nn.InstanceNorm2d(5), {}, {}),
        (
            nn.SwitchableNorm2d(5),
            {"weight": 1, "bias": 0, "mean_weight": 1, "var_weight": 1},
            {"running_mean": 0, "running_var": 1},
        ),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "",
)
def test_norm_layers_start_at_ones_and_zeros(layer, params, buffers):
    assert [n for n, _ in layer.named_parameters()] == list(params)
    for name, value in params.items():
        p = getattr(layer, name)
        assert p.dtype == np.float32 and np.all(p.data == value), name
        assert p.shape == ((3,) if name.endswith("_weight") else (5,))
    float_buffers = {n: b for n, b in layer.named_buffers() if n != "num_batches_tracked"}
    assert list(float_buffers) == list(buffers)
    for name, value in buffers.items():
        assert float_buffers[name].shape == (5,) and np.all(float_buffers[name].data == value)
        assert not float_buffers[name].requires_grad


def test_batchnorm_counter_buffer():
    bn = nn.BatchNorm1d(3)
    assert bn.num_batches_tracked.shape == () and bn.num_batches_tracked.dtype == np.int64
    assert list(bn.state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked",
    ]  # fmt: skip
    untracked = nn.BatchNorm1d(3, track_running_stats=False)
    assert list(untracked.state_dict()) == ["weight", "bias"]


# -- switchable norm (no PyTorch twin: checked against F.switchable_norm) -------------------


def test_switchable_norm_forwards_to_the_function(impl):
    layer = nn.SwitchableNorm2d(3, eps=1e-4, momentum=0.2, impl=impl).double()
    nn.init.normal_(layer.mean_weight)
    nn.init.normal_(layer.var_weight)
    nn.init.normal_(layer.weight)
    x = Tensor(_input((4, 3, 5, 5)), requires_grad=True)
    rm, rv = Tensor(np.zeros(3)), Tensor(np.ones(3))
    expected = F.switchable_norm(
        x, layer.mean_weight, layer.var_weight, rm, rv, layer.weight, layer.bias,
        training=True, momentum=0.2, eps=1e-4, impl=impl,
    )  # fmt: skip
    out = layer(x)
    np.testing.assert_allclose(out.data, expected.data, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.running_mean.data, rm.data, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(layer.running_var.data, rv.data, rtol=1e-12)
    assert not np.allclose(layer.running_var.data, 1.0)  # they moved
    out.sum().backward()
    assert all(p.grad is not None for p in layer.parameters())
    layer.eval()
    before = layer.running_mean.data.copy()
    layer(x)
    np.testing.assert_array_equal(layer.running_mean.data, before)


# -- dropout --------------------------------------------------------------------------------


def test_dropout_drops_in_training_and_is_identity_in_eval():
    layer = nn.Dropout(0.3)
    x = Tensor(np.ones((200, 100)))
    out = layer(x).data
    assert abs((out == 0).mean() - 0.3) < 0.02
    np.testing.assert_allclose(out[out != 0], 1 / 0.7)
    assert layer.eval()(x) is x
    autograd.manual_seed(4)
    a = nn.Dropout(0.5).train()(x).data
    autograd.manual_seed(4)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).data, a)


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5"])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match="probability to drop"):
        nn.Dropout(p)


# -- losses ---------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_layers_match_torch(reduction, impl):
    torch = torch_or_skip()
    logits = np.random.default_rng(0).standard_normal((6, 4))
    y = np.array([0, 3, 1, 1, 2, 0])
    ce = nn.CrossEntropyLoss(reduction=reduction, impl=impl)(Tensor(logits), y)
    ce_t = torch.nn.CrossEntropyLoss(reduction=reduction)(torch.tensor(logits), torch.tensor(y))
    np.testing.assert_allclose(ce.data, ce_t.numpy(), rtol=1e-12)
    target = np.random.default_rng(1).standard_normal((6, 4))
    mse = nn.MSELoss(reduction=reduction)(Tensor(logits), Tensor(target))
    mse_t = torch.nn.MSELoss(reduction=reduction)(torch.tensor(logits), torch.tensor(target))
    np.testing.assert_allclose(mse.data, mse_t.numpy(), rtol=1e-12)


def test_loss_layers_check_reduction_and_repr():
    with pytest.raises(ValueError, match="reduction must be"):
        nn.CrossEntropyLoss(reduction="avg")
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"


# -- input validation and constructor errors ------------------------------------------------


@pytest.mark.parametrize(
    "layer, shape, message",
    [
        (
            nn.Conv2d(3, 32, 5), (8, 1, 28, 28),
            "Conv2d(3, 32, kernel_size=(5, 5)): expected input (N, 3, H, W), got (8, 1, 28, 28)",
        ),
        (nn.Conv2d(3, 8, 5), (2, 3, 28), "expected input (N, 3, H, W), got (2, 3, 28)"),
        (nn.Conv2d(3, 8, 5, padding=1), (2, 3, 2, 9), "with H >= 3 and W >= 3, got (2, 3, 2, 9)"),
        (
            nn.Linear(32, 10), (8, 64),
            "Linear(in_features=32, out_features=10, bias=True): expected input (*, 32), "
            "got (8, 64)",
        ),
        (nn.BatchNorm1d(4), (2, 5), "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, "
                                    "track_running_stats=True): expected input (N, 4) or "
                                    "(N, 4, L)"),
        (nn.BatchNorm2d(16), (8, 16), "expected input (N, 16, H, W), got (8, 16)"),
        (nn.LayerNorm(64), (8, 32), "LayerNorm((64,), eps=1e-05, elementwise_affine=True): "
                                    "expected input (N, *, 64), got (8, 32)"),
        (nn.GroupNorm(2, 4), (2, 6, 3, 3), "expected input (N, 4, H, W), got (2, 6, 3, 3)"),
        (nn.InstanceNorm2d(3), (2, 4, 3, 3), "expected input (N, 3, H, W)"),
        (nn.SwitchableNorm2d(3), (2, 3, 3), "expected input (N, 3, H, W)"),
        (nn.MaxPool2d(2), (3, 4, 4), "MaxPool2d(kernel_size=2, stride=2, padding=0): expected"),
        (nn.AvgPool2d(3), (1, 1, 2, 8), "with H >= 3 and W >= 3"),
        (nn.AdaptiveAvgPool2d(1), (3, 4), "expected input (N, C, H, W), got (3, 4)"),
        (nn.Flatten(2), (3, 4), "Flatten(start_axis=2): expected input with more than 2 axes"),
    ],
)  # fmt: skip
def test_layers_say_what_input_they_expected(layer, shape, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        layer(Tensor(np.zeros(shape, dtype=np.float32)))


def test_layers_want_tensors():
    with pytest.raises(TypeError, match=r"Linear\(.*\): expected a Tensor, got ndarray"):
        nn.Linear(2, 2)(np.zeros((1, 2)))


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.Conv2d(3, 4, 3, impl="fast"), ValueError, "Conv2d: impl must be"),
        (lambda: nn.BatchNorm2d(3, impl="x"), ValueError, "BatchNorm2d: impl must be"),
        (lambda: nn.MaxPool2d(2, impl="x"), ValueError, "MaxPool2d: impl must be"),
        (lambda: nn.Conv2d(3, 4, 0), ValueError, "kernel_size must be >= 1"),
        (lambda: nn.Conv2d(3, 4, 3, stride=0), ValueError, "stride must be >= 1"),
        (lambda: nn.Conv2d(3, 4, "3"), TypeError, "kernel_size must be an int or a pair"),
        (lambda: nn.Linear(0, 3), ValueError, "in_features must be a positive int"),
        (lambda: nn.Linear(2.5, 3), ValueError, "in_features must be a positive int"),
        (lambda: nn.GroupNorm(3, 4), ValueError, r"num_channels \(4\) must be divisible"),
        (lambda: nn.LayerNorm((3, 0)), ValueError, "normalized_shape must be a positive int"),
    ],
)
def test_constructors_check_their_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_layer_reprs():
    assert repr(nn.Conv2d(3, 32, 5)) == "Conv2d(3, 32, kernel_size=(5, 5))"
    assert (
        repr(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False, impl="composed"))
        == "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False, "
        "impl='composed')"
    )
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"
    assert repr(nn.GroupNorm(32, 64)) == "GroupNorm(32, 64, eps=1e-05, affine=True)"
    assert repr(nn.InstanceNorm2d(8)) == "InstanceNorm2d(8, eps=1e-05, affine=False)"
    assert repr(nn.SwitchableNorm2d(8)) == "SwitchableNorm2d(8, eps=1e-05, momentum=0.1)"
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.Softmax()) == "Softmax(axis=-1)"
    assert repr(nn.Identity()) == "Identity()"


# -- nn.init --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "nonlinearity, param",
    [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
     ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None)],
)  # fmt: skip
def test_calculate_gain_matches_torch(nonlinearity, param):
    torch = torch_or_skip()
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12
    )


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'gelu'"):
        nn.init.calculate_gain("gelu")


SHAPE = (200, 30, 3, 3)  # fan_in 270, fan_out 1800
FAN_IN, FAN_OUT = 270, 1800


@pytest.mark.parametrize(
    "fill, kind, spread",
    [
        (lambda t: nn.init.uniform_(t, -0.3, 0.5), "uniform", (-0.3, 0.5)),
        (lambda t: nn.init.normal_(t, 0.2, 0.7), "normal", (0.2, 0.7)),
        (lambda t: nn.init.kaiming_uniform_(t), "uniform0", math.sqrt(2) * math.sqrt(3 / FAN_IN)),
        (lambda t: nn.init.kaiming_uniform_(t, a=math.sqrt(5)), "uniform0", 1 / math.sqrt(FAN_IN)),
        (lambda t: nn.init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"), "uniform0",
         math.sqrt(6 / FAN_OUT)),
        (lambda t: nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), "normal0",
         math.sqrt(2 / FAN_OUT)),
        (lambda t: nn.init.kaiming_normal_(t, a=0.1), "normal0", math.sqrt(2 / 1.01 / FAN_IN)),
        (lambda t: nn.init.xavier_uniform_(t, gain=2.0), "uniform0",
         2 * math.sqrt(6 / (FAN_IN + FAN_OUT))),
        (lambda t: nn.init.xavier_normal_(t), "normal0", math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ],
)  # fmt: skip
def test_random_init_statistics(fill, kind, spread):
    t = Tensor(np.zeros(SHAPE, dtype=np.float32))
    data = t.data
    assert fill(t) is t and t.data is data and t.dtype == np.float32  # in place
    values = t.data.astype(np.float64)
    if kind == "uniform":
        lo, hi = spread
        assert lo <= values.min() and values.max() <= hi
        assert abs(values.mean() - (lo + hi) / 2) < 0.01
        assert abs(values.std() - (hi - lo) / math.sqrt(12)) < 0.01 * (hi - lo)
    elif kind == "normal":
        mean, std = spread
        assert abs(values.mean() - mean) < 0.01 and abs(values.std() - std) < 0.01 * std
    elif kind == "uniform0":
        assert np.abs(values).max() <= spread * (1 + 1e-6)
        assert abs(values.std() - spread / math.sqrt(3)) < 0.01 * spread
    else:
        assert abs(values.mean()) < 0.01 * spread and abs(values.std() - spread) < 0.01 * spread


def test_constant_inits_and_dtypes():
    t = Tensor(np.zeros((3, 4)))
    assert nn.init.ones_(t) is t and np.all(t.data == 1) and t.dtype == np.float64
    assert np.all(nn.init.zeros_(t).data == 0)
    assert np.all(nn.init.constant_(t, 2.5).data == 2.5)
    p = nn.Parameter(np.zeros(3, dtype=np.float32))
    nn.init.normal_(p)  # a Parameter that requires grad can be initialised in place
    assert p.requires_grad and p.data.any() and p.grad is None


def test_init_is_reproducible_with_manual_seed():
    autograd.manual_seed(11)
    a = nn.init.kaiming_uniform_(Tensor(np.zeros((5, 5)))).data.copy()
    autograd.manual_seed(11)
    np.testing.assert_array_equal(nn.init.kaiming_uniform_(Tensor(np.zeros((5, 5)))).data, a)


def test_fan_based_inits_need_two_dims_and_a_valid_mode():
    with pytest.raises(ValueError, match="at least 2 dims"):
        nn.init.xavier_uniform_(Tensor(np.zeros(5)))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        nn.init.kaiming_normal_(Tensor(np.zeros((2, 2))), mode="fan_avg")
    with pytest.raises(TypeError, match="expected a Tensor"):
        nn.init.zeros_(np.zeros(3))


# -- nn.utils.clip_grad_norm_ ---------------------------------------------------------------


@pytest.mark.parametrize(
    "max_norm, norm_type", [(0.5, 2.0), (100.0, 2.0), (0.3, math.inf), (1.0, 1.0)]
)
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s) for s in [(3, 4), (5,), (2, 2, 2)]]
    params = [nn.Parameter(np.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = Tensor(g.copy())
    params.append(nn.Parameter(np.zeros(2)))  # no grad: skipped
    tparams = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(tparams, grads):
        p.grad = torch.tensor(g)
    total = nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(tparams, max_norm, norm_type=norm_type)
    assert isinstance(total, Tensor) and total.shape == ()
    assert float(total) == pytest.approx(float(total_t), rel=1e-12)
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_accepts_a_single_tensor_and_no_grads():
    p = nn.Parameter(np.array([3.0, 4.0]))
    p.grad = Tensor(np.array([3.0, 4.0]))
    assert float(nn.utils.clip_grad_norm_(p, 1.0)) == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.data, np.array([3.0, 4.0]) / (5.0 + 1e-6))
    assert float(nn.utils.clip_grad_norm_([nn.Parameter(np.zeros(2))], 1.0)) == 0.0
