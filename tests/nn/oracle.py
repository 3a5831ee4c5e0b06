"""The PyTorch oracle for layers and models: load a torch twin's weights, compare in float64."""

from __future__ import annotations

import numpy as np

import nn.functional as F
from autograd import Tensor
from tests.helpers import torch_or_skip


def randomize_torch(module, seed: int = 0) -> None:
    """Give every parameter and float buffer of a torch module random values (variances > 0)."""
    torch = torch_or_skip()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype))
        for name, b in module.named_buffers():
            if b.dtype.is_floating_point:
                values = torch.rand(b.shape, generator=gen, dtype=b.dtype)
                b.copy_(values + 0.5 if name.endswith("var") else values - 0.5)


def load_from_torch(ours, theirs) -> None:
    """Cast both modules to float64 and load theirs' state dict into ours (strict)."""
    theirs.double()
    ours.double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()}, strict=True)


def assert_close(ours, theirs, what: str, tol: float = 1e-9, atol: float = 1e-13) -> None:
    """Normwise comparison for float64 results: max |ours - theirs| <= tol * max|theirs| + atol.

    ``atol`` covers gradients that are zero in exact arithmetic (e.g. a bias before a batch
    norm), where both sides hold only round-off.
    """
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    scale = max(float(np.max(np.abs(theirs), initial=0.0)), 1e-300)
    err = float(np.max(np.abs(ours - theirs), initial=0.0))
    assert err <= tol * scale + atol, f"{what}: max abs diff {err:.3e} vs scale {scale:.3e}"


def compare_with_torch(ours, theirs, x: np.ndarray, target=None, tol: float = 1e-9, seed=0):
    """One forward and backward through both in their current modes; compare everything.

    Compares the output, the loss (cross-entropy against ``target`` if given, else a random
    upstream gradient is used), the input gradient, every parameter gradient by name, and
    the whole state dict afterwards (running statistics, num_batches_tracked).
    """
    torch = torch_or_skip()
    xo = Tensor(np.array(x, dtype=np.float64), requires_grad=True)
    xt = torch.tensor(np.array(x, dtype=np.float64), requires_grad=True)
    out, out_t = ours(xo), theirs(xt)
    assert_close(out.data, out_t.detach().numpy(), "output", tol)
    if target is None:
        g = np.random.default_rng(seed).standard_normal(out.shape)
        out.backward(g)
        out_t.backward(torch.tensor(g))
    else:
        loss = F.cross_entropy(out, target)
        loss_t = torch.nn.functional.cross_entropy(out_t, torch.tensor(target))
        assert_close(loss.data, loss_t.detach().numpy(), "loss", tol)
        loss.backward()
        loss_t.backward()
    assert_close(xo.grad.data, xt.grad.numpy(), "input grad", tol)
    torch_params = dict(theirs.named_parameters())
    names = [name for name, _ in ours.named_parameters()]
    assert names == list(torch_params)
    for name, p in ours.named_parameters():
        assert p.grad is not None, f"{name} got no gradient"
        assert_close(p.grad.data, torch_params[name].grad.numpy(), f"{name}.grad", tol)
    ours_sd, torch_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(torch_sd)
    for key, value in torch_sd.items():
        assert_close(ours_sd[key], value.numpy(), f"state {key}", tol)
    return out
