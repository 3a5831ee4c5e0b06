"""2-D convolution: a fused im2col + GEMM ``Function`` and a composed version side by side.

The composed version (``_conv2d_composed``) is the specification: pad, the HH*WW shifted
slices stacked into columns, one matmul. ``Conv2d`` computes the same thing with one
strided window view and one GEMM each way, in scratch buffers that are reused across
calls (fresh large arrays cost a page fault per 4 KiB, which is a sizeable part of a
conv's time on a small machine).

Layout of the fused op: the columns are ``(C*HH*WW, N*Ho*Wq)``, so the forward product
and the weight gradient are single GEMMs over the whole batch. With stride 1 the output
is computed "wide": the padded planes are stored with row stride ``S = W + pw`` (a row's
right padding is the next row's left padding; S = Wo if that is larger, when the padding
exceeds the kernel), and ``Wq = S`` columns are computed per output row instead of Wo,
the ``S - Wo`` extra ones being discarded (forward) or zero (backward). Then every kernel
offset reads one contiguous run of each plane, and col2im becomes a single strided-view
reduction instead of HH*WW passes over the input gradient.
"""

from __future__ import annotations

import math
import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd import Function, Tensor, name_scope, pad, stack
from nn.functional._args import check_impl, check_tensor, pair

# Wide (stride-1) layout only when its wasted columns cost at most this fraction of Wo.
_WIDE_MAX_WASTE = 0.25
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
    """Sizes of one convolution.

    ``S`` is the row stride of the stored padded planes and ``Wq`` the computed width of
    an output row: S and S when wide, Wp and Wo otherwise.
    """

    __slots__ = (
        "N", "C", "H", "W", "F", "HH", "WW", "sh", "sw", "ph", "pw",
        "Hp", "Wp", "Ho", "Wo", "S", "Wq", "wide", "plane", "gap", "cols_size", "dtype",
    )  # fmt: skip

    def __init__(self, x, weight, stride, padding):
        self.N, self.C, self.H, self.W = x.shape
        self.F, _, self.HH, self.WW = weight.shape
        (self.sh, self.sw), (self.ph, self.pw) = stride, padding
        self.Hp, self.Wp = self.H + 2 * self.ph, self.W + 2 * self.pw
        self.Ho = (self.Hp - self.HH) // self.sh + 1
        self.Wo = (self.Wp - self.WW) // self.sw + 1
        # Wide rows overlap the right padding of one row with the left padding of the next;
        # an output row needs Wo columns, more than W + pw only when padding >= kernel.
        S = max(self.W + self.pw, self.Wo)
        self.wide = stride == (1, 1) and S - self.Wo <= _WIDE_MAX_WASTE * self.Wo
        self.S = S if self.wide else self.Wp
        self.Wq = S if self.wide else self.Wo
        # Wide windows of the last row run up to WW - 1 elements past the padded plane.
        self.plane = self.Hp * self.S + (self.WW - 1 if self.wide else 0)
        # Zeros between the rows of the wide column gradient (see _col2im_wide): col2im
        # reads up to `before` elements ahead of a row and `after` elements past its end.
        L = self.Ho * self.Wq
        before = (self.HH - 1 - self.ph) * self.S + self.WW - 1
        after = (self.H + self.ph) * self.S - L
        self.gap = max(0, before, after) if self.wide else 0
        # The "cols" slot holds the columns, then the column gradient with its gaps.
        self.cols_size = self.C * self.HH * self.WW * self.N * (self.gap + L) + self.gap
        self.dtype = x.dtype


