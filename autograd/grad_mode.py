"""Global switches of the engine: grad recording, anomaly detection and name scopes.

The switches live as attributes of one small object so that the hot path in
``Function.apply`` reads them with a single attribute lookup.
"""

from __future__ import annotations

import contextlib
import functools


class _State:
    __slots__ = ("grad_enabled", "detect_anomaly", "scope")

    def __init__(self):
        self.grad_enabled = True
        self.detect_anomaly = False
        self.scope = ()  # tuple of names, innermost last; recorded on every new graph node


STATE = _State()


class _GradMode:
    """Base of ``no_grad`` / ``enable_grad``: a context manager that is also a decorator."""

    _enabled = True

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        return self if fn is None else self(fn)  # bare @no_grad, as PyTorch allows

    def __enter__(self):
        self._previous = STATE.grad_enabled
        STATE.grad_enabled = self._enabled
        return self

    def __exit__(self, *exc):
        STATE.grad_enabled = self._previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 (PyTorch's name)
    """Context manager and decorator: operations inside record no graph."""

    _enabled = False


class enable_grad(_GradMode):  # noqa: N801
    """Context manager and decorator: turn graph recording back on (e.g. inside ``no_grad``)."""

    _enabled = True


def is_grad_enabled() -> bool:
    """Whether new operations are being recorded for backward."""
    return STATE.grad_enabled


@contextlib.contextmanager
def detect_anomaly():
    """Inside this context, a NaN or Inf produced by any op in forward or backward raises.

    The ``FloatingPointError`` names the op that produced the value. Checking every output
    costs a pass over each array, so use it to hunt a bug, not in training.
    """
    previous = STATE.detect_anomaly
    STATE.detect_anomaly = True
    try:
        yield
    finally:
        STATE.detect_anomaly = previous


@contextlib.contextmanager
def name_scope(name: str):
    """Record the graph nodes made inside under ``name`` (nested scopes form a path).

    ``draw_graph`` draws the nodes of one scope as a labelled cluster; composed layers in
    ``nn.functional`` use it so that a composed batch norm reads as one box of primitives.
    Usable as a decorator too.
    """
    previous = STATE.scope
    STATE.scope = previous + (name,)
    try:
        yield
    finally:
        STATE.scope = previous
