"""2-D convolution: a fused im2col + GEMM ``Function`` and a composed version side by side.

The composed version (``_conv2d_composed``) is the specification: pad, the HH*WW shifted
slices stacked into columns, one matmul. ``Conv2d`` computes the same thing with one
strided window view and GEMMs, in scratch buffers that are reused across calls (fresh
large arrays cost a page fault per 4 KiB, which is a sizeable part of a conv's time on a
small machine).

Layout of the fused op: the columns are ``(C*HH*WW, N*Ho*Wo)``. The forward product runs
as one GEMM per sample, which writes the output in its own (N, F, Ho, Wo) order, or, when
a sample has few output pixels, as one GEMM over the batch followed by a transposing copy.
The weight gradient is one GEMM over the batch. The input gradient of a stride-1 conv is
itself a stride-1 conv (of grad_out with the flipped filters), so it reuses the forward
path; otherwise the column gradient is summed back by HH*WW strided adds (col2im).
"""

from __future__ import annotations

import math
import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd import Function, Tensor, name_scope, pad, stack
from nn.functional._args import check_impl, check_tensor, pair
from nn.functional._parallel import run_split

# One GEMM per sample when a sample has at least this many output pixels; fewer make GEMMs
# too thin (one over the batch then wins, transposing copy and all).
_PER_SAMPLE_MIN_PIXELS = 512
# A stride-1 input gradient is a conv of grad_out, whose columns are F*HH*WW rows high
# where x's are C*HH*WW: taken when F <= this * C (so the scratch buffers do not grow).
_CORRELATE_MAX_GROWTH = 1.0
# Scratch buffers larger than this are not kept between calls.
_WORKSPACE_LIMIT_BYTES = 1 << 30


def conv2d(x, weight, bias=None, stride=1, padding=0, impl: str = "fused") -> Tensor:
    """2-D cross-correlation (PyTorch's conv2d) of a batch of images with a filter bank.

    Parameters
    ----------
    x : Tensor, shape (N, C, H, W), floating dtype
    weight : Tensor, shape (F, C, HH, WW), x's dtype
    bias : Tensor, shape (F,), or None
    stride : int or (int, int), at least 1
    padding : int or (int, int); zeros added on both sides of H and W
    impl : "fused" (one node, hand-derived VJP) or "composed" (pad, slices, stack, matmul)

    Returns
    -------
    Tensor, shape (N, F, Ho, Wo), x's dtype; Ho = (H + 2*pad_h - HH) // stride_h + 1
    """
    stride, padding = _check_conv2d(x, weight, bias, stride, padding, impl)
    if impl == "fused":
        return Conv2d.apply(x, weight, bias, stride=stride, padding=padding)
    return _conv2d_composed(x, weight, bias, stride, padding)


def _check_conv2d(x, weight, bias, stride, padding, impl):
    """Validate conv2d's arguments; returns stride and padding as pairs."""
    op = "conv2d"
    check_impl(impl, op)
    check_tensor(x, op, (4,), "x")
    check_tensor(weight, op, (4,), "weight")
    shapes = f"x.shape={x.shape}, weight.shape={weight.shape}"
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"{op}: x has {x.shape[1]} channels but weight expects {weight.shape[1]}; {shapes}"
        )
    if bias is not None:
        check_tensor(bias, op, (1,), "bias")
        if bias.shape[0] != weight.shape[0]:
            raise ValueError(
                f"{op}: bias has shape {bias.shape} but weight has {weight.shape[0]} filters; "
                f"expected ({weight.shape[0]},)"
            )
    for name, t in (("x", x), ("weight", weight), ("bias", bias)):
        if t is not None and (t.dtype.kind != "f" or t.dtype != x.dtype):
            raise TypeError(
                f"{op}: {name} has dtype {t.dtype} but x has {x.dtype}; conv2d needs one "
                "floating dtype for x, weight and bias (convert with .astype)"
            )
    stride = pair(stride, "stride", op, minimum=1)
    padding = pair(padding, "padding", op, minimum=0)
    padded = (x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1])
    kernel = weight.shape[2:]
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        raise ValueError(
            f"{op}: kernel {kernel} is larger than the padded input {padded} "
            f"(padding={padding}); {shapes}"
        )
    if 0 in kernel:
        raise ValueError(f"{op}: weight has an empty kernel; {shapes}")
    return stride, padding


