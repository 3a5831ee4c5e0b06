"""Checkpoints: ``save`` / ``load`` nested dicts of arrays and plain values as .npz, no pickle.

File layout: an ordinary ``.npz`` archive. Each ndarray is one member, named after its path
in the nested structure (``model/fc.weight``, ``optimizer/state/0/exp_avg``). One more member,
``__npgrad__``, holds a JSON header describing the structure: dict keys with their types
(str or int), lists and tuples, plain values (None, bool, int, float, str) inline, and for
each array the member that holds it. Loading reads only arrays and that JSON
(``allow_pickle=False``), so a checkpoint can never run code.

Saving is atomic: the archive is written to a temporary file in the target's folder,
flushed and fsync'ed, then moved over the target with ``os.replace``. A crash at any point
leaves either the old file or the new one, never a mix.
"""

from __future__ import annotations

import json
import os
import re
import uuid
import zipfile
from typing import Any

import numpy as np

from autograd import Tensor

_HEADER = "__npgrad__"
_FORMAT = "npgrad-checkpoint"
_VERSION = 1
_MEMBER_UNSAFE = re.compile(r"[^A-Za-z0-9_.,=+#@/-]")  # archive member names stay plain ASCII


def save(state: Any, path: str | os.PathLike) -> None:
    """Write ``state`` to ``path`` as an .npz archive, atomically and without pickle.

    Parameters
    ----------
    state : dict (possibly nested)
        Values may be ndarrays (any non-object dtype), NumPy scalars, Tensors (saved as their
        arrays; they load back as ndarrays), None, bool, int, float, str, and lists, tuples
        and dicts of those. Dict keys must be str or int (an optimizer's ``state`` is keyed
        by parameter index). E.g. ``{"model": model.state_dict(), "optimizer":
        optimizer.state_dict(), "epoch": 3}``.
    path : str or PathLike
        Written exactly there (no suffix is added); ``.npz`` is the customary suffix.

    Raises
    ------
    TypeError
        For a value or key of another type, naming where it sits in ``state``.
    """
    path = os.fspath(path)
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(state, "", arrays)
    header = json.dumps({"format": _FORMAT, "version": _VERSION, "tree": tree})
    arrays[_HEADER] = np.array(header)
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    # os.open with 0o666 lets the umask decide the mode, as for any ordinary new file.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_folder(folder)


def _write_npz(f, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` as an .npz archive (what np.savez does, minus its keyword clashes)."""
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            with zf.open(f"{name}.npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def load(path: str | os.PathLike) -> Any:
    """Read a checkpoint written by ``save``; arrays come back as ndarrays.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is truncated, corrupt, or not an npgrad checkpoint (the message names
        the path).
    """
    path = os.fspath(path)
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):  # a plain .npy file
            raise ValueError("a single array, not an archive")
        with archive:
            if _HEADER not in archive.files:
                raise ValueError("no npgrad header")
            header = json.loads(str(archive[_HEADER][()]))
            if not isinstance(header, dict) or header.get("format") != _FORMAT:
                raise ValueError("no npgrad header")
            if header.get("version") != _VERSION:
                raise ValueError(f"format version {header.get('version')!r}, expected {_VERSION}")
            arrays = {name: archive[name] for name in archive.files if name != _HEADER}
            return _decode(header["tree"], arrays)
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except (ValueError, OSError, EOFError, KeyError, TypeError, zipfile.BadZipFile) as error:
        # np.load calls anything unrecognised "pickled data": don't suggest unpickling it.
        reason = "not an .npz archive" if "pickle" in str(error) else str(error)
        raise ValueError(
            f"load: {path} is not a readable npgrad checkpoint (truncated, corrupt or a "
            f"foreign file): {reason}"
        ) from None


def _encode(value: Any, where: str, arrays: dict[str, np.ndarray]) -> Any:
    """The JSON description of ``value``; its arrays go into ``arrays`` under unique names."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, (np.ndarray, np.generic)):  # before float: np.float64 is a float
        array = np.asarray(value)
        if array.dtype.hasobject or array.dtype.kind == "V":
            raise TypeError(f"save: cannot save {array.dtype} array at {where or '/'}")
        name = _unique(_MEMBER_UNSAFE.sub("_", where) or "array", arrays)
        arrays[name] = array
        return {"t": "array" if isinstance(value, np.ndarray) else "scalar", "ref": name}
    if value is None or isinstance(value, (bool, str)):
        return {"t": "value", "v": value}
    if isinstance(value, int):
        return {"t": "int", "v": value}
    if isinstance(value, float):
        return {"t": "float", "v": repr(value)}  # repr round-trips, nan and inf included
    if isinstance(value, (list, tuple)):
        items = [_encode(v, f"{where}/{i}", arrays) for i, v in enumerate(value)]
        return {"t": type(value).__name__, "items": items}
    if isinstance(value, dict):
        items = []
        for key, v in value.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(
                    f"save: dict keys must be str or int, got {type(key).__name__} {key!r} "
                    f"at {where or '/'}"
                )
            kind = "str" if isinstance(key, str) else "int"
            items.append([kind, key, _encode(v, f"{where}/{key}" if where else str(key), arrays)])
        return {"t": "dict", "items": items}
    raise TypeError(
        f"save: cannot save a {type(value).__name__} at {where or '/'}; expected ndarrays, "
        "numbers, str, bool, None, and lists, tuples or dicts of them"
    )


def _unique(name: str, arrays: dict) -> str:
    """``name``, or ``name#2``, ``name#3``... if taken (e.g. int key 0 and str key '0')."""
    candidate, n = name, 1
    while candidate in arrays or candidate == _HEADER:
        n += 1
        candidate = f"{name}#{n}"
    return candidate


def _decode(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    kind = node["t"]
    if kind == "value":
        return node["v"]
    if kind == "int":
        return int(node["v"])
    if kind == "float":
        return float(node["v"])
    if kind == "array":
        return arrays[node["ref"]]
    if kind == "scalar":
        return arrays[node["ref"]][()]
    if kind in ("list", "tuple"):
        items = [_decode(item, arrays) for item in node["items"]]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        out = {}
        for key_kind, key, item in node["items"]:
            out[int(key) if key_kind == "int" else str(key)] = _decode(item, arrays)
        return out
    raise ValueError(f"unknown entry type {kind!r} in the header")


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); harmless to skip where folders can't be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
