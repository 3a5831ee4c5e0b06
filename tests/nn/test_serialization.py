"""nn.save / nn.load: round trips, resuming training exactly, atomic writes, bad files."""

import os
import zipfile

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
import optim
from autograd import Tensor


def test_round_trip_keeps_values_types_and_nesting(tmp_path):
    state = {
        "model": {"fc.weight": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.array(3)},
        "optimizer": {
            "state": {0: {"step": 4, "exp_avg": np.zeros(3)}, 1: {"step": 4}},
            "param_groups": [
                {"lr": 0.1, "betas": (0.9, 0.999), "nesterov": False, "params": [0, 1]}
            ],
        },
        "epoch": 7,
        "best": float("inf"),
        "name": "résumé/1",
        "note": None,
        "history": [1.5, 2, True],
        "scalar": np.float32(2.5),
        "0": np.zeros(1),
        0: np.ones(1),
        "file": np.arange(2),  # np.savez would take this for its own argument
        "empty": {},
    }
    path = tmp_path / "ckpt.npz"
    nn.save(state, path)
    back = nn.load(path)
    assert list(back) == list(state)
    np.testing.assert_array_equal(back["model"]["fc.weight"], state["model"]["fc.weight"])
    assert back["model"]["fc.weight"].dtype == np.float32
    assert back["model"]["n"].shape == () and back["model"]["n"].dtype == state["model"]["n"].dtype
    assert back["optimizer"]["param_groups"] == state["optimizer"]["param_groups"]
    assert isinstance(back["optimizer"]["param_groups"][0]["betas"], tuple)
    assert list(back["optimizer"]["state"]) == [0, 1]  # int keys stay ints
    assert back["optimizer"]["state"][1] == {"step": 4}
    assert back["epoch"] == 7 and isinstance(back["epoch"], int)
    assert back["best"] == float("inf") and back["name"] == "résumé/1" and back["note"] is None
    assert back["history"] == [1.5, 2, True] and isinstance(back["history"][2], bool)
    assert back["scalar"] == np.float32(2.5) and isinstance(back["scalar"], np.float32)
    np.testing.assert_array_equal(back["0"], [0.0])
    np.testing.assert_array_equal(back[0], [1.0])
    np.testing.assert_array_equal(back["file"], [0, 1])
    assert back["empty"] == {}


def test_the_file_is_a_plain_npz_readable_without_pickle(tmp_path):
    path = tmp_path / "m.npz"
    nn.save({"model": nn.Linear(3, 2).state_dict()}, path)
    with np.load(path, allow_pickle=False) as archive:
        assert "model/weight" in archive.files and "model/bias" in archive.files
        assert archive["model/weight"].shape == (2, 3)


def test_tensors_are_saved_as_arrays(tmp_path):
    nn.save({"t": Tensor(np.ones(2))}, tmp_path / "t.npz")
    back = nn.load(tmp_path / "t.npz")["t"]
    assert isinstance(back, np.ndarray) and back.tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    "state, where",
    [
        ({"a": {"b": object()}}, "a/b"),
        ({"a": np.array([object()])}, "a"),
        ({(1, 2): 3}, "/"),
        ({"a": [1, {2.5: 1}]}, "a/1"),
    ],
)
def test_unsupported_values_raise_type_error_naming_where(tmp_path, state, where):
    with pytest.raises(TypeError, match=f"at {where}"):
        nn.save(state, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


def _train_steps(model, opt, batches):
    for x, y in batches:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()


def _batches(n, seed):
    rng = np.random.default_rng(seed)
    return [
        (Tensor(rng.standard_normal((8, 12)).astype(np.float32)), rng.integers(0, 4, 8))
        for _ in range(n)
    ]


@pytest.mark.parametrize("normalization", [None, "batchnorm"])
def test_resuming_from_a_checkpoint_is_bit_for_bit(tmp_path, normalization):
    def build():
        autograd.manual_seed(5)
        model = nn.models.FullyConnectedNet(
            [16, 16], input_dim=12, num_classes=4, normalization=normalization
        )
        return model, optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)

    batches = _batches(10, seed=1)
    model, opt = build()
    _train_steps(model, opt, batches)  # never stopped

    model_a, opt_a = build()
    _train_steps(model_a, opt_a, batches[:4])
    nn.save({"model": model_a.state_dict(), "optimizer": opt_a.state_dict()}, tmp_path / "c.npz")
    del model_a, opt_a
    model_b, opt_b = build()  # a fresh process would start like this
    _train_steps(model_b, opt_b, batches[:1])  # ...and even a bit of unrelated training
    checkpoint = nn.load(tmp_path / "c.npz")
    model_b.load_state_dict(checkpoint["model"])
    opt_b.load_state_dict(checkpoint["optimizer"])
    _train_steps(model_b, opt_b, batches[4:])

    final, resumed = model.state_dict(), model_b.state_dict()
    assert list(final) == list(resumed)
    for key in final:
        np.testing.assert_array_equal(resumed[key], final[key], err_msg=key)
        assert resumed[key].dtype == final[key].dtype


