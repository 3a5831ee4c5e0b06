"""Optimizer: the base class of every update rule (param groups, per-parameter state, checkpoints).

Subclasses pass their hyperparameter defaults to ``Optimizer.__init__``, validate one group in
``_check_group`` and implement ``step``. Updates run in NumPy on ``p.data``, outside the graph.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from autograd import Tensor


class Optimizer:
    """Base class for optimizers, shaped like ``torch.optim.Optimizer``.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        The Tensors to optimize, or parameter groups: dicts with a ``"params"`` entry (a Tensor
        or an iterable of Tensors) and optional per-group hyperparameters that override
        ``defaults``.
    defaults : dict
        Hyperparameter name -> default value, copied into every group that does not set it.

    Attributes
    ----------
    param_groups : list of dict
        One dict per group holding ``"params"`` (a list of Tensors) and every hyperparameter.
    state : dict
        Parameter Tensor -> dict of per-parameter state (ndarrays shaped like the parameter, or
        Python numbers such as ``"step"``). Entries appear at a parameter's first update.
    defaults : dict
    """

    # State entries that are plain counters rather than arrays shaped like the parameter.
    _scalar_state_keys: frozenset[str] = frozenset({"step"})

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict[str, Any]):
        name = type(self).__name__
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, (Tensor, dict)):
            raise TypeError(
                f"{name}: params must be an iterable of Tensors or of dicts, got a single "
                f"{type(params).__name__}; wrap it in a list"
            )
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(
                f"{name}: params must be an iterable of Tensors or of dicts, "
                f"got {type(params).__name__}"
            ) from None
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Append a parameter group, filling unset hyperparameters from ``defaults``.

        Parameters
        ----------
        param_group : dict
            ``"params"`` (a Tensor or an iterable of Tensors) plus optional hyperparameters.
        """
        name = type(self).__name__
        index = len(self.param_groups)
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{name}: parameter group {index} must be a dict, got "
                f"{type(param_group).__name__}; do not mix Tensors and dicts in params"
            )
        if "params" not in param_group:
            raise ValueError(f"{name}: parameter group {index} has no 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            # A set's order changes between runs, so state_dict indices would not line up.
            raise TypeError(f"{name}: parameter group {index} params must be ordered, not a set")
        else:
            params = list(params)
        if not params:
            raise ValueError(f"{name}: parameter group {index} has an empty parameter list")
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: can only optimize Tensors, but parameter {i} of group {index} "
                    f"is a {type(p).__name__}"
                )
        # Tensors compare elementwise, so membership goes through id(), never `in` or ==.
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{name}: parameter group {index} contains a parameter twice")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if seen.intersection(ids):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group = {"params": params}
        group.update((k, v) for k, v in param_group.items() if k != "params")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError if a group's hyperparameters are invalid (subclasses override)."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every optimized parameter.

        Parameters
        ----------
        set_to_none : bool, default True
            Set ``p.grad`` to None (frees memory); with False, fill the grad arrays with zeros
            in place, so anything holding the grad array sees the zeros.
        """
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                elif isinstance(grad.data, np.ndarray) and grad.data.flags.writeable:
                    grad.data.fill(0)
                else:  # a read-only (e.g. broadcast) grad array cannot be zeroed in place
                    grad.data = np.zeros_like(grad.data)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss; called before the update.

        Returns
        -------
        The closure's return value, or None.
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for p, param, grad in self._grads(group):
                self._update(group, p, param, grad)
        return loss

    def _update(self, group: dict[str, Any], p: Tensor, param: np.ndarray, grad: np.ndarray):
        """The rule: update ``param`` (p.data) in place from ``grad``; state in self.state[p]."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update()")

    def _grads(self, group: dict[str, Any]) -> Iterator[tuple[Tensor, np.ndarray, np.ndarray]]:
        """Yield (p, p.data, grad array in p's dtype) for each parameter of group with a grad."""
        for p in group["params"]:
            if p.grad is None:
                continue
            param, grad = p.data, p.grad.data
            if grad.shape != param.shape:
                raise ValueError(
                    f"{type(self).__name__}.step: grad shape {grad.shape} does not match "
                    f"parameter shape {param.shape}"
                )
            if grad.dtype != param.dtype:
                grad = grad.astype(param.dtype)  # the update keeps the parameter's dtype
            yield p, param, grad

    def state_dict(self) -> dict[str, Any]:
        """Return the optimizer state in PyTorch's layout, as copies.

        Returns
        -------
        dict
            ``{"state": {index: {key: value}}, "param_groups": [{hyper..., "params": [index]}]}``
            where parameters are numbered in group order and every value is an ndarray copy,
            a Python number, a bool or a tuple/list of numbers (saveable to .npz without pickle).
        """
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: _copy_value(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index_of.setdefault(id(p), len(index_of)) for p in group["params"]]
            groups.append(packed)
        state = {
            index_of[id(p)]: {k: _copy_value(v) for k, v in s.items()}
            for p, s in self.state.items()
            if s and id(p) in index_of
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()`` (hyperparameters and state), copying every array.

        The groups must match this optimizer's in number and size; state arrays must match
        their parameter's shape and are cast to its dtype. Scalars read back from a .npz file
        (0-d arrays) become Python numbers again. Nothing changes if validation fails.

        Raises
        ------
        ValueError
            If the layout, group count, group sizes, hyperparameter names or shapes differ.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(f"{name}: expected a dict with 'state' and 'param_groups' entries")
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: the state dict has {len(saved_groups)} parameter groups, "
                f"the optimizer has {len(self.param_groups)}"
            )
        param_of: dict[int, Tensor] = {}
        new_groups = []
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            indices = [int(i) for i in np.asarray(saved.get("params", [])).ravel()]
            if len(indices) != len(group["params"]):
                raise ValueError(
                    f"{name}: parameter group {g} has {len(indices)} parameters in the state "
                    f"dict but {len(group['params'])} in the optimizer"
                )
            missing = sorted(set(self.defaults) - set(saved))
            if missing:
                raise ValueError(f"{name}: parameter group {g} lacks hyperparameters {missing}")
            param_of.update(zip(indices, group["params"], strict=True))
            new_group = {"params": group["params"]}
            new_group.update((k, _to_python(v)) for k, v in saved.items() if k != "params")
            self._check_group(new_group)
            new_groups.append(new_group)
        new_state = {}
        for index, saved in state_dict["state"].items():
            p = param_of.get(int(index))
            if p is None:
                raise ValueError(f"{name}: state for parameter {index}, which no group lists")
            new_state[p] = {key: self._load_entry(p, index, key, v) for key, v in saved.items()}
        self.param_groups[:] = new_groups
        self.state.clear()
        self.state.update(new_state)

    def _load_entry(self, p: Tensor, index: Any, key: str, value: Any) -> Any:
        """Return a private copy of one loaded state entry, checked against parameter p."""
        if key in self._scalar_state_keys:
            return _to_python(value)
        array = np.asarray(value)
        if array.shape != p.data.shape:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: state {key!r} of parameter {index} "
                f"has shape {array.shape}, the parameter has shape {p.data.shape}"
            )
        dtype = p.data.dtype if np.issubdtype(array.dtype, np.floating) else array.dtype
        return np.array(array, dtype=dtype, copy=True)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join([*lines, ")"])


def _copy_value(value: Any) -> Any:
    """Copy one state or hyperparameter value for a state dict."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_value(v) for v in value)
    return value


def _to_python(value: Any) -> Any:
    """Turn a value read back from .npz (0-d or 1-d array) into a Python number or tuple."""
    if isinstance(value, np.ndarray):
        return value.item() if value.ndim == 0 else tuple(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_number(
    owner: str, key: str, value: Any, low: float = 0.0, high: float | None = None
) -> None:
    """Raise ValueError unless value is a real number with low <= value (< high if given)."""
    is_real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not (is_real and low <= value and (high is None or value < high)):
        bound = f"{low} <= {key}" + ("" if high is None else f" < {high}")
        raise ValueError(f"{owner}: invalid {key} {value!r}; expected a number with {bound}")


def _add_weight_decay(grad: np.ndarray, param: np.ndarray, weight_decay: float) -> np.ndarray:
    """Return grad + weight_decay * param as a new array (p.grad itself is never modified)."""
    out = np.multiply(param, weight_decay)
    out += grad
    return out
