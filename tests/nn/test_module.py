"""nn.Module and nn.Parameter: registration, traversal, modes, state dicts and repr."""

import copy
import re

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from tests.helpers import torch_or_skip


class Block(nn.Module):
    """A small nested module used throughout: a Linear, a buffer and a Sequential."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.register_buffer("steps", np.zeros((), dtype=np.int64))
        self.scale = nn.Parameter(np.ones(3, dtype=np.float32))
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(3, 2, bias=False))

    def forward(self, x):
        return self.head(self.fc(x) * self.scale)


def torch_block():
    """The PyTorch twin of ``Block`` (same names, same registration order)."""
    torch = torch_or_skip()

    class TorchBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(4, 3)
            self.register_buffer("steps", torch.zeros((), dtype=torch.int64))
            self.scale = torch.nn.Parameter(torch.ones(3))
            self.head = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 2, bias=False))

    return TorchBlock()


# -- Parameter ------------------------------------------------------------------------------


def test_parameter_is_a_tensor_that_requires_grad_and_shares_data():
    data = np.arange(6, dtype=np.float64).reshape(2, 3)
    p = nn.Parameter(data)
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf
    assert p.data is data and p.dtype == np.float64
    assert nn.Parameter([1.0, 2.0]).dtype == np.float32
    assert repr(p).startswith("Parameter containing:\nTensor(")
    assert nn.Parameter().shape == (0,)
    assert not nn.Parameter(data, requires_grad=False).requires_grad


def test_parameter_of_integers_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        nn.Parameter(np.arange(3))


def test_parameter_ops_give_plain_tensors_and_grads_flow():
    p = nn.Parameter(np.array([1.0, 2.0]))
    y = (p * p).sum()
    assert type(y) is Tensor
    y.backward()
    np.testing.assert_array_equal(p.grad.data, [2.0, 4.0])


# -- registration ---------------------------------------------------------------------------


def test_parameters_and_modules_register_in_assignment_order():
    m = Block()
    assert list(m._parameters) == ["scale"]
    assert list(m._modules) == ["fc", "head"]
    assert [n for n, _ in m.named_parameters()] == [
        "scale",
        "fc.weight",
        "fc.bias",
        "head.1.weight",
    ]
    assert [n for n, _ in m.named_buffers()] == ["steps"]
    assert [n for n, _ in m.named_children()] == ["fc", "head"]
    assert [n for n, _ in m.named_modules()] == ["", "fc", "head", "head.0", "head.1"]
    assert list(m.children()) == [m.fc, m.head]
    assert len(list(m.modules())) == 5
    assert m.parameters is not None and len(list(m.parameters())) == 4
    assert len(list(m.parameters(recurse=False))) == 1


def test_named_parameters_match_torch():
    m, t = Block(), torch_block()
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in m.named_modules()] == [n for n, _ in t.named_modules()]


def test_reassignment_keeps_the_place_and_replaces_the_value():
    m = Block()
    new = nn.Parameter(np.zeros(3, dtype=np.float32))
    m.scale = new
    assert m.scale is new and list(m._parameters) == ["scale"]
    m.fc = nn.Linear(4, 3, bias=False)
    assert [n for n, _ in m.named_children()] == ["fc", "head"]
    assert "fc.bias" not in dict(m.named_parameters())
    m.scale = None  # allowed, as in PyTorch: the name stays registered without a value
    assert m.scale is None and "scale" not in m.state_dict()


def test_a_plain_attribute_can_become_a_module_and_back_is_refused():
    m = nn.Module()
    m.thing = 3
    m.thing = nn.ReLU()
    assert "thing" in m._modules and "thing" not in m.__dict__
    with pytest.raises(TypeError, match="child module 'thing'"):
        m.thing = 3


def test_assigning_a_plain_tensor_to_a_parameter_name_is_refused():
    m = Block()
    with pytest.raises(TypeError, match=r"parameter 'scale'.*nn.Parameter"):
        m.scale = Tensor(np.ones(3))
    m.other = Tensor(np.ones(3))  # a new name: a plain attribute, as in PyTorch
    assert "other" not in dict(m.named_parameters())


def test_deleting_unregisters():
    m = Block()
    del m.scale
    del m.head
    del m.steps
    assert [n for n, _ in m.named_parameters()] == ["fc.weight", "fc.bias"]
    assert list(m.state_dict()) == ["fc.weight", "fc.bias"]
    with pytest.raises(AttributeError, match="has no attribute 'head'"):
        m.head  # noqa: B018
    m.plain = 1
    del m.plain
    assert not hasattr(m, "plain")


def test_assigning_before_super_init_says_what_to_do():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_register_buffer():
    m = nn.Module()
    m.register_buffer("a", np.arange(3.0))
    m.register_buffer("b", Tensor(np.ones(2)))
    m.register_buffer("c", None)
    assert isinstance(m.a, Tensor) and not m.a.requires_grad
    assert list(m.state_dict()) == ["a", "b"]
    m.c = Tensor(np.zeros(1))  # a registered buffer name takes Tensors by assignment
    assert list(m.state_dict()) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="must not require grad"):
        m.register_buffer("d", Tensor(np.ones(2), requires_grad=True))
    with pytest.raises(TypeError, match="buffer 'a'"):
        m.a = [1, 2]
    with pytest.raises(KeyError, match="no '.'"):
        m.register_buffer("x.y", None)
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("train", None)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        nn.Linear(2, 2).register_buffer("weight", None)
    with pytest.raises(KeyError, match="attribute 'a' already exists"):
        m.register_parameter("a", None)


def test_shared_parameters_are_listed_once_but_keyed_twice_like_torch():
    torch = torch_or_skip()
    shared = nn.Linear(3, 3)
    m = nn.Sequential(shared, nn.ReLU(), shared)
    t_shared = torch.nn.Linear(3, 3)
    t = torch.nn.Sequential(t_shared, torch.nn.ReLU(), t_shared)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert len(list(m.parameters())) == 2
    assert list(m.state_dict()) == list(t.state_dict())
    assert [n for n, _ in m.named_modules()] == [n for n, _ in t.named_modules()]


def test_forward_is_required():
    with pytest.raises(NotImplementedError, match="Module does not implement forward"):
        nn.Module()(1)


# -- modes and bulk operations --------------------------------------------------------------


def test_train_and_eval_propagate_and_return_self():
    m = Block()
    assert all(mod.training for mod in m.modules())
    assert m.eval() is m
    assert not any(mod.training for mod in m.modules())
    assert m.train() is m and all(mod.training for mod in m.modules())
    assert m.train(False) is m and not m.head[1].training
    with pytest.raises(TypeError, match="bool"):
        m.train("no")


def test_zero_grad_sets_grads_to_none():
    m = Block()
    m(Tensor(np.ones((2, 4), dtype=np.float32))).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m(Tensor(np.ones((2, 4), dtype=np.float32))).sum().backward()
    m.zero_grad(set_to_none=False)
    assert all(not p.grad.data.any() for p in m.parameters())


def test_apply_visits_children_first_and_returns_self():
    m = Block()
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "Block"]


def test_to_double_casts_parameters_and_float_buffers_only():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    params = list(m.parameters())
    assert m.double() is m
    assert [p.dtype for p in m.parameters()] == [np.float64] * 4
    assert all(a is b for a, b in zip(params, m.parameters()))  # the same Parameter objects
    assert m[1].running_mean.dtype == np.float64
    assert m[1].num_batches_tracked.dtype == np.int64
    assert m.float()[0].weight.dtype == np.float32
    with pytest.raises(TypeError, match="floating-point"):
        m.to(np.int32)


def test_requires_grad_switch():
    m = Block()
    assert m.requires_grad_(False) is m
    assert not any(p.requires_grad for p in m.parameters())


def test_deepcopy_gives_an_independent_module():
    m = Block()
    c = copy.deepcopy(m)
    c.fc.weight.data[...] = 0
    assert m.fc.weight.data.any()
    assert [n for n, _ in c.named_parameters()] == [n for n, _ in m.named_parameters()]


# -- state dicts ----------------------------------------------------------------------------


def test_state_dict_keys_order_and_dtypes_match_torch():
    m, t = Block(), torch_block()
    sd, tsd = m.state_dict(), t.state_dict()
    assert list(sd) == list(tsd)
    for key in sd:
        assert sd[key].shape == tuple(tsd[key].shape), key
        assert sd[key].dtype == tsd[key].numpy().dtype, key


def test_state_dict_holds_copies():
    m = Block()
    sd = m.state_dict()
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    sd["fc.weight"][...] = 123.0
    assert not np.any(m.fc.weight.data == 123.0)


def test_load_state_dict_round_trip_and_from_torch():
    torch = torch_or_skip()
    m, t = Block(), torch_block()
    with torch.no_grad():
        t.scale.mul_(3.0)
        t.steps.fill_(7)
    result = m.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    for key, value in t.state_dict().items():
        np.testing.assert_array_equal(m.state_dict()[key], value.numpy())
    other = Block()
    other.load_state_dict(m.state_dict())
    for (k, a), (_, b) in zip(m.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=k)


def test_load_state_dict_copies_in_place_keeping_dtype_and_accepts_tensors():
    m = Block()
    weight = m.fc.weight
    array = weight.data
    values = {k: Tensor(v.astype(np.float64) + 1) if v.dtype.kind == "f" else v
              for k, v in m.state_dict().items()}  # fmt: skip
    m.load_state_dict(values)
    assert m.fc.weight is weight and m.fc.weight.data is array  # the same array, updated
    assert m.fc.weight.dtype == np.float32
    np.testing.assert_allclose(m.fc.weight.data, values["fc.weight"].data, rtol=1e-6)
    values["fc.weight"].data[...] = 0  # no aliasing with the source
    assert m.fc.weight.data.any()


def test_load_state_dict_reports_every_problem_at_once_and_changes_nothing():
    m = nn.Sequential()
    m.fc = nn.Linear(32, 10)
    before = m.state_dict()
    bad = {"fc.weight": np.zeros((10, 64), dtype=np.float32), "fc.b": np.zeros(10)}
    message = (
        "load_state_dict: missing ['fc.bias']; unexpected ['fc.b']; "
        "fc.weight (10, 64) vs model (10, 32)"
    )
    with pytest.raises(RuntimeError, match=re.escape(message)):
        m.load_state_dict(bad)
    for key, value in m.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_load_state_dict_shape_errors_leave_earlier_keys_untouched():
    m = Block()
    before = m.state_dict()
    bad = {k: np.full_like(v, 5) for k, v in before.items()}
    bad["head.1.weight"] = np.zeros((9, 9), dtype=np.float32)  # the last key is wrong
    with pytest.raises(RuntimeError, match=re.escape("head.1.weight (9, 9) vs model (2, 3)")):
        m.load_state_dict(bad)
    np.testing.assert_array_equal(m.state_dict()["fc.weight"], before["fc.weight"])


def test_load_state_dict_refuses_float_into_int():
    m = Block()
    sd = m.state_dict()
    sd["steps"] = np.array(2.5)
    with pytest.raises(RuntimeError, match="steps dtype float64 vs model int64"):
        m.load_state_dict(sd)


def test_load_state_dict_non_strict_reports_but_shape_errors_still_raise():
    m = Block()
    sd = m.state_dict()
    del sd["fc.bias"]
    sd["extra"] = np.zeros(1)
    sd["scale"] = np.full(3, 2.0, dtype=np.float32)
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc.bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(m.scale.data, [2.0, 2.0, 2.0])
    sd["scale"] = np.zeros(4)
    with pytest.raises(RuntimeError, match=r"scale \(4,\) vs model \(3,\)"):
        m.load_state_dict(sd, strict=False)


def test_load_state_dict_bumps_versions_so_stale_graphs_refuse_backward():
    m = Block()
    y = (m.scale * m.scale).sum()  # mul saves scale
    m.load_state_dict(m.state_dict())
    with pytest.raises(RuntimeError, match="version"):
        y.backward()


# -- repr -----------------------------------------------------------------------------------


def test_repr_is_nested_and_matches_torch_for_common_layers():
    torch = torch_or_skip()
    m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Sequential(nn.Tanh(), nn.Sigmoid()))
    t = torch.nn.Sequential(
        torch.nn.Linear(4, 3),
        torch.nn.ReLU(),
        torch.nn.Sequential(torch.nn.Tanh(), torch.nn.Sigmoid()),
    )
    assert repr(m) == repr(t)


def test_repr_of_a_custom_module():
    expected = """Block(
  (fc): Linear(in_features=4, out_features=3, bias=True)
  (head): Sequential(
    (0): ReLU()
    (1): Linear(in_features=3, out_features=2, bias=False)
  )
)"""
    assert repr(Block()) == expected


def test_repr_with_multiline_extra_repr():
    class Two(nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"

    assert repr(Two()) == "Two(\n  a=1\n  b=2\n)"


# -- containers -----------------------------------------------------------------------------


def test_sequential_indexing_len_iteration_and_append():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    s = nn.Sequential(a, b)
    assert len(s) == 2 and s[0] is a and s[-1] is b and list(s) == [a, b]
    s.append(c)
    assert [n for n, _ in s.named_children()] == ["0", "1", "2"]
    tail = s[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == [b, c]
    assert [n for n, _ in tail.named_children()] == ["1", "2"]  # names kept, as PyTorch
    s[1] = nn.Tanh()
    assert isinstance(s[1], nn.Tanh)
    with pytest.raises(IndexError, match="out of range"):
        s[3]  # noqa: B018
    del s[0]
    assert len(s) == 2
    x = Tensor(np.ones((5, 3), dtype=np.float32))
    assert s(x).shape == (5, 1)


def test_sequential_from_an_ordered_dict():
    from collections import OrderedDict

    s = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(s.state_dict()) == ["fc.weight", "fc.bias"]
    assert isinstance(s[1], nn.ReLU)
    with pytest.raises(TypeError, match="expected Modules"):
        nn.Sequential(nn.ReLU(), "relu")


def test_module_list_registers_its_modules():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    owner = nn.Module()
    owner.layers = layers
    assert len(list(owner.parameters())) == 6
    assert list(owner.state_dict())[:2] == ["layers.0.weight", "layers.0.bias"]
    layers.append(nn.ReLU())
    layers.insert(0, nn.Tanh())
    assert [type(m).__name__ for m in layers] == ["Tanh", "Linear", "Linear", "Linear", "ReLU"]
    del layers[0]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2", "3"]
    assert isinstance(layers[1:], nn.ModuleList) and len(layers[1:]) == 3
    layers[0] = nn.Sigmoid()
    assert isinstance(layers[0], nn.Sigmoid)
    with pytest.raises(NotImplementedError):
        layers(1)


def test_manual_seed_makes_models_reproducible():
    autograd.manual_seed(3)
    a = Block().state_dict()
    autograd.manual_seed(3)
    b = Block().state_dict()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["fc.weight"], Block().state_dict()["fc.weight"])
