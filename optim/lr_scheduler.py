"""Learning-rate schedulers: rewrite each param group's "lr" once per step(), as PyTorch does."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .optimizer import Optimizer, _check_number, _to_python


class LRScheduler:
    """Base class of the schedulers, shaped like ``torch.optim.lr_scheduler.LRScheduler``.

    Construction records each group's ``"initial_lr"`` (``base_lrs``) and performs the first
    step, epoch 0, which keeps the current learning rates. Call ``step()`` after each epoch's
    ``optimizer.step()``.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer whose param groups' ``"lr"`` entries are scheduled.
    last_epoch : int, default -1
        Index of the last epoch; -1 starts fresh, anything else resumes and needs every group
        to hold ``"initial_lr"``.

    Attributes
    ----------
    base_lrs : list of float
    last_epoch : int
    """

    # Hyperparameter attributes that subclasses add to state_dict().
    _hyper_keys: tuple[str, ...] = ()

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an optim.Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"{name}: param_groups[{i}] has no 'initial_lr' to resume from "
                    f"last_epoch={last_epoch}; load the optimizer's state dict first"
                )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True  # the first step keeps the current lrs
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """Return each group's learning rate for ``last_epoch`` (subclasses implement it)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr()")

    def get_last_lr(self) -> list[float]:
        """Return the learning rates the last ``step()`` set, one per param group."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch and write the new learning rates into the param groups."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Return the scheduler's state (numbers and lists of numbers; no optimizer)."""
        state = {
            "base_lrs": list(self.base_lrs),
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "_last_lr": list(self._last_lr),
        }
        state.update((key, getattr(self, key)) for key in self._hyper_keys)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()``; values read back from .npz become Python numbers again.

        Raises
        ------
        ValueError
            If entries are missing or the number of learning rates differs from the number of
            the optimizer's param groups.
        """
        name = f"{type(self).__name__}.load_state_dict"
        expected = {"base_lrs", "last_epoch", "_step_count", "_last_lr", *self._hyper_keys}
        missing = sorted(expected - set(state_dict))
        if missing:
            raise ValueError(f"{name}: missing entries {missing}")
        values = {key: _to_python(state_dict[key]) for key in expected}
        n_groups = len(self.optimizer.param_groups)
        for key in ("base_lrs", "_last_lr"):
            # _to_python made a one-group list read back from .npz a tuple, or a number if 0-d
            values[key] = list(np.atleast_1d(values[key]).tolist())
            if len(values[key]) != n_groups:
                raise ValueError(
                    f"{name}: {key} has {len(values[key])} entries, the optimizer has "
                    f"{n_groups} param groups"
                )
        for key, value in values.items():
            setattr(self, key, value)


class StepLR(LRScheduler):
    """Multiply each group's learning rate by ``gamma`` every ``step_size`` epochs.

    ``lr(epoch) = initial_lr * gamma ** (epoch // step_size)``, computed recursively from the
    group's current lr as PyTorch does.

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int
        Period of the decay in epochs, >= 1.
    gamma : float, default 0.1
        Multiplicative decay factor, >= 0.
    last_epoch : int, default -1
    """

    _hyper_keys = ("step_size", "gamma")

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ):
        if isinstance(step_size, bool) or not isinstance(step_size, numbers.Integral):
            raise ValueError(f"StepLR: step_size must be an int >= 1, got {step_size!r}")
        _check_number("StepLR", "step_size", step_size, low=1)
        _check_number("StepLR", "gamma", gamma)
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Return the current lrs, times ``gamma`` at each nonzero multiple of step_size."""
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


class CosineAnnealingLR(LRScheduler):
    """Anneal each group's learning rate along a cosine from its initial lr to ``eta_min``.

    ``lr(epoch) = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``, which
    rises again after ``T_max`` epochs (period ``2 * T_max``). As PyTorch, the value is computed
    recursively from the group's current lr, so lrs set by hand carry forward::

        lr_t = eta_min + (lr_{t-1} - eta_min) * (1 + cos(pi t / T)) / (1 + cos(pi (t-1) / T))

    with ``T = T_max``, except at ``t = T_max + 1 (mod 2 T_max)``, where the ratio is 0/0 and
    PyTorch adds ``(initial_lr - eta_min) * (1 - cos(pi / T_max)) / 2`` to ``lr_{t-1}`` instead.

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int
        Half the period in epochs, > 0.
    eta_min : float, default 0
        Minimum learning rate, >= 0.
    last_epoch : int, default -1
    """

    _hyper_keys = ("T_max", "eta_min")

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ):
        _check_number("CosineAnnealingLR", "T_max", T_max)
        if T_max == 0:
            raise ValueError("CosineAnnealingLR: invalid T_max 0; expected a number > 0")
        _check_number("CosineAnnealingLR", "eta_min", eta_min)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Return the next lrs by PyTorch's recursive cosine formula."""
        groups, epoch = self.optimizer.param_groups, self.last_epoch
        T_max, eta_min = self.T_max, self.eta_min
        if self._is_initial:
            return [group["lr"] for group in groups]
        if (epoch - 1 - T_max) % (2 * T_max) == 0:
            # same operation order as PyTorch, so the floats agree bit for bit
            return [
                group["lr"] + (base - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
                for base, group in zip(self.base_lrs, groups, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * epoch / T_max)) / (
            1 + math.cos(math.pi * (epoch - 1) / T_max)
        )
        return [ratio * (group["lr"] - eta_min) + eta_min for group in groups]