# -- composed: the specification ------------------------------------------------------------


def _conv2d_composed(x, weight, bias, stride, padding):
    """conv2d from public ops: pad, HH*WW shifted slices, stack, one matmul."""
    N, C, H, W = x.shape
    F, _, HH, WW = weight.shape
    (sh, sw), (ph, pw) = stride, padding
    Ho, Wo = (H + 2 * ph - HH) // sh + 1, (W + 2 * pw - WW) // sw + 1
    with name_scope("conv2d"):
        xp = pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
        # The window element (i, j) of every output pixel, for all pixels at once.
        shifted = [
            xp[:, :, i : i + sh * (Ho - 1) + 1 : sh, j : j + sw * (Wo - 1) + 1 : sw]
            for i in range(HH)
            for j in range(WW)
        ]
        cols = stack(shifted, axis=2).reshape(N, C * HH * WW, Ho * Wo)  # (N, C*HH*WW, Ho*Wo)
        out = (weight.reshape(F, C * HH * WW) @ cols).reshape(N, F, Ho, Wo)
        if bias is not None:
            out = out + bias.reshape(1, F, 1, 1)
    return out


# -- fused: im2col + GEMM -------------------------------------------------------------------


class _Workspace(threading.local):
    """Per-thread scratch buffers: one flat array per (slot, dtype), grown on demand.

    A slot holds one intermediate at a time (the caller knows when it is dead); nothing
    returned to the user ever lives here, so results never alias each other. A writer
    may ``claim`` what it left in a slot; any later ``get`` of the slot drops the claim.
    """

    def __init__(self):
        self.buffers = {}
        self.claims = {}  # slot -> (token, shape, dtype) of the contents left there

    def claim(self, slot: str, token, shape: tuple, dtype) -> None:
        """Mark the slot's current contents, of ``shape``, as ``token``'s."""
        if (slot, np.dtype(dtype)) in self.buffers:  # not an oversized one-off array
            self.claims[slot] = (token, shape, np.dtype(dtype))

    def claimed(self, slot: str, token):
        """The slot's contents if they are still ``token``'s, else None."""
        claim = self.claims.get(slot)
        if claim is None or claim[0] is not token:
            return None
        _, shape, dtype = claim
        return self.buffers[(slot, dtype)][: math.prod(shape)].reshape(shape)

    def get(self, slot: str, shape: tuple, dtype, capacity: int = 0) -> np.ndarray:
        """An uninitialised array of ``shape`` on the slot's buffer.

        A buffer that must grow is allocated with at least ``capacity`` elements, so that
        a caller who knows its next, larger request for the slot avoids a second buffer.
        """
        self.claims.pop(slot, None)
        dtype = np.dtype(dtype)
        size = math.prod(shape)
        key = (slot, dtype)
        buffer = self.buffers.get(key)
        if buffer is None or buffer.size < size:
            self.buffers.pop(key, None)  # drop the old one before allocating its successor
            capacity = max(size, capacity)
            if capacity * dtype.itemsize > _WORKSPACE_LIMIT_BYTES:
                return np.empty(shape, dtype)
            buffer = self.buffers[key] = np.empty(capacity, dtype)
        return buffer[:size].reshape(shape)


_WORKSPACE = _Workspace()


