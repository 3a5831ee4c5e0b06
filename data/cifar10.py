"""CIFAR-10 from the official "python version" pickles, read without running any code.

The archive ``cifar-10-python.tar.gz`` from https://www.cs.toronto.edu/~kriz/cifar.html
unpacks to a folder ``cifar-10-batches-py`` holding ``data_batch_1`` ... ``data_batch_5``
(training, 10,000 images each), ``test_batch`` (10,000 images) and ``batches.meta``. Each
batch is a Python 2 pickle of a dict with bytes keys: ``b"data"`` a (10000, 3072) uint8
array (1024 red, then 1024 green, then 1024 blue values per row, each plane row-major
32x32) and ``b"labels"`` a list of 10,000 ints in 0..9.

Unpickling can call any importable function, so the loader uses an unpickler that resolves
only the three globals a NumPy array needs (see ``_SAFE_GLOBALS``); any other global makes it
stop before anything is called.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np

from .dataset import Dataset

_FOLDER = "cifar-10-batches-py"
_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
_TEST_FILES = ("test_batch",)
_META_FILE = "batches.meta"
_URL = "https://www.cs.toronto.edu/~kriz/cifar.html"
_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip


def _numpy_reconstruct() -> Callable[..., np.ndarray]:
    """numpy's array-unpickling helper, wherever this NumPy keeps it (moved to _core in 2.0)."""
    core = getattr(np, "_core", None)
    if core is not None and hasattr(core, "multiarray"):
        return core.multiarray._reconstruct
    return np.core.multiarray._reconstruct


# Everything an ndarray pickle references, and nothing else. An array pickles as
# _reconstruct(ndarray, (0,), b"b") followed by __setstate__((version, shape, dtype,
# is_fortran, raw bytes)); the dtype as dtype("u1", False, True) plus __setstate__. Neither
# runs user code: _reconstruct only allocates an empty ndarray (of the class passed in, which
# can only be ndarray, the one class admitted here) and the state is copied in as bytes.
# NumPy 1.x files name the helper numpy.core.multiarray, 2.x files numpy._core.multiarray.
# Deliberately not admitted: numpy._core.numeric._frombuffer (NumPy's protocol-5 path; the
# official files never use it), numpy scalars, and everything of builtins / copyreg / codecs.
_SAFE_GLOBALS: dict[tuple[str, str], Callable[[], Any]] = {
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
}


class _RefusedGlobal(pickle.UnpicklingError):
    """Raised by the restricted unpickler for any global outside ``_SAFE_GLOBALS``."""


class _PlainDataUnpickler(pickle.Unpickler):
    """Unpickler for plain data: containers, numbers, strings, bytes and NumPy arrays.

    Every call a pickle can make (REDUCE, BUILD on a class, NEWOBJ, INST, OBJ, extension
    codes) needs its callable from ``find_class``, so refusing there refuses all of them.
    """

    def find_class(self, module: str, name: str) -> Any:
        factory = _SAFE_GLOBALS.get((module, name))
        if factory is None:
            raise _RefusedGlobal(f"{module}.{name}")
        return factory()

    def persistent_load(self, pid: Any) -> Any:
        raise _RefusedGlobal(f"persistent id {pid!r}")


def _load_pickle(path: str) -> Any:
    """Load a pickle of plain data (dicts, lists, numbers, bytes, str, NumPy arrays).

    Parameters
    ----------
    path : str
        The file. Python 2 pickles (such as the official CIFAR-10 batches) load with their
        ``str`` values as ``bytes``, as the CIFAR page's own snippet does.

    Raises
    ------
    ValueError
        Naming the file, when the pickle refers to any other global (it would call code;
        nothing is called) or is not a readable pickle.
    """
    with open(path, "rb") as f:
        try:
            return _PlainDataUnpickler(f, encoding="bytes").load()
        except _RefusedGlobal as exc:
            raise ValueError(
                f"{path}: refusing to unpickle; the file asks for {exc}, but only plain data "
                "(dicts, lists, numbers, strings, NumPy arrays) is allowed. Is this really a "
                f"CIFAR-10 batch from {_URL}?"
            ) from None
        except Exception as exc:  # truncated or foreign file: report it with the path
            raise ValueError(f"{path}: not a readable CIFAR-10 pickle ({exc!r})") from exc


