"""Tests of the data package: DataLoader, transforms, CIFAR10 (on a tiny fake), Digits, spiral."""

from __future__ import annotations

import builtins
import io
import os
import pickle
import pickletools
import struct

import numpy as np
import pytest

import autograd
import data
from autograd import Tensor
from data import CIFAR10, DataLoader, Dataset, Digits, TensorDataset, make_spiral
from data.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip

# ----------------------------------------------------------------------------- DataLoader


def _ids_dataset(n=10):
    """TensorDataset whose first field is the sample id, so batches show which samples came."""
    X = np.arange(n, dtype=np.float32)[:, None] * np.ones((1, 3), dtype=np.float32)  # (n, 3)
    y = (np.arange(n) % 4).astype(np.int32)
    return TensorDataset(X, y)


class _ListDataset(Dataset):
    """A plain Dataset (no fast path) with the same samples as _ids_dataset."""

    def __init__(self, n=10):
        self.inner = _ids_dataset(n)

    def __len__(self):
        return len(self.inner)

    def __getitem__(self, i):
        x, y = self.inner[i]
        return x.copy(), int(y)


def _epoch_ids(loader):
    return [batch[0].data[:, 0].astype(int).tolist() for batch in loader]


def test_package_exports_the_api_names():
    for name in ["Dataset", "TensorDataset", "DataLoader", "CIFAR10", "Digits", "make_spiral"]:
        assert name in data.__all__ and hasattr(data, name)
    assert data.transforms.Compose is Compose


def test_batches_are_tensors_stacked_along_a_new_axis():
    ds = _ids_dataset(10)
    batches = list(DataLoader(ds, batch_size=4))
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    for start, (x, y) in zip([0, 4, 8], batches, strict=True):
        assert isinstance(x, Tensor) and isinstance(y, Tensor)
        assert not x.requires_grad and not y.requires_grad
        assert x.data.dtype == np.float32
        assert y.data.dtype == np.int64  # int32 labels come out int64
        np.testing.assert_array_equal(x.data, ds.arrays[0][start : start + 4])
        np.testing.assert_array_equal(y.data, ds.arrays[1][start : start + 4])


def test_generic_path_matches_fast_path():
    fast = list(DataLoader(_ids_dataset(10), batch_size=3, shuffle=True, seed=7))
    slow = list(DataLoader(_ListDataset(10), batch_size=3, shuffle=True, seed=7))
    assert len(fast) == len(slow) == 4
    for (xf, yf), (xs, ys) in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(xf.data, xs.data)
        np.testing.assert_array_equal(yf.data, ys.data)
        assert xs.data.dtype == np.float32 and ys.data.dtype == np.int64


def test_tensor_dataset_subclass_overriding_getitem_is_asked_per_sample():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return 2 * x, y

    ds = Doubled(np.arange(4, dtype=np.float32)[:, None], np.arange(4))
    (x, _), *_ = DataLoader(ds, batch_size=4)
    np.testing.assert_array_equal(x.data[:, 0], [0, 2, 4, 6])


@pytest.mark.parametrize("n, batch_size", [(10, 1), (10, 3), (10, 5), (10, 10), (10, 11), (0, 2)])
def test_len_with_and_without_drop_last(n, batch_size):
    ds = _ids_dataset(n)
    keep = DataLoader(ds, batch_size=batch_size)
    drop = DataLoader(ds, batch_size=batch_size, drop_last=True)
    assert len(keep) == -(-n // batch_size) == len(list(keep))
    assert len(drop) == n // batch_size == len(list(drop))
    assert all(b[0].shape[0] == batch_size for b in drop)


def test_every_sample_seen_exactly_once_per_epoch():
    loader = DataLoader(_ids_dataset(23), batch_size=5, shuffle=True, seed=1)
    for _ in range(3):
        ids = sum(_epoch_ids(loader), [])
        assert sorted(ids) == list(range(23))


def test_shuffle_reproducible_from_seed_and_new_each_epoch():
    a = DataLoader(_ids_dataset(20), batch_size=4, shuffle=True, seed=3)
    b = DataLoader(_ids_dataset(20), batch_size=4, shuffle=True, seed=3)
    epochs_a = [_epoch_ids(a) for _ in range(3)]
    epochs_b = [_epoch_ids(b) for _ in range(3)]
    assert epochs_a == epochs_b
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]
    assert epochs_a[0] != sorted(sum(epochs_a[0], []))  # really shuffled
    c = DataLoader(_ids_dataset(20), batch_size=4, shuffle=True, seed=4)
    assert _epoch_ids(c) != epochs_a[0]


