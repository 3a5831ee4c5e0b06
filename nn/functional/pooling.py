"""2-D pooling: max and average pooling (fused and composed), adaptive average pooling.

Each fused op loops over the kernel offsets only (kh*kw whole-array operations on strided
views), never over pixels. When the windows tile the input exactly (kernel == stride, no
padding, sizes divisible) the input is viewed as (N, C, Ho, kh, Wo, kw) by a reshape and
the backward writes each input element once instead of accumulating.
"""

from __future__ import annotations

import numpy as np

from autograd import Function, Tensor, name_scope, pad, stack
from nn.functional._args import check_impl, check_tensor, pair


def max_pool2d(x, kernel_size, stride=None, padding=0, impl: str = "fused") -> Tensor:
    """Maximum of each channel over kernel_size windows.

    Parameters
    ----------
    x : Tensor, shape (N, C, H, W)
    kernel_size, stride, padding : int or (int, int); stride defaults to kernel_size;
        padding (at most half the kernel) adds -inf on both sides of H and W
    impl : "fused" or "composed". On ties the fused gradient goes to the first maximum
        of the window in row-major order (as PyTorch's), the composed one is split evenly.

    Returns
    -------
    Tensor, shape (N, C, Ho, Wo), x's dtype; Ho = (H + 2*pad_h - kh) // stride_h + 1
    """
    kernel, stride, padding = _check_pool("max_pool2d", x, kernel_size, stride, padding, impl)
    if impl == "fused":
        return MaxPool2d.apply(x, kernel=kernel, stride=stride, padding=padding)
    return _max_pool2d_composed(x, kernel, stride, padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0, impl: str = "fused") -> Tensor:
    """Average each channel over kernel_size windows.

    Parameters
    ----------
    x : Tensor, shape (N, C, H, W)
    kernel_size, stride, padding : int or (int, int); stride defaults to kernel_size;
        padded zeros count in the average (PyTorch's count_include_pad=True)

    Returns
    -------
    Tensor, shape (N, C, Ho, Wo), x's dtype; Ho = (H + 2*pad_h - kh) // stride_h + 1
    """
    kernel, stride, padding = _check_pool("avg_pool2d", x, kernel_size, stride, padding, impl)
    if x.dtype.kind != "f":
        raise TypeError(
            f"avg_pool2d: x has dtype {x.dtype}; averaging needs a floating dtype "
            "(convert with .astype(np.float32))"
        )
    if impl == "fused":
        return AvgPool2d.apply(x, kernel=kernel, stride=stride, padding=padding)
    return _avg_pool2d_composed(x, kernel, stride, padding)


def adaptive_avg_pool2d(x, output_size) -> Tensor:
    """Average each channel over an output_size grid of windows (PyTorch's bins).

    Output row i averages input rows floor(i*H/Ho) to ceil((i+1)*H/Ho) - 1, likewise for
    columns. Composed from slices and means only (one implementation, so no ``impl``).

    Parameters
    ----------
    x : Tensor, shape (N, C, H, W)
    output_size : int or (int or None, int or None); None keeps that input size

    Returns
    -------
    Tensor, shape (N, C, Ho, Wo), x's dtype
    """
    op = "adaptive_avg_pool2d"
    check_tensor(x, op, (4,), "x")
    N, C, H, W = x.shape
    if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        output_size = tuple(s if s is not None else d for s, d in zip(output_size, (H, W)))
    Ho, Wo = pair(output_size, "output_size", op, minimum=1)
    if H == 0 or W == 0:
        raise ValueError(f"{op}: cannot pool an empty input; x.shape={x.shape}")
    with name_scope(op):
        if H % Ho == 0 and W % Wo == 0:  # equal bins: one reshape and one mean
            return x.reshape(N, C, Ho, H // Ho, Wo, W // Wo).mean(axis=(3, 5))
        # A window is a rectangle, so its mean is the mean over columns of row means.
        return _adaptive_mean(_adaptive_mean(x, 2, Ho), 3, Wo)


def _adaptive_mean(x, axis: int, size: int):
    """Means of x over PyTorch's adaptive bins along one axis, stacked on that axis."""
    length = x.shape[axis]
    lead = (slice(None),) * axis
    bins = []
    for i in range(size):
        start, end = (i * length) // size, -((-(i + 1) * length) // size)
        bins.append(x[lead + (slice(start, end),)].mean(axis=axis))
    return stack(bins, axis=axis)


def _check_pool(op, x, kernel_size, stride, padding, impl):
    """Validate a pooling call; returns kernel, stride and padding as pairs."""
    check_impl(impl, op)
    check_tensor(x, op, (4,), "x")
    kernel = pair(kernel_size, "kernel_size", op, minimum=1)
    stride = kernel if stride is None else pair(stride, "stride", op, minimum=1)
    padding = pair(padding, "padding", op, minimum=0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half of kernel_size {kernel}")
    padded = (x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1])
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        raise ValueError(
            f"{op}: kernel_size {kernel} is larger than the padded input {padded} "
            f"(padding={padding}); x.shape={x.shape}"
        )
    return kernel, stride, padding


def _out_size(x_shape, kernel, stride, padding):
    H, W = x_shape[2:]
    return (
        (H + 2 * padding[0] - kernel[0]) // stride[0] + 1,
        (W + 2 * padding[1] - kernel[1]) // stride[1] + 1,
    )


def _tiles(x_shape, kernel, stride, padding):
    """Whether the windows tile the input exactly (the reshape fast path)."""
    H, W = x_shape[2:]
    return kernel == stride and padding == (0, 0) and H % kernel[0] == 0 and W % kernel[1] == 0


def _lowest(dtype):
    """The padding value of max pooling: -inf, or the smallest integer."""
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


def _offset_views(x, kernel, stride, padding, fill):
    """The kh*kw strided views (N, C, Ho, Wo) of window element (a, b), row-major order.

    Tiling windows come from a reshape of x (a view when x is contiguous); otherwise from
    slices of x padded with ``fill``.
    """
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    Ho, Wo = _out_size(x.shape, kernel, stride, padding)
    if _tiles(x.shape, kernel, stride, padding):
        tiled = x.reshape(N, C, Ho, kh, Wo, kw)
        return [tiled[:, :, :, a, :, b] for a in range(kh) for b in range(kw)]
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    return [
        x[:, :, a : a + sh * (Ho - 1) + 1 : sh, b : b + sw * (Wo - 1) + 1 : sw]
        for a in range(kh)
        for b in range(kw)
    ]


def _input_grad(write, x_shape, kernel, stride, padding, dtype):
    """The input gradient, given ``write(k, dest)``: put the (N, C, Ho, Wo) gradient of
    window element k (row-major) into ``dest``.

    Tiling windows write each input element once; overlapping windows accumulate into a
    padded buffer, from which the padding is cut.
    """
    N, C, H, W = x_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    Ho, Wo = _out_size(x_shape, kernel, stride, padding)
    if _tiles(x_shape, kernel, stride, padding):
        dx = np.empty((N, C, Ho, kh, Wo, kw), dtype)
        for a in range(kh):
            for b in range(kw):
                write(a * kw + b, dx[:, :, :, a, :, b])
        return dx.reshape(N, C, H, W)
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype)
    part = np.empty((N, C, Ho, Wo), dtype)
    for a in range(kh):
        for b in range(kw):
            write(a * kw + b, part)
            dxp[:, :, a : a + sh * (Ho - 1) + 1 : sh, b : b + sw * (Wo - 1) + 1 : sw] += part
    if ph or pw:
        return dxp[:, :, ph : ph + H, pw : pw + W].copy()
    return dxp


