"""A few seconds of fuzzing in CI: arbitrary bytes through decode → split → classify.

``tests/fuzz_decode.py`` is the fuzz target. Here hypothesis feeds it arbitrary bytes
(always), and atheris runs it for a bounded number of runs in a subprocess (when
atheris is installed; it is in the ``test`` extra on Linux x86-64).
"""
from __future__ import annotations

import importlib.util
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fuzz_decode import check, check_file

TARGET = Path(__file__).with_name("fuzz_decode.py")

# bytes that are mostly text, with the odd byte a scraper lets through
texty = st.lists(st.one_of(st.binary(max_size=8), st.sampled_from(
    [b"Read more\n", b"The article said so.\r\n", b"\r", b"\x00", b"\xff", b"\xe9", b"\xc3\xa9",
     b"\xef\xbb\xbf", b"\xff\xfe", b"\x1f\x8b", "日本語のテキスト。\n".encode(), b" " * 400])),
    max_size=40).map(b"".join)


@settings(max_examples=200, deadline=None)
@given(data=st.one_of(st.binary(max_size=4000), texty))
@example(data=b"")
@example(data=b"\xff\xfe\x00")                 # a UTF-16 BOM and half a code unit
@example(data=b"\x00\x00\xfe\xff\x00")         # UTF-32-BE BOM, truncated
@example(data=b"\xef\xbb\xbf\xed\xa0\x80")    # UTF-8 BOM, then an encoded surrogate
@example(data=b"\x1f\x8b\x08\x00garbage")      # gzip magic, not gzip
@example(data=b"BZh91AY&SY" + bytes(200))
def test_any_bytes_are_read_or_refused(seed_model, data):
    check(data, seed_model)


@settings(max_examples=40, deadline=None)
@given(data=st.one_of(st.binary(max_size=2000), texty))
def test_any_gzip_file_is_read_or_refused(seed_model, data):
    check_file(data, seed_model)


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris is not installed")
def test_atheris_runs_the_target(seed_model_path, tmp_path):
    env = dict(os.environ, UNBOIL_FUZZ_MODEL=str(seed_model_path))
    # libFuzzer's RSS is ru_maxrss, which Linux carries over fork + exec: the child starts
    # at this pytest process's peak. Its 2 GB budget is counted on top of that peak.
    rss_limit = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 + 2048
    res = subprocess.run(
        [sys.executable, str(TARGET), "-runs=2000", "-max_len=4096", "-seed=1", "-timeout=30",
         f"-rss_limit_mb={rss_limit}",
         f"-artifact_prefix={tmp_path}/"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "Done 2000 runs" in res.stderr, res.stderr[-3000:]
    assert not list(tmp_path.glob("crash-*"))