def _get(batch: Any, key: str, path: str) -> Any:
    """batch[key] for a dict with bytes keys (official files) or str keys."""
    if isinstance(batch, dict):
        for k in (key.encode(), key):
            if k in batch:
                return batch[k]
    raise ValueError(f"{path}: expected a dict with key b{key!r}, got {type(batch).__name__}")


def _read_batch(path: str) -> tuple[np.ndarray, np.ndarray]:
    """One batch file -> images (n, 3, 32, 32) uint8 and labels (n,) int64."""
    batch = _load_pickle(path)
    data = _get(batch, "data", path)
    labels = np.asarray(_get(batch, "labels", path))
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
        raise ValueError(f"{path}: b'data' must be a uint8 array (n, 3072)")
    if data.shape[1] != 3 * 32 * 32 or labels.shape != (data.shape[0],):
        raise ValueError(
            f"{path}: b'data' has shape {data.shape} and b'labels' {labels.shape}; expected "
            "(n, 3072) and (n,)"
        )
    is_int = labels.dtype.kind in "iu"
    if not is_int or (labels.size and (labels.min() < 0 or labels.max() > 9)):
        raise ValueError(f"{path}: b'labels' must be integers in 0..9")
    # rows are the R, G and B planes one after another, each row-major 32x32
    return data.reshape(-1, 3, 32, 32), labels.astype(np.int64)


def _missing_message(root: str, folder: str, missing: list[str]) -> str:
    where = f"{folder} does not exist" if not os.path.isdir(folder) else f"missing {missing}"
    return (
        f"CIFAR10: {where}. CIFAR10(root={root!r}) reads the official CIFAR-10 python "
        f"batches from {folder}{os.sep}: {', '.join(_TRAIN_FILES)} (train) and "
        f"{_TEST_FILES[0]} (test), optionally {_META_FILE}. Download the 'CIFAR-10 python "
        f"version' archive (cifar-10-python.tar.gz) from {_URL} and unpack it into "
        f"{root!r} (e.g. tar -xzf cifar-10-python.tar.gz -C {root}); it creates {_FOLDER}/."
    )


class CIFAR10(Dataset):
    """The CIFAR-10 images (60,000 32x32 colour images in 10 classes).

    Parameters
    ----------
    root : str or path
        The folder that contains ``cifar-10-batches-py`` (the unpacked official archive).
    train : bool, default True
        The 50,000 training images (``data_batch_1..5``) or the 10,000 test images.
    transform : callable or None
        Applied to each image (float32 (3, 32, 32)) when an item is read.

    Attributes
    ----------
    data : ndarray, shape (N, 3, 32, 32), uint8
        The raw images, kept as bytes (a quarter of the float32 memory).
    targets : ndarray, shape (N,), int64
        The labels 0..9.
    classes : list of str
        Class names, from ``batches.meta`` when present.

    Items are ``(image, label)``: image float32 (3, 32, 32) in [0, 1] (then ``transform``),
    label an int.

    Raises
    ------
    FileNotFoundError
        When the folder or a batch file is missing; the message says what goes where.
    ValueError
        When a file is not a plain-data CIFAR-10 pickle (see ``_load_pickle``).
    """

    def __init__(self, root: str | os.PathLike, train: bool = True, transform=None) -> None:
        self.root = os.fspath(root)
        self.train = bool(train)
        self.transform = transform
        folder = os.path.join(self.root, _FOLDER)
        names = _TRAIN_FILES if self.train else _TEST_FILES
        missing = [n for n in names if not os.path.isfile(os.path.join(folder, n))]
        if missing:
            raise FileNotFoundError(_missing_message(self.root, folder, missing))
        parts = [_read_batch(os.path.join(folder, n)) for n in names]
        self.data = np.concatenate([p[0] for p in parts])
        self.targets = np.concatenate([p[1] for p in parts])
        self.classes = self._read_classes(os.path.join(folder, _META_FILE))

    @staticmethod
    def _read_classes(path: str) -> list[str]:
        if not os.path.isfile(path):
            return list(_CLASSES)
        names = _get(_load_pickle(path), "label_names", path)
        return [n.decode() if isinstance(n, bytes) else str(n) for n in names]

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def __getitem__(self, index: int) -> tuple[Any, int]:
        image = self.data[index].astype(np.float32) / np.float32(255)
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.targets[index])

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"CIFAR10(root={self.root!r}, split={split}, {len(self)} images)"