class MaxPool2d(Function):
    """Fused max pooling; the gradient goes to the first maximum of each window.

    forward:  out[n,c,ho,wo] = max_{a,b} xp[n, c, sh*ho+a, sw*wo+b]   (xp: -inf padded)
    grad_x:   dxp[n, c, sh*ho+a, sw*wo+b] += grad_out[n,c,ho,wo] where (a, b) is the
              window's first argmax (row-major), dx = dxp without its padding
    """

    fused = True
    once_differentiable = True

    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        views = _offset_views(x, kernel, stride, padding, _lowest(x.dtype))
        out = views[0].copy()
        for view in views[1:]:
            np.maximum(out, view, out=out)
        # The index of the first maximum, by arithmetic (masked assignment is slower):
        # element k scores n - k where it equals the maximum, and the best score wins.
        n = len(views)
        index = np.zeros(out.shape, np.min_scalar_type(n))
        hit = np.empty(out.shape, bool)
        score = np.empty(out.shape, index.dtype)
        for k, view in enumerate(views):
            np.equal(view, out, out=hit)
            np.multiply(hit, index.dtype.type(n - k), out=score)
            np.maximum(index, score, out=index)
        np.subtract(index.dtype.type(n), index, out=index)
        if out.dtype.kind == "f" and np.isnan(out).any():
            # NaN propagates (np.maximum); as in PyTorch, the gradient goes to the last NaN
            for k, view in enumerate(views):
                np.copyto(index, k, where=np.isnan(view))
        ctx.geometry = (x.shape, kernel, stride, padding)
        ctx.save_for_backward(index)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (index,) = ctx.saved_tensors

        def write(k, dest):  # the gradient where element k won the window, else 0
            np.multiply(index == k, grad_out, out=dest)

        return _input_grad(write, *ctx.geometry, grad_out.dtype)


class AvgPool2d(Function):
    """Fused average pooling, padded zeros included in every average.

    forward:  out[n,c,ho,wo] = sum_{a,b} xp[n, c, sh*ho+a, sw*wo+b] / (kh*kw)
    grad_x:   dxp[n, c, sh*ho+a, sw*wo+b] += grad_out[n,c,ho,wo] / (kh*kw) for every
              (a, b), dx = dxp without its padding
    """

    fused = True
    once_differentiable = True

    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        views = _offset_views(x, kernel, stride, padding, 0)
        out = views[0].copy()
        for view in views[1:]:
            out += view
        out *= 1.0 / len(views)
        ctx.geometry = (x.shape, kernel, stride, padding)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        _, kernel, _, _ = ctx.geometry
        share = grad_out * (1.0 / (kernel[0] * kernel[1]))

        def write(k, dest):  # every window element gets the same share
            np.copyto(dest, share)

        return _input_grad(write, *ctx.geometry, grad_out.dtype)


# -- composed: the specification ------------------------------------------------------------


def _stacked_windows(x, kernel, stride, padding, fill):
    """(N, C, Ho, Wo, kh*kw): every window's elements on the last axis, from public ops."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    Ho, Wo = _out_size(x.shape, kernel, stride, padding)
    if ph or pw:
        x = pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), value=fill)
    shifted = [
        x[:, :, a : a + sh * (Ho - 1) + 1 : sh, b : b + sw * (Wo - 1) + 1 : sw]
        for a in range(kh)
        for b in range(kw)
    ]
    return stack(shifted, axis=-1)


def _max_pool2d_composed(x, kernel, stride, padding):
    with name_scope("max_pool2d"):
        return _stacked_windows(x, kernel, stride, padding, _lowest(x.dtype)).max(axis=-1)


def _avg_pool2d_composed(x, kernel, stride, padding):
    with name_scope("avg_pool2d"):
        return _stacked_windows(x, kernel, stride, padding, 0.0).mean(axis=-1)
