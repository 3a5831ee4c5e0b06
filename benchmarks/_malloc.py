"""Keep glibc from returning large freed arrays to the OS between steps.

glibc serves arrays above its mmap threshold (at most 32 MiB) with fresh mmaps and gives
them back on free, so every step of a large layer page-faults its memory in again (about
1 us per 4 KiB page here): a composed 7x7 conv measured 42-150 ms with the defaults and a
steady 34-36 ms with the thresholds raised. Both libraries allocate through malloc, so
the benchmarks raise the thresholds for both, once, at start-up (Linux/glibc only; a no-op
elsewhere). ``--default-malloc`` on each benchmark turns this off.
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_LARGE = 1 << 30  # 1 GiB: larger blocks still come from mmap


def keep_freed_memory() -> bool:
    """Raise glibc's trim and mmap thresholds; returns whether it took effect."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, _LARGE)) and bool(
            libc.mallopt(_M_TRIM_THRESHOLD, _LARGE)
        )
    except (OSError, AttributeError):
        return False