class _Geometry:
    """Sizes of one convolution: input (N, C, H, W), filters (F, C, HH, WW), output (Ho, Wo)."""

    __slots__ = ("N", "C", "H", "W", "F", "HH", "WW", "sh", "sw", "ph", "pw", "Ho", "Wo", "dtype")

    def __init__(self, x_shape, w_shape, stride, padding, dtype):
        self.N, self.C, self.H, self.W = x_shape
        self.F, _, self.HH, self.WW = w_shape
        (self.sh, self.sw), (self.ph, self.pw) = stride, padding
        self.Ho = (self.H + 2 * self.ph - self.HH) // self.sh + 1
        self.Wo = (self.W + 2 * self.pw - self.WW) // self.sw + 1
        self.dtype = dtype


def _im2col(x, g: _Geometry, token=None) -> np.ndarray:
    """The columns ``(C*HH*WW, N*Ho*Wo)`` of x, in the "cols" scratch buffer (claimed for
    ``token``, so that a backward right after its forward can find them still there).

    Column (n, ho, wo) of row (c, i, j) is the padded input at (n, c, sh*ho + i, sw*wo + j).
    """
    N, C, H, W, ph, pw = g.N, g.C, g.H, g.W, g.ph, g.pw
    if ph or pw:
        xp = _WORKSPACE.get("xp", (N, C, H + 2 * ph, W + 2 * pw), g.dtype)
        # Zero only the border (the buffer is shared, so it may hold old values).
        xp[:, :, :ph] = 0
        xp[:, :, ph + H :] = 0
        xp[:, :, ph : ph + H, :pw] = 0
        xp[:, :, ph : ph + H, pw + W :] = 0
        xp[:, :, ph : ph + H, pw : pw + W] = x
    else:
        xp = np.ascontiguousarray(x)
    sN, sC, sH, sW = xp.strides
    windows = as_strided(
        xp,
        shape=(C, g.HH, g.WW, N, g.Ho, g.Wo),
        strides=(sC, sH, sW, sN, g.sh * sH, g.sw * sW),
        writeable=False,
    )
    cols = _WORKSPACE.get("cols", windows.shape, g.dtype)
    np.copyto(cols, windows)
    cols = cols.reshape(C * g.HH * g.WW, N * g.Ho * g.Wo)
    if token is not None:
        _WORKSPACE.claim("cols", token, cols.shape, g.dtype)
    return cols


def _product(w2, cols, N: int, L: int, bias=None) -> np.ndarray:
    """``w2 @ cols`` (+ bias per row of w2) as a new ``(N, F, L)`` array, F = len(w2).

    cols is ``(K, N*L)``; each sample's L columns are contiguous within a row.
    """
    F, K = w2.shape
    out = np.empty((N, F, L), cols.dtype)
    b = None if bias is None else bias.reshape(1, F, 1)
    if L >= _PER_SAMPLE_MIN_PIXELS:  # straight into out's layout, one GEMM per sample
        np.matmul(w2, cols.reshape(K, N, L).transpose(1, 0, 2), out=out)
        if b is not None:
            run_split(lambda s: np.add(out[s], b, out=out[s]), N, out.size, row=L)
        return out
    full = _WORKSPACE.get("rows", (F, N, L), cols.dtype)
    np.matmul(w2, cols, out=full.reshape(F, N * L))
    if b is None:
        np.copyto(out, full.transpose(1, 0, 2))
    else:
        np.add(full.transpose(1, 0, 2), b, out=out)
    return out


def _col2im(dcols, g: _Geometry) -> np.ndarray:
    """dx from the column gradient ``(N, C, HH, WW, Ho, Wo)``: HH*WW strided adds."""
    sh, sw, Ho, Wo = g.sh, g.sw, g.Ho, g.Wo
    dxp = _WORKSPACE.get("xp", (g.N, g.C, g.H + 2 * g.ph, g.W + 2 * g.pw), g.dtype)
    dxp.fill(0)
    for i in range(g.HH):
        for j in range(g.WW):
            dxp[:, :, i : i + sh * (Ho - 1) + 1 : sh, j : j + sw * (Wo - 1) + 1 : sw] += dcols[
                :, :, i, j
            ]
    return dxp[:, :, g.ph : g.ph + g.H, g.pw : g.pw + g.W].copy()