def _im2col(x, g: _Geometry, token=None) -> np.ndarray:
    """The columns ``(C*HH*WW, N*Ho*Wq)`` of x, in the "cols" scratch buffer (claimed for
    ``token``, so that a backward right after its forward can find them still there).

    Column (n, ho, wq) of row (c, i, j) is the padded input at (n, c, sh*ho + i, sw*wq + j);
    in the wide layout wq runs to S and the excess reads wrap into the next row (or the
    zeroed tail of the plane), finite values that only ever meet zeros.
    """
    N, C, H, W, Hp, S, ph, pw = g.N, g.C, g.H, g.W, g.Hp, g.S, g.ph, g.pw
    xp = _WORKSPACE.get("xp", (N, C, g.plane), g.dtype)
    image = xp[:, :, : Hp * S].reshape(N, C, Hp, S)
    # Zero only the border and tail (the buffer is shared, so they may hold old values).
    image[:, :, :ph] = 0
    image[:, :, ph + H :] = 0
    image[:, :, ph : ph + H, :pw] = 0
    image[:, :, ph : ph + H, pw + W :] = 0
    xp[:, :, Hp * S :] = 0
    image[:, :, ph : ph + H, pw : pw + W] = x
    e = xp.itemsize
    windows = as_strided(
        xp,
        shape=(C, g.HH, g.WW, N, g.Ho, g.Wq),
        strides=(xp.strides[1], S * e, e, xp.strides[0], g.sh * S * e, g.sw * e),
        writeable=False,
    )  # (C, HH, WW, N, Ho, Wq)
    cols = _WORKSPACE.get("cols", windows.shape, g.dtype, capacity=g.cols_size)
    np.copyto(cols, windows)
    cols = cols.reshape(C * g.HH * g.WW, N * g.Ho * g.Wq)
    if token is not None:
        _WORKSPACE.claim("cols", token, cols.shape, g.dtype)
    return cols


def _col2im_wide(flat, g: _Geometry) -> np.ndarray:
    """dx from the wide column gradient, by one reduction over a strided view.

    ``flat`` holds the ``N*C*HH*WW`` rows of the column gradient, ``Ho*S`` long with zero
    wide columns, each preceded by ``g.gap`` zeros and the last one followed by as many.
    Stored position q = hp*S + wp collects row (n, c, i, j) at q - i*S - j over the kernel
    offsets (reads off either end of a row land in zeros); the reduction runs over whole
    stored rows (long contiguous runs), and the padding columns are dropped afterwards.
    """
    N, C, HH, WW, S, ph, pw = g.N, g.C, g.HH, g.WW, g.S, g.ph, g.pw
    e = flat.itemsize
    s_row = (g.gap + g.Ho * g.Wq) * e
    # offsets computed here, not by slicing a row: the start may lie past the row's end
    view = as_strided(
        flat[g.gap + ph * S :],
        shape=(N, C, g.H * S, HH, WW),
        strides=(C * HH * WW * s_row, HH * WW * s_row, e, WW * s_row - S * e, s_row - e),
        writeable=False,
    )  # (N, C, stored rows ph..ph+H-1 flattened, HH, WW)
    rows = _WORKSPACE.get("xp", (N, C, g.H * S), g.dtype)
    np.sum(view, axis=(3, 4), out=rows)
    return rows.reshape(N, C, g.H, S)[:, :, :, pw : pw + g.W].copy()


def _col2im_strided(dcols, g: _Geometry) -> np.ndarray:
    """dx from the column gradient ``(N, C, HH, WW, Ho, Wo)``: HH*WW strided adds."""
    sh, sw, Ho, Wo = g.sh, g.sw, g.Ho, g.Wo
    dxp = _WORKSPACE.get("xp", (g.N, g.C, g.Hp, g.Wp), g.dtype)
    dxp.fill(0)
    for i in range(g.HH):
        for j in range(g.WW):
            dxp[:, :, i : i + sh * (Ho - 1) + 1 : sh, j : j + sw * (Wo - 1) + 1 : sw] += dcols[
                :, :, i, j
            ]
    return dxp[:, :, g.ph : g.ph + g.H, g.pw : g.pw + g.W].copy()


