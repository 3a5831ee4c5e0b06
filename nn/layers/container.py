"""Containers: Sequential (a chain of layers) and ModuleList (a list that registers)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator

from nn.module import Module


class Sequential(Module):
    """Apply modules one after the other; children are named "0", "1", ...

    ``Sequential(a, b, c)`` or ``Sequential(OrderedDict(name=module, ...))``. Indexable
    (an int gives the module, a slice a new Sequential sharing the modules), with ``len``
    and iteration over the modules.
    """

    def __init__(self, *modules: Module):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, _checked(module, "Sequential"))
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), _checked(module, "Sequential"))

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def _key(self, index: int) -> str:
        n = len(self._modules)
        if not -n <= index < n:
            raise IndexError(f"Sequential: index {index} is out of range for {n} modules")
        return list(self._modules)[index % n]

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return self._modules[self._key(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        self._modules[self._key(index)] = _checked(module, "Sequential")

    def __delitem__(self, index: int | slice) -> None:
        keys = list(self._modules)[index] if isinstance(index, slice) else [self._key(index)]
        for key in keys:
            del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), _checked(module, "Sequential"))
        return self


class ModuleList(Module):
    """A list of modules whose parameters the owner registers; children named "0", "1", ...

    Indexable (a slice gives a new ModuleList), with ``len``, iteration, ``append``,
    ``extend``, ``insert`` and ``del``. It has no ``forward``: the owner decides how to
    call the modules.
    """

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, index: int) -> int:
        n = len(self._modules)
        if not -n <= index < n:
            raise IndexError(f"ModuleList: index {index} is out of range for {n} modules")
        return index % n

    def __getitem__(self, index: int | slice) -> Module | ModuleList:
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[str(self._index(index))]

    def __setitem__(self, index: int, module: Module) -> None:
        self._modules[str(self._index(index))] = _checked(module, "ModuleList")

    def __delitem__(self, index: int | slice) -> None:
        modules = list(self._modules.values())
        del modules[index if isinstance(index, slice) else self._index(index)]
        self._renumber(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), _checked(module, "ModuleList"))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append every module of ``modules``; returns self."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError("ModuleList.extend: expected an iterable of Modules, got a Module")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index``."""
        modules = list(self._modules.values())
        modules.insert(index, _checked(module, "ModuleList"))
        self._renumber(modules)

    def _renumber(self, modules: list[Module]) -> None:
        self._modules.clear()
        for i, module in enumerate(modules):
            self._modules[str(i)] = module


def _checked(module, owner: str) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{owner}: expected Modules, got {type(module).__name__}")
    return module