class Conv2d(Function):
    """Fused conv2d: one strided window view (im2col) and GEMMs each way.

    With xp the zero-padded input, cols[(c,i,j), (n,ho,wo)] = xp[n, c, sh*ho+i, sw*wo+j],
    W2 = weight as (F, C*HH*WW) and G = grad_out as (F, N*Ho*Wo):
        forward:  out = W2 @ cols + b                        (as (N, F, Ho, Wo))
        grad_w:   dW2 = G @ cols^T
        grad_b:   db[f] = sum_{n,ho,wo} grad_out[n, f, ho, wo]
        grad_x:   dcols = W2^T @ G, then dxp[n, c, sh*ho+i, sw*wo+j] += dcols (col2im)
                  and dx = dxp without its padding
    For stride 1 the last line is a convolution: dx[n, c, h, w] = sum_{f,i,j} grad_out[n,
    f, h+ph-i, w+pw-j] weight[f, c, i, j], i.e. conv2d of grad_out, padded by (HH-1-ph,
    WW-1-pw), with weight flipped in (i, j) and its F and C axes swapped. That path needs
    no col2im, and is taken when ph < HH and pw < WW (non-negative padding).
    The columns are not kept for backward: they live in a scratch buffer that every call
    reuses, and backward rebuilds them unless no other conv has used the buffer since.
    """

    fused = True
    once_differentiable = True

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding):
        g = _Geometry(x.shape, weight.shape, stride, padding, x.dtype)
        ctx.token = object()  # names this call's columns in the scratch buffer
        cols = _im2col(x, g, ctx.token)
        out = _product(weight.reshape(g.F, -1), cols, g.N, g.Ho * g.Wo, bias)
        ctx.geometry = g
        ctx.save_for_backward(x, weight)
        return out.reshape(g.N, g.F, g.Ho, g.Wo)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        g = ctx.geometry
        need_x, need_w, need_b = ctx.needs_input_grad
        N, C, F, HH, WW, L = g.N, g.C, g.F, g.HH, g.WW, g.Ho * g.Wo
        per_sample = grad_out.reshape(N, F, L)
        grad_b = np.einsum("nfl->f", per_sample) if need_b else None
        correlate = g.sh == g.sw == 1 and g.ph < HH and g.pw < WW and F <= _CORRELATE_MAX_GROWTH * C
        rows = None
        if need_w or (need_x and not correlate):  # grad_out as (F, N*Ho*Wo)
            rows = _WORKSPACE.get("rows", (F, N, L), g.dtype)
            np.copyto(rows, per_sample.transpose(1, 0, 2))
            rows = rows.reshape(F, N * L)
        grad_w = None
        if need_w:
            cols = _WORKSPACE.claimed("cols", ctx.token)
            if cols is None:  # another conv has used the buffer since this forward
                cols = _im2col(x, g)
            grad_w = (rows @ cols.T).reshape(weight.shape)  # cols.T: a transposed view
            del cols  # its slot now takes the column gradient
        if not need_x:
            return None, grad_w, grad_b
        if correlate:
            flipped = np.ascontiguousarray(weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
            gt = _Geometry(
                grad_out.shape, flipped.shape, (1, 1), (HH - 1 - g.ph, WW - 1 - g.pw), g.dtype
            )
            cols = _im2col(grad_out, gt)
            grad_x = _product(flipped.reshape(C, -1), cols, N, g.H * g.W)
            return grad_x.reshape(N, C, g.H, g.W), grad_w, grad_b
        K = C * HH * WW
        dcols = _WORKSPACE.get("cols", (K, N * L), g.dtype)
        np.matmul(weight.reshape(F, K).T, rows, out=dcols)
        dcols = dcols.reshape(C, HH, WW, N, g.Ho, g.Wo).transpose(3, 0, 1, 2, 4, 5)
        return _col2im(dcols, g), grad_w, grad_b