def test_shuffle_without_seed_follows_manual_seed():
    loader = DataLoader(_ids_dataset(20), batch_size=4, shuffle=True)
    autograd.manual_seed(0)
    first = [_epoch_ids(loader) for _ in range(2)]
    autograd.manual_seed(0)
    assert [_epoch_ids(loader) for _ in range(2)] == first


def test_no_shuffle_keeps_order():
    assert _epoch_ids(DataLoader(_ids_dataset(5), batch_size=2)) == [[0, 1], [2, 3], [4]]


def test_single_field_samples_come_as_one_tuples():
    class Plain(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.full((2,), i, dtype=np.float64)

    (batch,) = list(DataLoader(Plain(), batch_size=3))
    assert isinstance(batch, tuple) and len(batch) == 1
    assert batch[0].shape == (3, 2) and batch[0].data.dtype == np.float64


@pytest.mark.parametrize("bad", [0, -2])
def test_batch_size_below_one_is_an_error(bad):
    with pytest.raises(ValueError, match=f"batch_size must be at least 1, got {bad}"):
        DataLoader(_ids_dataset(), batch_size=bad)


@pytest.mark.parametrize("bad", [2.5, True, "4"])
def test_batch_size_must_be_an_int(bad):
    with pytest.raises(TypeError, match="batch_size must be an int"):
        DataLoader(_ids_dataset(), batch_size=bad)


def test_tensor_dataset_checks_first_dimensions():
    with pytest.raises(ValueError, match=r"different first dimensions \[5, 4\]"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()
    ds = TensorDataset(np.zeros((5, 2)), np.arange(5))
    assert len(ds) == 5 and ds[-1][1] == 4
    with pytest.raises(IndexError, match="out of range"):
        ds[5]


def test_unequal_sample_shapes_are_reported():
    class Ragged(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return np.zeros((i + 1,), dtype=np.float32), i

    with pytest.raises(ValueError, match="cannot stack field 0"):
        next(iter(DataLoader(Ragged(), batch_size=2)))


# ----------------------------------------------------------------------------- transforms


def _images(N=None, C=3, H=5, W=6, seed=0):
    shape = (C, H, W) if N is None else (N, C, H, W)
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_normalize_values_single_and_batch():
    t = Normalize(mean=[0.5, -1.0, 2.0], std=[2.0, 0.5, 4.0])
    x = _images()
    out = t(x)
    mean, std = np.array([0.5, -1.0, 2.0]), np.array([2.0, 0.5, 4.0])
    expected = (x - mean[:, None, None]) / std[:, None, None]
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    xb = _images(N=4)
    np.testing.assert_array_equal(t(xb), np.stack([t(img) for img in xb]))
    assert "Normalize(mean=[0.5, -1.0, 2.0], std=[2.0, 0.5, 4.0])" == repr(t)


def test_normalize_errors():
    with pytest.raises(ValueError, match="x has 3 channels but mean has 2 entries"):
        Normalize([0.0, 0.0], [1.0, 1.0])(_images())
    with pytest.raises(TypeError, match="expected a float array"):
        Normalize(0.5, 0.5)(np.zeros((3, 4, 4), dtype=np.uint8))
    with pytest.raises(ValueError, match="std must be nonzero"):
        Normalize(0.0, [1.0, 0.0])


def _crop_offset(out, x, padding):
    """The (top, left) at which `out` is a crop of zero-padded `x` (C, H, W), or None."""
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    h, w = out.shape[1:]
    for top in range(xp.shape[1] - h + 1):
        for left in range(xp.shape[2] - w + 1):
            if np.array_equal(xp[:, top : top + h, left : left + w], out):
                return top, left
    return None


def test_random_crop_with_padding_gives_real_crops_of_every_offset():
    x = _images(H=5, W=6) + 10.0  # no zeros inside, so the padding is recognizable
    t = RandomCrop(size=(5, 6), padding=1)
    autograd.manual_seed(0)
    seen = set()
    for _ in range(200):
        out = t(x)
        assert out.shape == (3, 5, 6) and out.dtype == np.float32
        offset = _crop_offset(out, x, padding=1)
        assert offset is not None
        seen.add(offset)
    assert seen == {(i, j) for i in range(3) for j in range(3)}


def test_random_crop_batch_independent_offsets_and_shapes():
    xb = _images(N=64, H=8, W=8) + 10.0
    autograd.manual_seed(1)
    out = RandomCrop(6, padding=2)(xb)
    assert out.shape == (64, 3, 6, 6) and out.dtype == np.float32
    offsets = [_crop_offset(o, x, padding=2) for o, x in zip(out, xb, strict=True)]
    assert None not in offsets
    assert len(set(offsets)) > 10  # one offset per image, not one per batch
    np.testing.assert_array_equal(RandomCrop(8)(xb), xb)  # full size, no padding: identity
    with pytest.raises(ValueError, match=r"crop size \(13, 13\) is larger than the padded"):
        RandomCrop(13, padding=2)(xb)
    with pytest.raises(ValueError, match=r"expected an image \(C, H, W\) or a batch"):
        RandomCrop(2)(np.zeros((4, 4), dtype=np.float32))


def test_random_horizontal_flip_probability():
    xb = _images(N=4000, C=1, H=2, W=3)
    autograd.manual_seed(2)
    out = RandomHorizontalFlip(p=0.3)(xb)
    flipped = np.all(out == xb[..., ::-1], axis=(1, 2, 3))
    kept = np.all(out == xb, axis=(1, 2, 3))
    assert np.all(flipped ^ kept)
    assert abs(flipped.mean() - 0.3) < 0.03
    np.testing.assert_array_equal(RandomHorizontalFlip(p=0.0)(xb), xb)
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(xb), xb[..., ::-1])
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        RandomHorizontalFlip(p=1.5)


@pytest.mark.parametrize(
    "t", [RandomCrop(4, padding=2), RandomHorizontalFlip(0.5), Normalize(0.1, 0.7)], ids=repr
)
def test_single_image_equals_batch_of_one(t):
    x = _images()
    for seed in range(5):
        autograd.manual_seed(seed)
        single = t(x)
        autograd.manual_seed(seed)
        np.testing.assert_array_equal(single, t(x[None])[0])


def test_transforms_reproducible_under_manual_seed_and_leave_input_alone():
    t = Compose([RandomCrop(5, padding=1), RandomHorizontalFlip(), Normalize(0.5, 0.25)])
    xb = _images(N=16)
    before = xb.copy()
    autograd.manual_seed(3)
    a = t(xb)
    autograd.manual_seed(3)
    b = t(xb)
    autograd.manual_seed(4)
    c = t(xb)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(xb, before)
    assert a.shape == (16, 3, 5, 5) and a.dtype == np.float32
    assert repr(t).splitlines() == [
        "Compose(",
        "    RandomCrop(size=(5, 5), padding=(1, 1))",
        "    RandomHorizontalFlip(p=0.5)",
        "    Normalize(mean=[0.5], std=[0.25])",
        ")",
    ]


# ----------------------------------------------------------------------------- CIFAR10

_TRAIN_ROWS = 3  # rows per fake training batch
_TEST_ROWS = 4


def _short_str(b: bytes) -> bytes:
    """SHORT_BINSTRING: how Python 2 pickles a short str (read back as bytes here)."""
    return b"U" + bytes([len(b)]) + b


def _python2_batch_pickle(images: np.ndarray, labels: list[int]) -> bytes:
    """A batch laid out as the official files are: Python 2 cPickle, protocol 2.

    {b'data': ndarray via numpy.core.multiarray._reconstruct with the raw bytes as a
    Python 2 str, b'labels': list of ints}; memo opcodes omitted.
    """
    n = images.shape[0]
    raw = images.tobytes()
    dtype = (
        b"cnumpy\ndtype\n" + _short_str(b"u1") + b"K\x00K\x01\x87R"
        b"(K\x03" + _short_str(b"|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    )
    array = (
        b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
        b"K\x00\x85" + _short_str(b"b") + b"\x87R"  # _reconstruct(ndarray, (0,), 'b')
        b"(K\x01J"
        + struct.pack("<i", n)
        + b"M\x00\x0c\x86"
        + dtype  # (1, (n, 3072), dtype,
        + b"\x89T"
        + struct.pack("<I", len(raw))
        + raw
        + b"tb"  # False, raw) then BUILD
    )
    label_list = b"](" + b"".join(b"K" + bytes([k]) for k in labels) + b"e"
    return b"\x80\x02}(" + _short_str(b"data") + array + _short_str(b"labels") + label_list + b"u."


@pytest.fixture
def fake_cifar(tmp_path):
    """root with a tiny cifar-10-batches-py: 5 x 3 train rows, 4 test rows, batches.meta."""
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    rows = {}
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        n = _TEST_ROWS if name == "test_batch" else _TRAIN_ROWS
        images = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        labels = [(i * 3 + j) % 10 for j in range(n)]
        rows[name] = (images, labels)
        if name == "data_batch_1":  # byte for byte in the official (Python 2) layout
            blob = _python2_batch_pickle(images, labels)
        else:  # as a Python 3 user would re-save it
            blob = pickle.dumps(
                {b"batch_label": name.encode(), b"labels": labels, b"data": images,
                 b"filenames": [b"x.png"] * n},
                protocol=4,
            )  # fmt: skip
        (folder / name).write_bytes(blob)
    meta = {b"label_names": [f"class{k}".encode() for k in range(10)], b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=4))
    return tmp_path, rows


def test_python2_layout_helper_is_a_valid_pickle():
    images = np.arange(2 * 3072, dtype=np.uint64).astype(np.uint8).reshape(2, 3072)
    blob = _python2_batch_pickle(images, [3, 9])
    pickletools.dis(blob, out=io.StringIO())  # a well-formed opcode stream
    names = [arg for op, arg, _ in pickletools.genops(blob) if op.name == "GLOBAL"]
    assert names == ["numpy.core.multiarray _reconstruct", "numpy ndarray", "numpy dtype"]


def test_cifar10_reads_train_and_test(fake_cifar):
    root, rows = fake_cifar
    train = CIFAR10(root, train=True)
    test = CIFAR10(str(root), train=False)
    assert len(train) == 5 * _TRAIN_ROWS and len(test) == _TEST_ROWS
    assert train.classes == [f"class{k}" for k in range(10)]
    expected = np.concatenate([rows[f"data_batch_{k}"][0] for k in range(1, 6)])
    expected_labels = sum((rows[f"data_batch_{k}"][1] for k in range(1, 6)), [])
    for i in [0, 2, 3, 14]:  # rows of the Python 2 batch and of later batches
        image, label = train[i]
        assert image.dtype == np.float32 and image.shape == (3, 32, 32)
        assert 0.0 <= image.min() and image.max() <= 1.0
        np.testing.assert_allclose(image, expected[i].reshape(3, 32, 32) / 255.0, rtol=1e-6)
        assert type(label) is int and label == expected_labels[i]
    # the first 1024 values of a row are the red plane, row-major
    np.testing.assert_allclose(train[0][0][0, 0, :], expected[0, :32] / 255.0, rtol=1e-6)
    assert [test[i][1] for i in range(_TEST_ROWS)] == rows["test_batch"][1]
    x, y = next(iter(DataLoader(train, batch_size=4)))
    assert x.shape == (4, 3, 32, 32) and x.data.dtype == np.float32
    assert y.data.dtype == np.int64 and y.data.tolist() == expected_labels[:4]


def test_cifar10_applies_transform(fake_cifar):
    root, _ = fake_cifar
    plain = CIFAR10(root, train=False)
    flipped = CIFAR10(root, train=False, transform=RandomHorizontalFlip(p=1.0))
    np.testing.assert_array_equal(flipped[1][0], plain[1][0][..., ::-1])


def test_cifar10_missing_folder_says_what_goes_where(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        CIFAR10(tmp_path / "nowhere")
    message = str(info.value)
    for part in ["cifar-10-batches-py", "data_batch_1", "data_batch_5", "test_batch",
                 "CIFAR-10 python version", "https://www.cs.toronto.edu/~kriz/cifar.html",
                 str(tmp_path / "nowhere")]:  # fmt: skip
        assert part in message


def test_cifar10_missing_file_is_named(fake_cifar):
    root, _ = fake_cifar
    os.remove(root / "cifar-10-batches-py" / "data_batch_4")
    with pytest.raises(FileNotFoundError, match=r"missing \['data_batch_4'\]"):
        CIFAR10(root)
    assert len(CIFAR10(root, train=False)) == _TEST_ROWS  # the test split needs no train file


class _Touch:
    """Unpickling this would create `path` by calling `how`: os.system or builtins.open."""

    def __init__(self, path, how):
        self.path, self.how = str(path), how

    def __reduce__(self):
        if self.how == "system":
            return os.system, (f"touch '{self.path}'",)
        return builtins.open, (self.path, "w")


@pytest.mark.parametrize("how", ["system", "open"])
@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_cifar10_refuses_pickles_that_call_code(fake_cifar, tmp_path, how, protocol):
    root, _ = fake_cifar
    sentinel = tmp_path / f"pwned-{how}-{protocol}"
    # str keys: protocols < 3 pickle bytes through _codecs.encode, which would be refused
    # first and leave the callable untested
    evil = {"data": _Touch(sentinel, how), "labels": [0]}
    target = root / "cifar-10-batches-py" / "data_batch_3"
    target.write_bytes(pickle.dumps(evil, protocol=protocol))
    with pytest.raises(ValueError, match="refusing to unpickle") as info:
        CIFAR10(root)
    assert str(target) in str(info.value)
    assert f".{how}," in str(info.value)  # names the global it refused (posix.system, io.open)
    assert not sentinel.exists()


def test_cifar10_rejects_truncated_and_foreign_files(fake_cifar):
    root, _ = fake_cifar
    target = root / "cifar-10-batches-py" / "test_batch"
    target.write_bytes(target.read_bytes()[:100])
    with pytest.raises(ValueError, match="test_batch"):
        CIFAR10(root, train=False)
    target.write_bytes(
        pickle.dumps({b"data": np.zeros((2, 10), dtype=np.uint8), b"labels": [0, 1]})
    )
    with pytest.raises(ValueError, match=r"\(n, 3072\)"):
        CIFAR10(root, train=False)


# ----------------------------------------------------------------------------- Digits


@pytest.fixture(scope="module")
def digits_split():
    pytest.importorskip("sklearn")
    return Digits(train=True), Digits(train=False)


def test_digits_split_sizes_disjoint_and_complete(digits_split):
    train, test = digits_split
    assert len(train) + len(test) == 1797
    assert abs(len(test) - 0.2 * 1797) <= 10
    assert not set(train.indices.tolist()) & set(test.indices.tolist())
    assert sorted(np.concatenate([train.indices, test.indices]).tolist()) == list(range(1797))
    # stratified: every class keeps about a fifth of its images in test
    counts = np.bincount(test.targets, minlength=10) / np.bincount(
        np.concatenate([train.targets, test.targets]), minlength=10
    )
    assert np.all(np.abs(counts - 0.2) < 0.01)


def test_digits_items(digits_split):
    train, _ = digits_split
    image, label = train[0]
    assert image.dtype == np.float32 and image.shape == (1, 8, 8)
    assert type(label) is int and 0 <= label <= 9
    assert train.data.min() == 0.0 and train.data.max() == 1.0  # 16 levels of ink / 16
    x, y = next(iter(DataLoader(train, batch_size=8)))
    assert x.shape == (8, 1, 8, 8) and y.data.dtype == np.int64


def test_digits_split_reproducible_from_seed(digits_split):
    train, _ = digits_split
    np.testing.assert_array_equal(Digits(train=True, seed=0).indices, train.indices)
    other = Digits(train=True, seed=1)
    assert not np.array_equal(other.indices, train.indices)
    half = Digits(train=False, test_fraction=0.5, seed=0)
    assert abs(len(half) - 1797 / 2) <= 10
    with pytest.raises(ValueError, match="test_fraction"):
        Digits(test_fraction=1.0)


def test_digits_without_sklearn_says_how_to_install(monkeypatch):
    from data import digits as digits_module

    digits_module._load_all.cache_clear()
    monkeypatch.setitem(__import__("sys").modules, "sklearn", None)
    monkeypatch.setitem(__import__("sys").modules, "sklearn.datasets", None)
    try:
        with pytest.raises(ImportError, match=r"pip install scikit-learn.*\.\[examples\]"):
            Digits()
    finally:
        digits_module._load_all.cache_clear()


# ----------------------------------------------------------------------------- spiral


def test_make_spiral_shapes_dtypes_and_geometry():
    X, y = make_spiral(n_per_class=50, n_classes=4, seed=0)
    assert X.shape == (200, 2) and X.dtype == np.float32
    assert y.shape == (200,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50] * 4
    for k in range(4):  # noise moves the angle only: radii run from 0 to 1 along each arm
        radii = np.linalg.norm(X[y == k], axis=1)
        np.testing.assert_allclose(radii, np.linspace(0, 1, 50), atol=1e-6)


def test_make_spiral_deterministic():
    X0, y0 = make_spiral(seed=0)
    X1, y1 = make_spiral(seed=0)
    np.testing.assert_array_equal(X0, X1)
    np.testing.assert_array_equal(y0, y1)
    assert X0.shape == (300, 2)
    assert not np.array_equal(make_spiral(seed=1)[0], X0)
    autograd.manual_seed(5)
    a = make_spiral(seed=None)[0]
    autograd.manual_seed(5)
    np.testing.assert_array_equal(make_spiral(seed=None)[0], a)
    with pytest.raises(ValueError, match="n_per_class must be a positive integer"):
        make_spiral(n_per_class=0)