class Conv2d(Function):
    """Fused conv2d: one strided window view (im2col) and one GEMM each way.

    With xp the zero-padded input, cols[(c,i,j), (n,ho,wo)] = xp[n, c, sh*ho+i, sw*wo+j],
    W2 = weight as (F, C*HH*WW) and G = grad_out as (F, N*Ho*Wo):
        forward:  out = W2 @ cols + b                        (as (N, F, Ho, Wo))
        grad_w:   dW2 = G @ cols^T
        grad_b:   db[f] = sum_{n,ho,wo} grad_out[n, f, ho, wo]
        grad_x:   dcols = W2^T @ G, then dxp[n, c, sh*ho+i, sw*wo+j] += dcols (col2im)
                  and dx = dxp without its padding
    The columns are not kept for backward: they live in a scratch buffer that every call
    reuses, and backward rebuilds them unless no other conv has used the buffer since.
    """

    fused = True
    once_differentiable = True

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding):
        g = _Geometry(x, weight, stride, padding)
        N, F, Ho, Wo, Wq = g.N, g.F, g.Ho, g.Wo, g.Wq
        ctx.token = object()  # names this call's columns in the scratch buffer
        cols = _im2col(x, g, ctx.token)
        out2 = _WORKSPACE.get("rows", (F, N * Ho * Wq), g.dtype)
        np.matmul(weight.reshape(F, -1), cols, out=out2)
        # (F, N, Ho, Wq) -> (N, F, Ho, Wo), dropping the wide columns, adding the bias
        src = out2.reshape(F, N, Ho, Wq)[:, :, :, :Wo].transpose(1, 0, 2, 3)
        out = np.empty((N, F, Ho, Wo), g.dtype)
        if bias is None:
            np.copyto(out, src)
        else:
            np.add(src, bias.reshape(1, F, 1, 1), out=out)
        ctx.geometry = g
        ctx.save_for_backward(x, weight)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        g = ctx.geometry
        need_x, need_w, need_b = ctx.needs_input_grad
        N, C, F, Ho, Wo, Wq = g.N, g.C, g.F, g.Ho, g.Wo, g.Wq
        grad_b = grad_out.sum(axis=(0, 2, 3)) if need_b else None
        if not (need_x or need_w):
            return None, None, grad_b
        rows = _WORKSPACE.get("rows", (F, N, Ho, Wq), g.dtype)  # grad_out as (F, N, Ho, Wq)
        rows[:, :, :, Wo:] = 0  # the wide columns: zero, so they add nothing below
        np.copyto(rows[:, :, :, :Wo], grad_out.transpose(1, 0, 2, 3))
        rows = rows.reshape(F, N * Ho * Wq)
        w2 = weight.reshape(F, -1)
        grad_w = None
        if need_w:
            cols = _WORKSPACE.claimed("cols", ctx.token)
            if cols is None:  # another conv has used the buffer since this forward
                cols = _im2col(x, g)
            grad_w = (rows @ cols.T).reshape(weight.shape)  # cols.T: a transposed view
            del cols  # its slot now takes the column gradient
        if not need_x:
            return None, grad_w, grad_b
        K, L = C * g.HH * g.WW, Ho * Wq
        per_sample = rows.reshape(F, N, L).transpose(1, 0, 2)  # (N, F, L), a view
        if g.wide:
            # rows of length L separated by zeros, so that col2im's reads off a row see 0
            gap = g.gap
            flat = _WORKSPACE.get("cols", (N * K * (gap + L) + gap,), g.dtype)
            flat[N * K * (gap + L) :] = 0
            buffer = flat[: N * K * (gap + L)].reshape(N, K, gap + L)
            buffer[:, :, :gap] = 0
            np.matmul(w2.T, per_sample, out=buffer[:, :, gap:])
            grad_x = _col2im_wide(flat, g)
        else:
            dcols = _WORKSPACE.get("cols", (N, K, L), g.dtype)
            np.matmul(w2.T, per_sample, out=dcols)
            grad_x = _col2im_strided(dcols.reshape(N, C, g.HH, g.WW, Ho, Wo), g)
        return grad_x, grad_w, grad_b
