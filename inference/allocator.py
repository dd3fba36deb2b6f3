"""Keep freed memory in the process for reuse: a speed hint for batch runs (glibc only).

Every batch allocates the same large numpy temporaries (code points, hashes, masks),
a few MB each. glibc serves blocks that large with a fresh ``mmap`` and returns them
to the kernel when freed, so the next batch faults in and zeroes the same pages again:
measured on the shared benchmark pages, 250k page faults and 0.8 s of system time in a
6 s run. Raising the mmap and trim thresholds keeps those blocks on the heap: 20k
faults, 0.15 s, the same peak RSS (it is set by the largest batch either way).

Only the command line calls this, for its own process and its worker processes; a
program that imports unboil keeps its allocator as it was.
"""
from __future__ import annotations

__all__ = ["keep_freed_memory"]

# glibc's mallopt parameters (malloc.h) and the values set
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2 ** 20      # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD = 2 ** 30


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds; False (and nothing changed) where the C
    library has no ``mallopt`` (musl, macOS, Windows) or refuses the values."""
    try:
        import ctypes
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
