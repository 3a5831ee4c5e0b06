"""The affine layer."""

from __future__ import annotations

from autograd import Tensor


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias.

    Parameters
    ----------
    x : Tensor, shape (..., in_features)
    weight : Tensor, shape (out_features, in_features)
    bias : Tensor, shape (out_features,), optional

    Returns
    -------
    Tensor, shape (..., out_features)
    """
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be (out_features, in_features), got {weight.shape}")
    if x.shape[-1:] != weight.shape[1:]:
        raise ValueError(
            f"linear: x has {x.shape[-1] if x.ndim else 0} features but weight expects "
            f"{weight.shape[1]}; x.shape={x.shape}, weight.shape={weight.shape}"
        )
    out = x @ weight.T
    if bias is not None:
        if bias.shape != weight.shape[:1]:
            raise ValueError(f"linear: bias must have shape {weight.shape[:1]}, got {bias.shape}")
        out = out + bias
    return out
