"""Run a fused layer's NumPy passes in cache-sized blocks, on a thread per core.

A fused norm makes five or six NumPy passes over its arrays where PyTorch makes two; on
large activations each pass is a trip to main memory. Cut into blocks of a few MiB that
stay in cache from one pass to the next, and shared between the cores (NumPy releases
the GIL inside ufuncs and einsum), group norm on (64, 64, 32, 32) went from 9.7 ms to
about 6 ms. Small arrays stay on the calling thread: a hand-off costs ~50 us.

NumPy's ufunc buffer size matters too. An in-place op like ``a *= row_scale`` on rows
shorter than the buffer (8192 elements by default) goes through the buffers, copying,
and runs 2-3x slower than with a buffer no longer than a row, where it works on the
array directly (measured for rows of 1024-4096 float32). So each kernel runs with the
buffer size set to its row length.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# Below this many elements a kernel runs inline on the calling thread.
_MIN_PARALLEL_SIZE = 1 << 19

_DEFAULT_BUFSIZE = 8192
# Elements per block: each pass over a block after the first finds it in cache (measured
# best among 2**17 to 2**21 float32 for the norms on (64, 64, 32, 32)).
_BLOCK_SIZE = 1 << 20

_pool: ThreadPoolExecutor | None = None


def _threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _forget_pool() -> None:
    """In a forked child the pool's threads do not exist: start a new pool when needed."""
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=max(_threads() - 1, 1), thread_name_prefix="npgrad")
    return _pool


def _with_bufsize(kernel, bufsize: int):
    """``kernel`` run with NumPy's ufunc buffer size set (per thread) to ``bufsize``."""

    def run(part):
        old = np.setbufsize(bufsize)
        try:
            return kernel(part)
        finally:
            np.setbufsize(old)

    return run


def run_split(kernel, length: int, size: int, row: int) -> list:
    """``kernel(s)`` for blocks ``s`` (slices) covering ``range(length)``, results in order.

    ``size`` is the number of elements the work touches. It is cut into blocks of about
    ``_BLOCK_SIZE`` elements so that a kernel's successive passes over a block hit the
    core's cache rather than main memory, and the blocks are shared out, in contiguous
    runs, to a thread per core when the work is large. The kernel must touch only its
    block of any output (the blocks are disjoint). ``row`` is the length of the contiguous
    rows its broadcasting passes run along.
    """
    if 16 <= row < _DEFAULT_BUFSIZE:
        kernel = _with_bufsize(kernel, 1 << (row.bit_length() - 1))
    threads = min(_threads(), length) if size >= _MIN_PARALLEL_SIZE else 1
    count = max(threads, -(-size // _BLOCK_SIZE))  # at least one block per thread
    step = -(-length // count)
    blocks = [slice(i, min(i + step, length)) for i in range(0, length, step)]
    if threads <= 1:
        return [kernel(b) for b in blocks]
    bounds = [len(blocks) * i // threads for i in range(threads + 1)]
    runs = [blocks[bounds[i] : bounds[i + 1]] for i in range(threads)]

    def work(run):
        return [kernel(b) for b in run]

    # The calling thread takes the first run itself: one hand-off fewer.
    futures = [_get_pool().submit(work, run) for run in runs[1:]]
    results = work(runs[0])
    for f in futures:
        results += f.result()
    return results
