"""Module: the base class of every layer and model.

A Module keeps three ordered registries, filled by plain attribute assignment:
``_parameters`` (Parameters), ``_buffers`` (Tensors that are state but not trained, such as
BatchNorm's running statistics; added with ``register_buffer``) and ``_modules`` (child
Modules). Everything that walks the tree (``named_parameters``, ``state_dict``, ``train``,
``repr``...) follows registration order, which is also PyTorch's, so state-dict keys and
their order match PyTorch's for the same architecture.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from autograd import Tensor, no_grad
from nn.parameter import Parameter


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of layers and models, shaped like ``torch.nn.Module``.

    Subclasses call ``super().__init__()`` first, assign their Parameters, child Modules and
    buffers as attributes, and implement ``forward``. Calling the module calls ``forward``.

    Attributes
    ----------
    training : bool
        Training mode (True after construction); ``train()`` / ``eval()`` set it on the whole
        tree. Dropout and batch norm behave differently in the two modes.
    """

    training: bool

    def __init__(self) -> None:
        # object.__setattr__: our own __setattr__ needs these registries to exist already.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args, **kwargs):
        """The computation; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- registration ---------------------------------------------------------------------

    def _registries(self, what: str) -> tuple[dict, dict, dict]:
        registries = self.__dict__.get("_parameters"), self.__dict__.get("_buffers")
        if registries[0] is None:
            raise AttributeError(
                f"{type(self).__name__}: cannot assign {what} before Module.__init__() was "
                "called; call super().__init__() first in __init__"
            )
        return registries[0], registries[1], self.__dict__["_modules"]

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Parameter):
            params = self._registries("parameters")[0]
            self._forget(name, keep="_parameters")
            params[name] = value  # a reassigned name keeps its place, as in PyTorch
        elif isinstance(value, Module):
            modules = self._registries("modules")[2]
            self._forget(name, keep="_modules")
            modules[name] = value
        else:
            params = self.__dict__.get("_parameters", {})
            buffers = self.__dict__.get("_buffers", {})
            modules = self.__dict__.get("_modules", {})
            if name in params:
                if value is not None:
                    raise TypeError(
                        f"{type(self).__name__}: cannot assign {type(value).__name__} as "
                        f"parameter {name!r} (a Parameter or None expected); wrap it in "
                        "nn.Parameter(...)"
                    )
                params[name] = None
            elif name in modules:
                if value is not None:
                    raise TypeError(
                        f"{type(self).__name__}: cannot assign {type(value).__name__} as "
                        f"child module {name!r} (a Module or None expected)"
                    )
                modules[name] = None
            elif name in buffers:
                buffers[name] = _as_buffer(value, name, type(self).__name__)
            else:
                object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: str) -> None:
        """Drop ``name`` from the other registries and the instance dict (before registering)."""
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                self.__dict__[registry].pop(name, None)
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails, i.e. for registered names (and typos).
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                del entries[name]
                return
        object.__delattr__(self, name)

    def __dir__(self):
        registered = [*self._parameters, *self._buffers, *self._modules]
        return sorted(set(super().__dir__()) | set(registered))

    def _check_new_name(self, name: Any, kind: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name must be a str, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{kind} name must be non-empty and contain no '.', got {name!r}")
        taken = name in self._parameters or name in self._buffers or name in self._modules
        if taken or hasattr(type(self), name) or name in self.__dict__:
            raise KeyError(f"{type(self).__name__}: attribute {name!r} already exists")

    def register_buffer(self, name: str, tensor: Tensor | np.ndarray | None) -> None:
        """Register a buffer: state saved in ``state_dict`` but not trained.

        Parameters
        ----------
        name : str
            The attribute name (no dots).
        tensor : Tensor, ndarray or None
            An ndarray is wrapped in a Tensor (shared, not copied). Buffers never require
            grad; None registers the name without a value (left out of ``state_dict``).
        """
        self._registries("buffers")
        if name not in self._buffers:
            self._check_new_name(name, "buffer")
        self._buffers[name] = _as_buffer(tensor, name, type(self).__name__)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register a Parameter (or None) under ``name``, like assigning it."""
        self._registries("parameters")
        if name not in self._parameters:
            self._check_new_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}: cannot register {type(param).__name__} as parameter "
                f"{name!r} (a Parameter or None expected)"
            )
        self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a child module (or None) under ``name``, like assigning it."""
        self._registries("modules")
        if name not in self._modules:
            self._check_new_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    # -- walking the tree -----------------------------------------------------------------

    def named_modules(
        self, prefix: str = "", memo: set[int] | None = None
    ) -> Iterator[tuple[str, Module]]:
        """Yield (dotted name, module) for this module and every descendant, once each."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        """Yield this module and every descendant, once each."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yield (name, module) for each direct child, once each."""
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        """Yield each direct child module, once each."""
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, recurse: bool) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()  # Tensors compare elementwise, so identity goes through id()
        tree = self.named_modules() if recurse else iter([("", self)])
        for prefix, module in tree:
            for name, value in module.__dict__[registry].items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{prefix}.{name}" if prefix else name), value

    def named_parameters(self, recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Yield (dotted name, Parameter); a shared Parameter appears once, at its first name."""
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yield every Parameter of the tree once, in registration order."""
        for _, param in self.named_parameters(recurse):
            yield param

    def named_buffers(self, recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        """Yield (dotted name, buffer Tensor), each buffer once."""
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Yield every buffer Tensor of the tree once."""
        for _, buffer in self.named_buffers(recurse):
            yield buffer

    # -- modes and bulk changes -----------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode on the whole tree; returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be a bool, got {type(mode).__name__}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode on the whole tree (``train(False)``); returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: set it to None (or fill it with zeros)."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            elif param.grad.data.flags.writeable:
                param.grad.data.fill(0)
            else:  # a read-only (e.g. broadcast) grad array cannot be zeroed in place
                param.grad.data = np.zeros_like(param.grad.data)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Turn gradient recording on or off for every parameter; returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every descendant, children first, then on self; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, dtype) -> Module:
        """Cast every parameter and floating-point buffer to ``dtype`` in place; returns self.

        The Parameter objects stay the same (an optimizer built earlier still holds them);
        their ``.data`` (and ``.grad``) are replaced by cast copies. Integer buffers such as
        ``num_batches_tracked`` keep their dtype.
        """
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"to: expected a floating-point dtype, got {dtype}")
        for param in self.parameters():
            param.data = param.data.astype(dtype)
            if param.grad is not None:
                param.grad = Tensor(param.grad.data.astype(dtype))
        for buffer in self.buffers():
            if buffer.data.dtype.kind == "f":
                buffer.data = buffer.data.astype(dtype)
        return self

    def double(self) -> Module:
        """Cast parameters and floating buffers to float64; returns self."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Cast parameters and floating buffers to float32; returns self."""
        return self.to(np.float32)

    # -- checkpoints ----------------------------------------------------------------------

    def _state_items(self) -> Iterator[tuple[str, Tensor]]:
        """(key, Tensor) pairs of the state dict, in PyTorch's order.

        Per module (pre-order): its parameters, then its buffers, then its children. Unlike
        ``named_parameters``, a shared tensor appears under every name, as in PyTorch.
        """
        for prefix, module in self._all_named_modules():
            dot = f"{prefix}." if prefix else ""
            for registry in ("_parameters", "_buffers"):
                for name, value in module.__dict__[registry].items():
                    if value is not None:
                        yield dot + name, value

    def _all_named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        # Shared submodules are visited under every name (state_dict keeps all aliases).
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child._all_named_modules(f"{prefix}.{name}" if prefix else name)

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """The parameters and buffers by dotted name, as ndarray copies.

        Returns
        -------
        OrderedDict of str -> ndarray
            Keys and order as PyTorch's ``state_dict`` for the same architecture (e.g.
            ``fc.weight``, ``bn1.running_mean``, ``bn1.num_batches_tracked``).
        """
        return OrderedDict((key, np.array(t.data, copy=True)) for key, t in self._state_items())

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into the parameters and buffers, in place.

        Parameters
        ----------
        state_dict : dict of str -> ndarray or Tensor (or anything ``np.asarray`` accepts)
            E.g. another model's ``state_dict()``, or a PyTorch one converted with
            ``{k: v.numpy() for k, v in sd.items()}``.
        strict : bool, default True
            Whether missing and unexpected keys are errors. Wrong shapes always are.

        Values are copied into the existing arrays, which keep their dtype. Everything is
        checked before anything is copied, so on error the module is unchanged.

        Returns
        -------
        IncompatibleKeys
            ``(missing_keys, unexpected_keys)``, both empty under ``strict=True``.

        Raises
        ------
        RuntimeError
            Naming every missing and unexpected key and every shape or dtype mismatch in
            one message, e.g. ``load_state_dict: missing ['fc.bias']; unexpected ['fc.b'];
            fc.weight (10, 64) vs model (10, 32)``.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state_dict).__name__}")
        targets = OrderedDict(self._state_items())
        missing = [key for key in targets if key not in state_dict]
        unexpected = [key for key in state_dict if key not in targets]
        problems, plan = [], []
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value.data if isinstance(value, Tensor) else np.asarray(value)
            if array.shape != target.data.shape:
                problems.append(f"{key} {array.shape} vs model {target.data.shape}")
            elif not np.can_cast(array.dtype, target.data.dtype, casting="same_kind"):
                problems.append(f"{key} dtype {array.dtype} vs model {target.data.dtype}")
            else:
                plan.append((target, array))
        if strict:
            problems = (
                [f"missing {missing}"] * bool(missing)
                + [f"unexpected {unexpected}"] * bool(unexpected)
                + problems
            )
        if problems:
            raise RuntimeError("load_state_dict: " + "; ".join(problems))
        with no_grad():  # in-place assignments: a graph that saved old values won't backprop
            for target, array in plan:
                target[...] = array.astype(target.dtype, copy=False)
        return IncompatibleKeys(missing, unexpected)

    # -- repr -----------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The layer's settings shown inside its repr's parentheses (override per layer)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = []
        for name, child in self._modules.items():
            text = repr(child).replace("\n", "\n  ")  # indent the child's own lines
            child_lines.append(f"({name}): {text}")
        if not child_lines and len(extra_lines) <= 1:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(extra_lines + child_lines)
        return f"{type(self).__name__}(\n  {body}\n)"


def _as_buffer(value: Any, name: str, owner: str) -> Tensor | None:
    """A buffer value as a Tensor that does not require grad (ndarrays are wrapped)."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return Tensor(value)
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{owner}: cannot assign {type(value).__name__} as buffer {name!r} "
            "(a Tensor, an ndarray or None expected)"
        )
    if value.requires_grad:
        raise ValueError(
            f"{owner}: buffer {name!r} must not require grad (buffers are not trained); "
            "pass t.detach(), or make it a Parameter"
        )
    return value
