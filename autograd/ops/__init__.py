"""The primitives, one small file per family. ``REGISTRY`` maps each op name to its class."""

from autograd.function import REGISTRY
from autograd.ops.combine import Concatenate, Stack
from autograd.ops.elementwise import (
    Abs,
    Add,
    Cast,
    Clip,
    Div,
    Exp,
    Log,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Relu,
    Sigmoid,
    Sqrt,
    Sub,
    Tanh,
    Where,
)
from autograd.ops.index import GetItem, ScatterAdd, SetItem
from autograd.ops.linalg import MatMul
from autograd.ops.reduce import LogSumExp, Max, Mean, Min, Sum, Var
from autograd.ops.shape import BroadcastTo, Pad, Reshape, Transpose

__all__ = [
    "REGISTRY",
    "Abs", "Add", "BroadcastTo", "Cast", "Clip", "Concatenate", "Div", "Exp", "GetItem",
    "Log", "LogSumExp", "MatMul", "Max", "Maximum", "Mean", "Min", "Minimum", "Mul", "Neg",
    "Pad", "Pow", "Relu", "Reshape", "ScatterAdd", "SetItem", "Sigmoid", "Sqrt", "Stack",
    "Sub", "Sum", "Tanh", "Transpose", "Var", "Where",
]  # fmt: skip
