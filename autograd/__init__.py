"""autograd: npgrad's reverse-mode automatic differentiation engine on NumPy."""

from autograd.creation import (
    arange,
    concatenate,
    eye,
    full,
    maximum,
    minimum,
    ones,
    ones_like,
    pad,
    rand,
    randn,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)
from autograd.engine import grad
from autograd.function import Function
from autograd.grad_mode import detect_anomaly, enable_grad, is_grad_enabled, name_scope, no_grad
from autograd.gradcheck import GradcheckError, gradcheck, numerical_grad
from autograd.graph import draw_graph, graph_nodes, render_graph
from autograd.random import manual_seed
from autograd.tensor import Tensor

__all__ = [
    "Function", "GradcheckError", "Tensor", "arange", "concatenate", "detect_anomaly",
    "draw_graph", "enable_grad", "eye", "full", "grad", "gradcheck", "graph_nodes",
    "is_grad_enabled", "manual_seed", "maximum", "minimum", "name_scope", "no_grad",
    "numerical_grad", "ones", "ones_like", "pad", "rand", "randn", "render_graph", "stack",
    "tensor", "where", "zeros", "zeros_like",
]  # fmt: skip
