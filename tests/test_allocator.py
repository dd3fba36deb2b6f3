"""The command line's allocator hint: set on glibc, a harmless no-op elsewhere."""
import platform

import pytest

from inference.allocator import keep_freed_memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_glibc_accepts_the_thresholds():
    assert keep_freed_memory() is True


def test_without_mallopt_nothing_changes(monkeypatch):
    import ctypes

    def no_libc(*args, **kwargs):
        raise OSError("no C library here")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert keep_freed_memory() is False