def test_sgd_momentum_state_round_trips(tmp_path):
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    _train_steps(model, opt, [(Tensor(np.ones((4, 3), dtype=np.float32)), np.array([0, 1, 0, 1]))])
    nn.save(opt.state_dict(), tmp_path / "o.npz")
    back = nn.load(tmp_path / "o.npz")
    assert back["param_groups"] == opt.state_dict()["param_groups"]
    for index, entry in opt.state_dict()["state"].items():
        for key, value in entry.items():
            np.testing.assert_array_equal(back["state"][index][key], value)


# -- atomicity ------------------------------------------------------------------------------


def test_a_crash_mid_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    nn.save({"v": np.zeros(1000)}, path)
    old = path.read_bytes()

    def crash(f, arrays):
        f.write(b"PK\x03\x04 half an archive")  # some bytes reach the disk, then we die
        raise KeyboardInterrupt("simulated crash")

    monkeypatch.setattr(nn.serialization, "_write_npz", crash)
    with pytest.raises(KeyboardInterrupt):
        nn.save({"v": np.ones(1000)}, path)
    assert path.read_bytes() == old
    np.testing.assert_array_equal(nn.load(path)["v"], np.zeros(1000))
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # no temporary file left behind


def test_a_failed_rename_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    nn.save({"v": 1}, path)

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(nn.serialization.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        nn.save({"v": 2}, path)
    monkeypatch.undo()
    assert nn.load(path) == {"v": 1}
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_save_writes_through_a_temporary_file_in_the_same_folder(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((os.path.dirname(src), os.path.exists(src), os.path.exists(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(nn.serialization.os, "replace", spy)
    nn.save({"v": 1}, tmp_path / "new.npz")
    assert seen == [(str(tmp_path), True, False)]


# -- bad files ------------------------------------------------------------------------------


def test_a_truncated_file_raises_value_error_naming_the_path(tmp_path):
    path = tmp_path / "ckpt.npz"
    nn.save({"model": nn.Linear(20, 20).state_dict()}, path)
    data = path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 10):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=f"load: {path} is not a readable npgrad checkpoint"):
            nn.load(path)


def test_a_corrupt_member_raises_value_error(tmp_path):
    path = tmp_path / "ckpt.npz"
    nn.save({"v": np.arange(100.0)}, path)
    with zipfile.ZipFile(path) as zf:
        offset = zf.getinfo("v.npy").header_offset
    data = bytearray(path.read_bytes())
    data[offset + 40 : offset + 60] = b"\xff" * 20  # the member's local header and .npy header
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=str(path)):
        nn.load(path)


@pytest.mark.parametrize("kind", ["npy", "plain_npz", "text", "empty", "bad_header"])
def test_a_foreign_file_raises_value_error_naming_the_path(tmp_path, kind):
    path = tmp_path / f"foreign.{kind}"
    if kind == "npy":
        with open(path, "wb") as f:
            np.save(f, np.zeros(3))
    elif kind == "plain_npz":
        with open(path, "wb") as f:
            np.savez(f, x=np.zeros(3))
    elif kind == "text":
        path.write_text("hello, I am not a checkpoint\n")
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        with open(path, "wb") as f:
            np.savez(f, __npgrad__=np.array('{"format": "something-else"}'))
    with pytest.raises(ValueError, match=f"load: {path} is not a readable npgrad checkpoint"):
        nn.load(path)


def test_a_pickle_in_disguise_is_refused_without_suggesting_to_unpickle(tmp_path):
    import pickle

    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError) as info:
        nn.load(path)
    assert str(path) in str(info.value) and "allow_pickle" not in str(info.value)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nope.npz")
