"""Tests for optim: trajectories against PyTorch, param groups, state dicts, schedulers, errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import optim
from autograd import Tensor
from optim.lr_scheduler import CosineAnnealingLR, StepLR

SHAPES = [(3, 4), (5,)]
N_STEPS = 20

# (optimizer name, constructor kwargs); the same kwargs go to torch.optim.
CASES = {
    "sgd": ("SGD", dict(lr=0.1)),
    "sgd_momentum": ("SGD", dict(lr=0.1, momentum=0.9)),
    "sgd_dampening": ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    "sgd_nesterov": ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    "sgd_weight_decay": ("SGD", dict(lr=0.1, weight_decay=0.05)),
    "sgd_momentum_weight_decay": ("SGD", dict(lr=0.1, momentum=0.8, weight_decay=0.05)),
    "adagrad": ("Adagrad", dict(lr=0.1)),
    "adagrad_defaults": ("Adagrad", dict()),
    "adagrad_weight_decay": ("Adagrad", dict(lr=0.1, weight_decay=0.1, eps=1e-6)),
    "rmsprop": ("RMSprop", dict(lr=0.01)),
    "rmsprop_defaults": ("RMSprop", dict()),
    "rmsprop_momentum": ("RMSprop", dict(lr=0.01, momentum=0.9, alpha=0.9)),
    "rmsprop_weight_decay": ("RMSprop", dict(lr=0.01, weight_decay=0.1)),
    "rmsprop_momentum_weight_decay": ("RMSprop", dict(lr=0.01, momentum=0.5, weight_decay=0.1)),
    "adam": ("Adam", dict(lr=0.05)),
    "adam_defaults": ("Adam", dict()),
    "adam_betas_eps": ("Adam", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-4)),
    "adam_weight_decay": ("Adam", dict(lr=0.05, weight_decay=0.1)),
    "adamw": ("AdamW", dict(lr=0.05)),
    "adamw_defaults": ("AdamW", dict()),
    "adamw_weight_decay": ("AdamW", dict(lr=0.05, weight_decay=0.3, betas=(0.5, 0.9))),
}
STATEFUL = [name for name in CASES if name not in ("sgd", "sgd_weight_decay")]


def _initial_arrays(dtype=np.float64):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def _grad_sequence(n_steps, dtype=np.float64):
    rng = np.random.default_rng(1)
    return [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(n_steps)]


def _make(name, kwargs, dtype=np.float64):
    params = [Tensor(a, requires_grad=True) for a in _initial_arrays(dtype)]
    return params, getattr(optim, name)(params, **kwargs)


def _run(opt, params, grads_seq):
    for grads in grads_seq:
        for p, g in zip(params, grads, strict=True):
            p.grad = None if g is None else Tensor(g.copy())
        opt.step()


def _compare_with_torch(name, kwargs, groups=None, skip=(), n_steps=N_STEPS):
    """Step npgrad and PyTorch side by side on the same grads; assert agreement each step.

    groups: per-parameter override dicts (one param group each); skip: (step, index) pairs
    whose grad is left None.
    """
    torch = pytest.importorskip("torch")
    start = _initial_arrays()
    ours = [Tensor(a.copy(), requires_grad=True) for a in start]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in start]

    def arrange(ps):
        if groups is None:
            return ps
        return [{"params": [p], **over} for p, over in zip(ps, groups, strict=True)]

    opt = getattr(optim, name)(arrange(ours), **kwargs)
    ref = getattr(torch.optim, name)(arrange(theirs), **kwargs)
    for t, grads in enumerate(_grad_sequence(n_steps), start=1):
        for i, (p, q, g) in enumerate(zip(ours, theirs, grads, strict=True)):
            missing = (t, i) in skip
            p.grad = None if missing else Tensor(g.copy())
            q.grad = None if missing else torch.tensor(g)
        opt.step()
        ref.step()
        for i, (p, q) in enumerate(zip(ours, theirs, strict=True)):
            assert p.data.dtype == np.float64
            np.testing.assert_allclose(
                p.data, q.detach().numpy(), rtol=1e-6, atol=1e-12, err_msg=f"step {t}, param {i}"
            )
    return opt, ref, ours, theirs


# ---------------------------------------------------------------- parity with PyTorch


@pytest.mark.parametrize("case", list(CASES))
def test_trajectory_matches_torch(case):
    name, kwargs = CASES[case]
    _compare_with_torch(name, kwargs)


@pytest.mark.parametrize("case", ["sgd_momentum", "adagrad", "rmsprop_momentum", "adam", "adamw"])
def test_missing_grads_are_skipped_like_torch(case):
    name, kwargs = CASES[case]
    skip = {(t, 1) for t in range(1, N_STEPS + 1) if t % 3 == 0} | {(1, 0), (2, 0)}
    opt, _, ours, _ = _compare_with_torch(name, kwargs, skip=skip)
    if "step" in opt.state[ours[0]]:  # steps count only the updates a parameter received
        assert [opt.state[p]["step"] for p in ours] == [N_STEPS - 2, N_STEPS - 6]


def test_untouched_parameter_keeps_value_and_has_no_state():
    params, opt = _make("Adam", dict(lr=0.1))
    before = params[1].data.copy()
    _run(opt, params, [[g, None] for g, _ in _grad_sequence(3)])
    np.testing.assert_array_equal(params[1].data, before)
    assert params[1] not in opt.state and opt.state[params[0]]["step"] == 3


@pytest.mark.parametrize(
    "name, kwargs, overrides",
    [
        ("SGD", dict(lr=0.1, momentum=0.9), [{}, {"lr": 0.5, "momentum": 0.5}]),
        ("Adam", dict(lr=0.01), [{"lr": 0.1}, {"betas": (0.5, 0.6), "weight_decay": 0.1}]),
        ("RMSprop", dict(lr=0.01), [{"momentum": 0.9}, {"lr": 0.001, "alpha": 0.5}]),
    ],
)
def test_param_groups_with_their_own_hyperparameters_match_torch(name, kwargs, overrides):
    opt, ref, _, _ = _compare_with_torch(name, kwargs, groups=overrides)
    for group, ref_group in zip(opt.param_groups, ref.param_groups, strict=True):
        for key in opt.defaults:
            assert group[key] == ref_group[key], key


@pytest.mark.parametrize("case", STATEFUL)
def test_state_key_names_match_torch(case):
    name, kwargs = CASES[case]
    opt, ref, ours, theirs = _compare_with_torch(name, kwargs, n_steps=2)
    for p, q in zip(ours, theirs, strict=True):
        assert set(opt.state[p]) == set(ref.state[q])


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_defaults_match_torch(name):
    torch = pytest.importorskip("torch")
    kwargs = {"lr": 0.1} if name == "SGD" else {}
    ours = getattr(optim, name)([Tensor(np.zeros(2))], **kwargs).param_groups[0]
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    for key, value in ours.items():
        if key != "params":
            assert value == theirs.param_groups[0][key], key


# ---------------------------------------------------------------- dtypes and in-place updates


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("grad_dtype", [np.float32, np.float64])
def test_float32_parameters_stay_float32_and_are_updated_in_place(case, grad_dtype):
    name, kwargs = CASES[case]
    params, opt = _make(name, kwargs, dtype=np.float32)
    arrays = [p.data for p in params]
    _run(opt, params, _grad_sequence(3, dtype=grad_dtype))
    for p, array in zip(params, arrays, strict=True):
        assert p.data is array and p.data.dtype == np.float32 and np.isfinite(p.data).all()
    for state in opt.state.values():
        assert all(v.dtype == np.float32 for v in state.values() if isinstance(v, np.ndarray))


def test_step_never_modifies_the_grad():
    params, opt = _make("Adam", dict(lr=0.1, weight_decay=0.5))
    grads = _grad_sequence(1)[0]
    _run(opt, params, [grads])
    for p, g in zip(params, grads, strict=True):
        np.testing.assert_array_equal(p.grad.data, g)


def test_zero_grad_sets_none_by_default():
    params, opt = _make("SGD", dict(lr=0.1))
    _run(opt, params, _grad_sequence(1))
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_zero_grad_without_none_zeroes_the_arrays_in_place():
    params, opt = _make("SGD", dict(lr=0.1))
    _run(opt, params, _grad_sequence(1))
    arrays = [p.grad.data for p in params]
    opt.zero_grad(set_to_none=False)
    for p, array in zip(params, arrays, strict=True):
        assert p.grad.data is array and not array.any()


def test_closure_result_is_returned():
    params, opt = _make("SGD", dict(lr=0.1))
    assert opt.step(lambda: 3.5) == 3.5


def test_repr_lists_every_group():
    _, opt = _make("Adam", dict(lr=0.1))
    assert "Adam (" in repr(opt) and "Parameter Group 0" in repr(opt) and "lr: 0.1" in repr(opt)


# ---------------------------------------------------------------- state dicts


def _npz_roundtrip(state, path):
    """Save a nested dict of arrays and numbers to .npz without pickle and read it back."""
    flat = {}

    def walk(prefix, obj):
        items = obj.items() if isinstance(obj, dict) else None
        if items is None and isinstance(obj, list) and obj and isinstance(obj[0], dict):
            items = enumerate(obj)
        if items is None:
            flat[prefix] = np.asarray(obj)
        else:
            for key, value in items:
                walk(f"{prefix}/{key}" if prefix else str(key), value)

    walk("", state)
    np.savez(path, **flat)
    out = {}
    with np.load(path, allow_pickle=False) as archive:
        for key in archive.files:
            *parents, leaf = key.split("/")
            node = out
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = archive[key]
    if "param_groups" in out:
        out["param_groups"] = [out["param_groups"][k] for k in sorted(out["param_groups"], key=int)]
    out.setdefault("state", {})
    return out


def _assert_plain(value):
    """Assert a state-dict value is something .npz holds without pickle."""
    if isinstance(value, dict):
        for v in value.values():
            _assert_plain(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _assert_plain(v)
    else:
        assert isinstance(value, (np.ndarray, bool, int, float)), type(value)


@pytest.mark.parametrize("via_npz", [False, True], ids=["dict", "npz"])
@pytest.mark.parametrize("case", list(CASES))
def test_state_dict_round_trip_resumes_exactly(case, via_npz, tmp_path):
    name, kwargs = CASES[case]
    grads = _grad_sequence(10)
    straight, opt = _make(name, kwargs)
    _run(opt, straight, grads)

    first, opt = _make(name, kwargs)
    _run(opt, first, grads[:5])
    saved = opt.state_dict()
    _assert_plain(saved)
    if via_npz:
        saved = _npz_roundtrip(saved, tmp_path / "opt.npz")
    resumed = [Tensor(p.data.copy(), requires_grad=True) for p in first]
    fresh = getattr(optim, name)(resumed, **{**kwargs, "lr": 123.0})  # lr comes from the file
    fresh.load_state_dict(saved)
    _run(fresh, resumed, grads[5:])
    for p, q in zip(resumed, straight, strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    assert fresh.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_state_dict_layout_and_copies():
    params, opt = _make("Adam", dict(lr=0.1))
    _run(opt, params, _grad_sequence(2))
    saved = opt.state_dict()
    assert saved["param_groups"] == [
        {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "params": [0, 1]}
    ]
    assert sorted(saved["state"]) == [0, 1] and saved["state"][1]["step"] == 2
    snapshot = copy.deepcopy(saved)
    _run(opt, params, _grad_sequence(1))  # later steps must not leak into the saved copy
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], snapshot["state"][0]["exp_avg"])
    opt.load_state_dict(saved)
    saved["state"][0]["exp_avg"] += 1.0  # nor may edits to the dict leak into the optimizer
    np.testing.assert_array_equal(opt.state[params[0]]["exp_avg"], snapshot["state"][0]["exp_avg"])


def test_load_state_dict_casts_to_the_parameter_dtype():
    params, opt = _make("Adam", dict(lr=0.1))
    _run(opt, params, _grad_sequence(2))
    params32, opt32 = _make("Adam", dict(lr=0.1), dtype=np.float32)
    opt32.load_state_dict(opt.state_dict())
    assert opt32.state[params32[0]]["exp_avg"].dtype == np.float32


def _sgd_with_state(n_params=2, groups=1):
    params = [Tensor(np.ones(s), requires_grad=True) for s in SHAPES[:n_params]]
    arranged = params if groups == 1 else [{"params": [p]} for p in params]
    opt = optim.SGD(arranged, lr=0.1, momentum=0.9)
    for p in params:
        p.grad = Tensor(np.ones(p.shape))
    opt.step()
    return params, opt


@pytest.mark.parametrize(
    "make_saved, match",
    [
        (lambda: _sgd_with_state(groups=2)[1].state_dict(), "2 parameter groups"),
        (lambda: _sgd_with_state(n_params=1)[1].state_dict(), "1 parameters in the state dict"),
        (lambda: {"state": {}}, "'state' and 'param_groups'"),
        (lambda: _make("Adam", {})[1].state_dict(), r"lacks hyperparameters \['dampening'"),
    ],
)
def test_load_state_dict_rejects_a_mismatched_layout(make_saved, match):
    _, opt = _sgd_with_state()
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(make_saved())


def test_failed_load_changes_nothing():
    params, opt = _sgd_with_state()
    saved = opt.state_dict()
    saved["param_groups"][0]["lr"] = 5.0
    saved["state"][1]["momentum_buffer"] = np.zeros(7)
    before = opt.state[params[1]]["momentum_buffer"].copy()
    with pytest.raises(ValueError, match=r"momentum_buffer' of parameter 1 has shape \(7,\)"):
        opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 0.1
    np.testing.assert_array_equal(opt.state[params[1]]["momentum_buffer"], before)


# ---------------------------------------------------------------- learning-rate schedulers


def _scheduled_pair(make_ours, make_theirs):
    torch = pytest.importorskip("torch")
    ours = optim.SGD([{"params": [Tensor(np.zeros(1))]}, {"params": [Tensor(np.zeros(1))]}], 0.1)
    ours.param_groups[1]["lr"] = 0.03
    w = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    theirs = torch.optim.SGD([{"params": [w[0]]}, {"params": [w[1]], "lr": 0.03}], lr=0.1)
    return make_ours(ours), make_theirs(theirs, torch.optim.lr_scheduler)


SCHEDULERS = {
    "step_7_half": (StepLR, "StepLR", dict(step_size=7, gamma=0.5)),
    "step_3_default": (StepLR, "StepLR", dict(step_size=3)),
    "cosine_10_min": (CosineAnnealingLR, "CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),
    "cosine_7": (CosineAnnealingLR, "CosineAnnealingLR", dict(T_max=7)),
}


@pytest.mark.parametrize("case", list(SCHEDULERS))
def test_scheduler_learning_rates_match_torch_for_30_epochs(case):
    cls, torch_name, kwargs = SCHEDULERS[case]
    ours, theirs = _scheduled_pair(
        lambda opt: cls(opt, **kwargs), lambda opt, sched: getattr(sched, torch_name)(opt, **kwargs)
    )
    for epoch in range(31):
        if epoch:
            ours.optimizer.step()
            theirs.optimizer.step()
            ours.step()
            theirs.step()
        assert ours.get_last_lr() == theirs.get_last_lr(), f"epoch {epoch}"
        assert [g["lr"] for g in ours.optimizer.param_groups] == theirs.get_last_lr()


@pytest.mark.parametrize("case", list(SCHEDULERS))
def test_scheduler_state_dict_round_trip(case, tmp_path):
    cls, _, kwargs = SCHEDULERS[case]

    def fresh():
        opt = optim.SGD([Tensor(np.zeros(1))], lr=0.1)
        return opt, cls(opt, **kwargs)

    opt, sched = fresh()
    lrs = []
    for epoch in range(30):
        sched.step()
        lrs.append(sched.get_last_lr())
        if epoch == 11:
            saved_opt = _npz_roundtrip(opt.state_dict(), tmp_path / "opt.npz")
            saved_sched = sched.state_dict()
    opt, sched = fresh()
    opt.load_state_dict(saved_opt)
    sched.load_state_dict(saved_sched)
    assert sched.get_last_lr() == lrs[11]
    for epoch in range(12, 30):
        sched.step()
        assert sched.get_last_lr() == lrs[epoch]


def test_scheduler_resume_needs_initial_lr():
    opt = optim.SGD([Tensor(np.zeros(1))], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(opt, step_size=2, last_epoch=4)


@pytest.mark.parametrize(
    "build, error, match",
    [
        (lambda opt: StepLR("sgd", 3), TypeError, "expected an optim.Optimizer, got str"),
        (lambda opt: StepLR(opt, 0), ValueError, "StepLR: invalid step_size 0"),
        (lambda opt: StepLR(opt, 2.5), ValueError, "step_size must be an int"),
        (lambda opt: StepLR(opt, 2, gamma=-0.1), ValueError, "invalid gamma -0.1"),
        (lambda opt: CosineAnnealingLR(opt, 0), ValueError, "invalid T_max 0"),
        (lambda opt: CosineAnnealingLR(opt, 5, -1.0), ValueError, "invalid eta_min -1.0"),
        (lambda opt: StepLR(opt, 2).load_state_dict({}), ValueError, "missing entries"),
    ],
)
def test_scheduler_errors(build, error, match):
    opt = optim.SGD([Tensor(np.zeros(1))], lr=0.1)
    with pytest.raises(error, match=match):
        build(opt)


# ---------------------------------------------------------------- construction errors


def _p():
    return Tensor(np.zeros(3), requires_grad=True)


def _same_tensor_twice():
    p = _p()
    return [p, p]


@pytest.mark.parametrize(
    "build, error, match",
    [
        (lambda: optim.SGD([], lr=0.1), ValueError, "SGD: got an empty parameter list"),
        (lambda: optim.SGD(_p(), lr=0.1), TypeError, "got a single Tensor; wrap it in a list"),
        (lambda: optim.SGD(5, lr=0.1), TypeError, "iterable of Tensors or of dicts, got int"),
        (lambda: optim.SGD([np.zeros(3)], lr=0.1), TypeError, "parameter 0 of group 0 is a nd"),
        (lambda: optim.SGD([{"lr": 0.1}], lr=0.1), ValueError, "group 0 has no 'params'"),
        (lambda: optim.SGD([{"params": []}], lr=0.1), ValueError, "group 0 has an empty"),
        (lambda: optim.SGD([{"params": {_p()}}], 0.1), TypeError, "must be ordered, not a set"),
        (lambda: optim.SGD([{"params": [_p()]}, _p()], 0.1), TypeError, "group 1 must be a dict"),
        (lambda: optim.SGD(_same_tensor_twice(), lr=0.1), ValueError, "a parameter twice"),
        (lambda: optim.SGD([_p()], lr=-0.1), ValueError, "SGD: invalid lr -0.1"),
        (lambda: optim.SGD([_p()], lr=0.1, momentum=-1), ValueError, "invalid momentum -1"),
        (lambda: optim.SGD([_p()], lr=0.1, weight_decay=-1), ValueError, "invalid weight_decay"),
        (lambda: optim.SGD([_p()], 0.1, nesterov=True), ValueError, "nesterov momentum requires"),
        (
            lambda: optim.SGD([_p()], 0.1, momentum=0.9, dampening=0.1, nesterov=True),
            ValueError,
            "dampening=0.1",
        ),
        (lambda: optim.Adagrad([_p()], eps=-1e-3), ValueError, "Adagrad: invalid eps"),
        (lambda: optim.RMSprop([_p()], alpha=-0.5), ValueError, "RMSprop: invalid alpha -0.5"),
        (lambda: optim.Adam([_p()], betas=(1.0, 0.9)), ValueError, r"betas\[0\] 1.0.*< 1.0"),
        (lambda: optim.Adam([_p()], betas=(0.9, -0.1)), ValueError, r"invalid betas\[1\] -0.1"),
        (lambda: optim.Adam([_p()], betas=0.9), ValueError, "betas must be a pair"),
        (lambda: optim.AdamW([_p()], lr=float("nan")), ValueError, "AdamW: invalid lr nan"),
        (
            lambda: optim.Adam([{"params": [_p()], "lr": -1.0}], lr=0.1),
            ValueError,
            "Adam: invalid lr -1.0",
        ),
    ],
)
def test_construction_errors(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_parameter_shared_between_groups_is_rejected():
    p = _p()
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.Adam([{"params": [p]}, {"params": [p, _p()]}])


def test_grad_with_wrong_shape_is_reported():
    p = _p()
    p.grad = Tensor(np.zeros(4))
    with pytest.raises(ValueError, match=r"grad shape \(4,\) does not match parameter shape"):
        optim.SGD([p], lr=0.1).step()


def test_groups_get_defaults_and_a_single_tensor_is_accepted():
    p, q = _p(), _p()
    opt = optim.SGD([{"params": p, "lr": 0.5}, {"params": [q]}], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["params"][0] is p
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.1]
    assert all(g["momentum"] == 0.9 for g in opt.param_groups)


def test_base_optimizer_holds_groups_but_has_no_update_rule():
    p = _p()
    opt = optim.Optimizer([p], {"lr": 0.1})
    assert opt.param_groups[0]["lr"] == 0.1 and opt.state == {}
    opt.step()  # nothing has a gradient yet: nothing to update
    p.grad = Tensor(np.ones_like(p.data))
    with pytest.raises(NotImplementedError, match="Optimizer does not implement _update"):
        opt.step()
