"""Robustness and safety: no input crashes unboil, nothing is lost, no model file runs code.

Every bad input ends in either correct output or one line on stderr and a documented
exit code (``inference.cli.EXIT_*``, see docs/exit-codes.md) — never a traceback. In a
batch, a bad file is reported and the others are still processed.
"""
from __future__ import annotations

import contextlib
import errno
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from inference import ModelFileError, load_model, textio
from inference import cli
from inference.modelfile import read_model_file, write_model_file
from training.cli import main as unboil

from conftest import LABELS, SEED_WITH_WIDGET, SEEDS

OTHER = SEEDS / "000_3b6ea9010d9179f4.txt"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8


def run(argv, capsys):
    code = unboil(argv)
    out, err = capsys.readouterr()
    return code, out, err


def clean(model_path, *args):
    return ["clean", "--model", str(model_path), *map(str, args)]


def tsv_rows(out: str) -> list[tuple[str, float, str]]:
    """(label, score, text) of every row of --format tsv output (text may hold tabs)."""
    rows = []
    for row in out.split("\n")[:-1]:
        label, score, text = row.split("\t", 2)
        rows.append((label, float(score), text))
    return rows


def assert_error_lines(err: str, count: int, *needles: str) -> None:
    """stderr holds ``count`` one-line messages, no traceback, and mentions each needle."""
    lines = err.splitlines()
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert len(lines) == count, err
    assert all(l.startswith("unboil: ") for l in lines), err
    for needle in needles:
        assert needle in err, (needle, err)


# --- inputs that are text ------------------------------------------------------------

ENCODED = {
    # mostly UTF-8 with one broken byte: the rest stays UTF-8, the byte becomes U+FFFD
    "invalid-utf8": ("Grüße aus Köln, café.\n".encode() + b"A stray \xff byte.\n",
                     ["Grüße aus Köln, café.", "A stray \ufffd byte."]),
    "cp1252": ("“Quoted” café — dash.\n".encode("cp1252"), ["“Quoted” café — dash."]),
    # 0x81 is undefined in cp1252: the file is still cp1252 (the byte becomes U+0081)
    "cp1252-undefined-byte": (b"\x93Quoted\x94 caf\xe9 \x81.\n", ["“Quoted” café \x81."]),
    "latin-1": ("Ça va très bien, Søren.\n".encode("latin-1"), ["Ça va très bien, Søren."]),
    "utf-16-le-bom": ("Grüße aus Köln.\nZweite Zeile.\n".encode("utf-16"),
                      ["Grüße aus Köln.", "Zweite Zeile."]),
    "utf-16-be-bom": (b"\xfe\xff" + "Grüße.\r\nZwei.".encode("utf-16-be"), ["Grüße.", "Zwei."]),
    "utf-8-bom": (b"\xef\xbb\xbfFirst line.\nSecond.\n", ["First line.", "Second."]),
    "crlf": (b"Line one.\r\nLine two.\r\n", ["Line one.", "Line two."]),
    "lone-cr": (b"Line one.\rLine two.\rLine three.", ["Line one.", "Line two.", "Line three."]),
    "nul-inside": (b"A normal sentence.\x00 With a NUL inside.\nNext line.\n",
                   ["A normal sentence.\x00 With a NUL inside.", "Next line."]),
    # text files whose first bytes spell a binary format's magic are still text
    "magic-lookalike": (b"BZhang Wei said RIFFS and GIF8 are fine.\n",
                        ["BZhang Wei said RIFFS and GIF8 are fine."]),
    "gzip-of-text": (gzip.compress("Café au lait.\nRead more\n".encode()), ["Café au lait.", "Read more"]),
}


@pytest.mark.parametrize("name", sorted(ENCODED))
def test_encodings_and_line_breaks_are_read_as_text(name, seed_model_path, tmp_path, capsys):
    raw, lines = ENCODED[name]
    f = tmp_path / f"{name}.txt"
    f.write_bytes(raw)
    code, out, err = run(clean(seed_model_path, "--format", "tsv", f), capsys)
    assert code == cli.EXIT_OK and err == ""
    rows = tsv_rows(out)
    assert [r[2] for r in rows] == lines
    assert all(r[0] in ("content", "boilerplate") and 0.0 <= r[1] <= 1.0 for r in rows)


def test_empty_and_whitespace_only_files(seed_model_path, tmp_path, capsys):
    empty, blank = tmp_path / "empty.txt", tmp_path / "blank.txt"
    empty.write_bytes(b"")
    blank.write_bytes(b"   \n\t\n \r\n")
    code, out, err = run(clean(seed_model_path, empty, blank), capsys)
    assert (code, out, err) == (cli.EXIT_OK, "", "")
    code, out, err = run(clean(seed_model_path, "--format", "tsv", empty, blank), capsys)
    assert code == cli.EXIT_OK and err == ""
    assert tsv_rows(out) == [("boilerplate", 1.0, "   "), ("boilerplate", 1.0, "\t"), ("boilerplate", 1.0, " ")]
    code, out, _ = run(clean(seed_model_path, "--format", "jsonl", empty), capsys)
    assert code == 0 and json.loads(out) == {"file": str(empty), "text": "", "labels": [], "scores": []}


BINARIES = {
    "png": (PNG, "looks like a PNG image"),
    "gzip-of-binary": (gzip.compress(bytes(range(64)) * 100), "looks binary"),
    "gzip-of-png": (gzip.compress(PNG), "looks like a PNG image"),
    "truncated-gzip": (gzip.compress(b"some text\n" * 100)[:30], "broken gzip data"),
    "utf-16-without-bom": ("Text without a BOM.\n".encode("utf-16-le"), "looks binary"),
}


try:
    import zstandard
except ImportError:
    zstandard = None
if zstandard is not None:
    _ZST = zstandard.ZstdCompressor().compress(b"some text of an article\n" * 5000)
    BINARIES["truncated-zstd"] = (_ZST[: len(_ZST) // 2], "broken zstd data")
    BINARIES["zstd-cut-before-checksum"] = (_ZST[:-2], "broken zstd data")


@pytest.mark.parametrize("name", sorted(BINARIES))
def test_binary_inputs_are_refused_in_one_line(name, seed_model_path, tmp_path, capsys):
    raw, message = BINARIES[name]
    f = tmp_path / name
    f.write_bytes(raw)
    code, out, err = run(clean(seed_model_path, f), capsys)
    assert code == cli.EXIT_INPUT and out == ""
    assert_error_lines(err, 2, f"{f}: {message}", "1 of 1 inputs could not be read")


def test_binary_on_stdin_is_refused(seed_model_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PNG)))
    code, out, err = run(clean(seed_model_path, "-"), capsys)
    assert code == cli.EXIT_INPUT and out == ""
    assert_error_lines(err, 2, "-: looks like a PNG image")


def test_closed_stdin_is_an_input_error(seed_model_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)      # `unboil clean <&-`
    code, out, err = run(clean(seed_model_path), capsys)
    assert code == cli.EXIT_INPUT and out == ""
    assert_error_lines(err, 2, "-: stdin is closed")


def test_a_20_mb_single_line(seed_model_path, tmp_path, capsys):
    line = ("All work and no play makes Jack a dull boy. " * 460_000)[:20_000_000]
    f = tmp_path / "long.txt"
    f.write_text(line + "\n", encoding="utf-8")
    code, out, err = run(clean(seed_model_path, "--format", "tsv", f), capsys)
    assert code == cli.EXIT_OK and err == ""
    rows = tsv_rows(out)
    assert len(rows) == 1 and rows[0][2] == line and 0.0 <= rows[0][1] <= 1.0


def test_a_million_short_lines(seed_model_path, tmp_path, capsys):
    n = 1_000_000
    f = tmp_path / "many.txt"
    f.write_text("".join(f"{i % 97} ok.\n" for i in range(n)), encoding="utf-8")
    out_dir = tmp_path / "out"
    code, out, err = run(clean(seed_model_path, "-q", "--format", "tsv", "-o", out_dir, f), capsys)
    assert code == cli.EXIT_OK and (out, err) == ("", "")
    written = (out_dir / "many.txt").read_text(encoding="utf-8").split("\n")
    assert len(written) == n + 1 and written[-1] == ""
    assert written[0].endswith("\t0 ok.") and written[n - 1].endswith(f"\t{(n - 1) % 97} ok.")


# --- inputs that are not readable ------------------------------------------------------

def test_a_directory_is_refused(seed_model_path, tmp_path, capsys):
    code, out, err = run(clean(seed_model_path, tmp_path), capsys)
    assert code == cli.EXIT_INPUT and out == ""
    assert_error_lines(err, 2, f"{tmp_path}: is a folder, not a file")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root reads files whatever their mode: chmod 000 cannot make a file unreadable "
                           "(test_unreadable_file_simulated covers the same path)")
def test_unreadable_file(seed_model_path, tmp_path, capsys):
    f = tmp_path / "secret.txt"
    f.write_text("text\n", encoding="utf-8")
    f.chmod(0)
    try:
        code, out, err = run(clean(seed_model_path, f), capsys)
    finally:
        f.chmod(0o600)
    assert code == cli.EXIT_INPUT and out == ""
    assert_error_lines(err, 2, f"{f}: permission denied")


def _deny(paths, monkeypatch):
    """Make ``open`` in inference.textio raise EACCES for ``paths`` (works as root too)."""
    real_open = open
    denied = {str(p) for p in paths}

    def fake_open(path, *args, **kwargs):
        if str(path) in denied:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(textio, "open", fake_open, raising=False)


def test_unreadable_file_simulated(seed_model_path, tmp_path, capsys, monkeypatch):
    f = tmp_path / "secret.txt"
    f.write_text("text\n", encoding="utf-8")
    _deny([f], monkeypatch)
    code, out, err = run(clean(seed_model_path, f), capsys)
    assert code == cli.EXIT_INPUT and out == ""
    assert_error_lines(err, 2, f"{f}: permission denied")


def test_one_bad_file_does_not_stop_a_batch(seed_model_path, tmp_path, capsys, monkeypatch):
    png, folder, secret = tmp_path / "img.png", tmp_path / "folder", tmp_path / "secret.txt"
    png.write_bytes(PNG)
    folder.mkdir()
    secret.write_text("text\n", encoding="utf-8")
    _deny([secret], monkeypatch)
    files = [SEED_WITH_WIDGET, png, folder, tmp_path / "missing.txt", secret, OTHER]
    code, out, err = run(clean(seed_model_path, "--format", "jsonl", *files), capsys)
    assert code == cli.EXIT_INPUT
    assert [json.loads(l)["file"] for l in out.splitlines()] == [str(SEED_WITH_WIDGET), str(OTHER)]
    assert_error_lines(err, 5, f"{png}: looks like a PNG image", f"{folder}: is a folder",
                       "missing.txt: no such file", f"{secret}: permission denied",
                       "4 of 6 inputs could not be read")
    # the same with -o: the good files are written, the bad ones reported
    out_dir = tmp_path / "out"
    code, out, err = run(clean(seed_model_path, "-o", out_dir, *files), capsys)
    assert code == cli.EXIT_INPUT and out == ""
    assert sorted(p.name for p in out_dir.iterdir()) == sorted([SEED_WITH_WIDGET.name, OTHER.name])
    assert "Kyrgyzstan" in (out_dir / SEED_WITH_WIDGET.name).read_text(encoding="utf-8")


# --- stdout ---------------------------------------------------------------------------

def _python_m_inference(cwd: Path, shell_tail: str, *args, timeout=120) -> subprocess.CompletedProcess:
    cmd = " ".join([_q(sys.executable), "-m", "inference", *map(_q, map(str, args))]) + " " + shell_tail
    return subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def _q(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("head") is None, reason="needs bash and head")
def test_broken_pipe_exits_141_quietly(seed_model_path, tmp_path):
    # one document whose output (~2.5 MB) is far larger than a pipe's buffer: head leaves
    # while unboil is inside one big write. Python's BufferedWriter then reports a short
    # write instead of an error, which once ended the run with exit 0 and the rest dropped.
    f = tmp_path / "big.txt"
    f.write_text("".join(f"Line {i} of a long page.\n" for i in range(60_000)), encoding="utf-8")
    res = _python_m_inference(tmp_path, "| head -1; exit ${PIPESTATUS[0]}",
                              "clean", "--model", seed_model_path, "--format", "tsv", f)
    assert res.returncode == cli.EXIT_BROKEN_PIPE, (res.returncode, res.stderr)
    assert res.stdout.count("\n") == 1 and res.stdout.endswith("\tLine 0 of a long page.\n")
    assert res.stderr == ""


@pytest.mark.skipif(not os.path.exists("/dev/full") or shutil.which("bash") is None, reason="needs /dev/full")
def test_disk_full_on_stdout_is_an_output_error(seed_model_path, tmp_path):
    res = _python_m_inference(tmp_path, "> /dev/full", "clean", "--model", seed_model_path, "--format", "tsv", OTHER)
    assert res.returncode == cli.EXIT_OUTPUT
    assert_error_lines(res.stderr, 1, "stdout: cannot write: No space left on device")


class _Raw(io.RawIOBase):
    """A stdout whose writes fail with ``exc`` after ``limit`` bytes."""

    def __init__(self, limit: int, exc: OSError):
        self.limit, self.exc, self.got = limit, exc, bytearray()

    def writable(self):
        return True

    def write(self, b):
        if len(self.got) >= self.limit:
            raise self.exc
        n = min(len(b), self.limit - len(self.got))
        self.got += bytes(b[:n])
        return n


@pytest.mark.parametrize("exc, code, message", [
    (OSError(errno.ENOSPC, "No space left on device"), cli.EXIT_OUTPUT, "stdout: cannot write: No space left"),
    (BrokenPipeError(errno.EPIPE, "Broken pipe"), cli.EXIT_BROKEN_PIPE, None),
])
def test_stdout_write_errors(exc, code, message, seed_model_path, capsys, monkeypatch):
    stream = io.TextIOWrapper(io.BufferedWriter(_Raw(100, exc), 16), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stream)
    got = unboil(clean(seed_model_path, "--format", "tsv", SEED_WITH_WIDGET))
    err = capsys.readouterr().err
    with contextlib.suppress(OSError):
        stream.close()     # what is still buffered cannot be written either
    assert got == code
    if message:
        assert_error_lines(err, 1, message)
    else:
        assert err == ""


def test_stdout_that_cannot_encode_the_text(seed_model_path, capsys, monkeypatch):
    buf = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buf, encoding="ascii"))
    code = unboil(clean(seed_model_path, SEED_WITH_WIDGET))       # has curly quotes
    err = capsys.readouterr().err
    assert code == cli.EXIT_OUTPUT
    assert_error_lines(err, 1, "stdout: its encoding (ascii) cannot represent", "PYTHONIOENCODING=utf-8")


def test_closed_stdout(seed_model_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdout", None)     # `unboil clean FILE >&-`
    code = unboil(clean(seed_model_path, OTHER))
    err = capsys.readouterr().err
    assert code == cli.EXIT_OUTPUT
    assert_error_lines(err, 1, "stdout is closed")


# --- outputs ---------------------------------------------------------------------------

def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


class _HalfWriter:
    """A file whose write puts half the text on disk, then fails as on a full disk."""

    def __init__(self, fh):
        self.fh = fh

    def write(self, s):
        self.fh.write(s[: len(s) // 2])
        self.fh.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()


def test_a_failed_write_leaves_no_partial_and_no_temp_file(seed_model_path, tmp_path, capsys, monkeypatch):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / OTHER.name).write_text("the previous result\n", encoding="utf-8")
    real_fdopen, calls = os.fdopen, []

    def fdopen(fd, *args, **kwargs):        # the first output is written, the second fails
        calls.append(fd)
        fh = real_fdopen(fd, *args, **kwargs)
        return fh if len(calls) == 1 else _HalfWriter(fh)
    monkeypatch.setattr(textio.os, "fdopen", fdopen)
    code, out, err = run(clean(seed_model_path, "-o", out_dir, "--overwrite", SEED_WITH_WIDGET, OTHER), capsys)
    assert code == cli.EXIT_OUTPUT and out == "" and len(calls) == 2
    assert_error_lines(err, 1, f"{out_dir / OTHER.name}: cannot write: No space left on device")
    assert _leftovers(out_dir) == sorted([SEED_WITH_WIDGET.name, OTHER.name])     # no .tmp file
    assert (out_dir / OTHER.name).read_text(encoding="utf-8") == "the previous result\n"
    assert "Kyrgyzstan" in (out_dir / SEED_WITH_WIDGET.name).read_text(encoding="utf-8")


def test_an_interrupted_write_leaves_no_temp_file(seed_model_path, tmp_path, capsys, monkeypatch):
    out_dir = tmp_path / "out"
    real_fdopen = os.fdopen

    class Interrupted(_HalfWriter):
        def write(self, s):
            self.fh.write(s[:10])
            raise KeyboardInterrupt
    monkeypatch.setattr(textio.os, "fdopen", lambda fd, *a, **k: Interrupted(real_fdopen(fd, *a, **k)))
    code, _, err = run(clean(seed_model_path, "-o", out_dir, OTHER), capsys)
    assert code == cli.EXIT_INTERRUPTED
    assert_error_lines(err, 1, "interrupted")
    assert _leftovers(out_dir) == []


def test_a_failed_rename_leaves_no_temp_file(seed_model_path, tmp_path, capsys, monkeypatch):
    out_dir = tmp_path / "out"

    def replace(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link")
    monkeypatch.setattr(textio.os, "replace", replace)
    code, _, err = run(clean(seed_model_path, "-o", out_dir, OTHER), capsys)
    assert code == cli.EXIT_OUTPUT
    assert_error_lines(err, 1, "cannot write: Invalid cross-device link")
    assert _leftovers(out_dir) == []


def test_output_dir_that_is_a_file(seed_model_path, tmp_path, capsys):
    f = tmp_path / "out.txt"
    f.write_text("keep me\n", encoding="utf-8")
    code, _, err = run(clean(seed_model_path, "-o", f, OTHER), capsys)
    assert code == cli.EXIT_OUTPUT
    assert_error_lines(err, 1, f"{f}: -o needs a folder")
    assert f.read_text(encoding="utf-8") == "keep me\n"


def test_output_dir_spelled_differently_still_protects_the_input(seed_model_path, tmp_path, capsys):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    f = src / OTHER.name
    f.write_bytes(OTHER.read_bytes())
    link = tmp_path / "link"
    link.symlink_to(src, target_is_directory=True)
    for out_dir in (src / "sub" / "..", link):
        code, out, err = run(clean(seed_model_path, "-o", out_dir, f), capsys)
        assert code == cli.EXIT_INPUT and out == ""
        assert_error_lines(err, 2, "is the input itself", "--overwrite")
        assert f.read_bytes() == OTHER.read_bytes()


def test_overwrite_never_replaces_another_input(seed_model, seed_model_path, tmp_path, capsys):
    # a/x.txt's result would land on b/x.txt, which is another input of the same run
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = tmp_path / "a" / "x.txt", tmp_path / "b" / "x.txt"
    a.write_bytes(SEED_WITH_WIDGET.read_bytes())
    b.write_bytes(OTHER.read_bytes())
    code, out, err = run(clean(seed_model_path, "-o", tmp_path / "b", "--overwrite", a, b), capsys)
    assert code == cli.EXIT_INPUT
    assert_error_lines(err, 2, f"{a}: {b} is another input of this run")
    assert a.read_bytes() == SEED_WITH_WIDGET.read_bytes()
    # b itself was cleaned in place, as --overwrite asks: its own result, not a's
    assert b.read_text(encoding="utf-8") == seed_model.clean(OTHER.read_text(encoding="utf-8")) + "\n"


def test_existing_outputs_are_kept_without_overwrite(seed_model_path, tmp_path, capsys):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / OTHER.name).write_text("older result\n", encoding="utf-8")
    code, _, err = run(clean(seed_model_path, "-o", out_dir, OTHER, SEED_WITH_WIDGET), capsys)
    assert code == cli.EXIT_INPUT
    assert_error_lines(err, 2, "exists; pass --overwrite")
    assert (out_dir / OTHER.name).read_text(encoding="utf-8") == "older result\n"
    assert (out_dir / SEED_WITH_WIDGET.name).exists()


# --- model files --------------------------------------------------------------------------

def _with_header(src: Path, dst: Path, blob: np.ndarray) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "__header__.npy":
                buf = io.BytesIO()
                np.save(buf, blob)
                data = buf.getvalue()
            zout.writestr(item, data)
    return dst


HEADERS = {
    "json-array": (np.frombuffer(b"[1, 2]", dtype=np.uint8), "not an unboil model file"),
    "json-null": (np.frombuffer(b"null", dtype=np.uint8), "not an unboil model file"),
    "json-string": (np.frombuffer(b'"unboil-model"', dtype=np.uint8), "not an unboil model file"),
    "not-json": (np.frombuffer(b"{format: unboil", dtype=np.uint8), "unreadable model file"),
    "not-utf8": (np.frombuffer(b"\xff\xfe{}", dtype=np.uint8), "unreadable model file"),
    "2d-float-array": (np.zeros((2, 3)), "unreadable model file"),
    "empty": (np.zeros(0, dtype=np.uint8), "unreadable model file"),
}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_bad_headers_get_a_model_file_error(name, seed_model_path, tmp_path):
    blob, message = HEADERS[name]
    bad = _with_header(seed_model_path, tmp_path / f"{name}.npz", blob)
    with pytest.raises(ModelFileError, match=message):
        load_model(bad)


def _variant(src: Path, dst: Path, arrays=None, header=None) -> Path:
    """A model file with valid checksums whose arrays or header were changed."""
    a, h = read_model_file(src)
    a = {k: v.copy() for k, v in a.items()}
    h = {k: v for k, v in h.items() if k not in ("format", "format_version", "digests")}
    if arrays:
        arrays(a)
    if header:
        header(h)
    write_model_file(dst, a, h)
    return dst


def test_arrays_of_the_wrong_shape_or_missing(seed_model_path, tmp_path):
    cases = {
        "short": (lambda a: a.__setitem__("tree_left", a["tree_left"][:5]), "array 'tree_left' has shape"),
        "2d": (lambda a: a.__setitem__("coef_word", a["coef_word"][:, None]), "array 'coef_word' has shape"),
        "tree-out-of-range": (lambda a: a.__setitem__("tree_right", a["tree_right"] + 10**6),
                              "points outside the tree nodes"),
        "unknown-feature": (lambda a: a.__setitem__("tree_feature", a["tree_feature"] + 1000),
                            "names a feature the model does not compute"),
        "missing": (lambda a: a.pop("idf_char"), "model lacks arrays idf_char"),
    }
    for name, (change, message) in cases.items():
        with pytest.raises(ModelFileError, match=message):
            load_model(_variant(seed_model_path, tmp_path / f"{name}.npz", arrays=change))
    with pytest.raises(ModelFileError, match="feature version 99"):
        load_model(_variant(seed_model_path, tmp_path / "fv.npz",
                            header=lambda h: h.__setitem__("feature_version", 99)))


# Model files with valid checksums whose contents still cannot be used: load_model
# must refuse them rather than fail later (exit 70) or return NaN scores.
UNCHECKED = {
    "threshold-short": lambda a: a.__setitem__("tree_threshold", a["tree_threshold"][:3]),
    "intercept-empty": lambda a: a.__setitem__("intercept1", np.zeros(0)),
    "idf-strings": lambda a: a.__setitem__("idf_word", np.array(["x"] * len(a["idf_word"]))),
    "coef-nan": lambda a: a.__setitem__("coef_char", np.full_like(a["coef_char"], np.nan)),
    "leaf-inf": lambda a: a.__setitem__("tree_value", np.full_like(a["tree_value"], np.inf)),
    "depth-float": lambda a: a.__setitem__("tree_depth", np.array([3.0])),
}


@pytest.mark.parametrize("name", sorted(UNCHECKED))
def test_unusable_arrays_get_a_model_file_error(name, seed_model_path, tmp_path):
    path = _variant(seed_model_path, tmp_path / f"{name}.npz", arrays=UNCHECKED[name])
    with np.errstate(all="ignore"):
        try:
            model = load_model(path)
        except ModelFileError:
            return
        scores = model.predict_proba(["A line.\nRead more"])[0]
    assert False, f"loaded, scores {scores}"


@pytest.mark.parametrize("threshold", ["high", 7, None])
def test_a_bad_threshold_in_the_header_gets_a_model_file_error(threshold, seed_model_path, tmp_path):
    path = _variant(seed_model_path, tmp_path / "t.npz", header=lambda h: h.__setitem__("threshold", threshold))
    try:
        model = load_model(path)
    except ModelFileError:
        return
    model.classify("A line.")
    assert False, "loaded"


def test_digests_that_are_not_an_object(seed_model_path, tmp_path):
    arrays, header = read_model_file(seed_model_path)
    header = dict(header, digests=sorted(arrays))
    blob = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with pytest.raises(ModelFileError):
        load_model(_with_header(seed_model_path, tmp_path / "d.npz", blob))


def test_a_corrupt_model_through_the_cli(seed_model_path, tmp_path, capsys):
    raw = seed_model_path.read_bytes()
    bad = {
        "truncated.npz": raw[: len(raw) // 2],
        "garbage.npz": b"PK\x03\x04 not really a zip",
        "text.npz": b"a text file\n",
        "header.npz": _with_header(seed_model_path, tmp_path / "h.npz",
                                   np.frombuffer(b"[]", dtype=np.uint8)).read_bytes(),
    }
    for name, data in bad.items():
        path = tmp_path / name
        path.write_bytes(data)
        for argv in (clean(path, OTHER), ["info", "--model", str(path)]):
            code, out, err = run(argv, capsys)
            assert code == cli.EXIT_MODEL and out == "", (name, err)
            assert_error_lines(err, 1, str(path))


# --- training input ------------------------------------------------------------------------

def test_train_names_the_malformed_file_and_line_in_a_folder(tmp_path, capsys):
    labels = tmp_path / "labels"
    labels.mkdir()
    for f in LABELS.glob("*.tsv"):
        shutil.copy(f, labels / f.name)
    bad = labels / "zz_bad.tsv"
    bad.write_text("# comment\ncontent\t-\tA fine line.\nboilerplate\tbanner\tBuy now\n", encoding="utf-8")
    model = tmp_path / "m.npz"
    code, out, err = run(["train", "-q", "--labels", str(labels), "-o", str(model)], capsys)
    assert code == cli.EXIT_INPUT
    assert_error_lines(err, 1, f"{bad}:3: unknown kind 'banner'")
    assert not model.exists()


@pytest.mark.parametrize("content, message", [
    (b"content\t-\tCaf\xe9\n", "not UTF-8"),
    (b"content\tA line without a kind\n", ":1: expected 3 tab-separated columns"),
    (b"# only a comment\n", "no labelled lines"),
])
def test_train_reports_other_malformed_files(content, message, tmp_path, capsys):
    labels = tmp_path / "labels"
    labels.mkdir()
    shutil.copy(next(LABELS.glob("*.tsv")), labels / "a.tsv")
    (labels / "b.tsv").write_bytes(content)
    code, _, err = run(["train", "-q", "--labels", str(labels), "-o", str(tmp_path / "m.npz")], capsys)
    assert code == cli.EXIT_INPUT
    assert_error_lines(err, 1, str(labels / "b.tsv"), message)


def test_train_on_an_empty_or_missing_folder(tmp_path, capsys):
    for path, message in ((tmp_path, "no *.tsv label files"), (tmp_path / "nope", "no such label file or folder")):
        code, _, err = run(["train", "-q", "--labels", str(path), "-o", str(tmp_path / "m.npz")], capsys)
        assert code == cli.EXIT_INPUT
        assert_error_lines(err, 1, message)


@pytest.mark.parametrize("value", ["many", -5, 2.5, True, None])
def test_a_bad_min_article_chars_in_the_header_gets_a_model_file_error(value, seed_model_path, tmp_path):
    path = _variant(seed_model_path, tmp_path / "m.npz",
                    header=lambda h: h.__setitem__("min_article_chars", value))
    with pytest.raises(ModelFileError, match="min_article_chars"):
        load_model(path)


def test_a_model_file_without_min_article_chars_uses_the_default(seed_model_path, tmp_path):
    from inference.model import MIN_ARTICLE_CHARS
    path = _variant(seed_model_path, tmp_path / "m.npz", header=lambda h: h.pop("min_article_chars", None))
    assert load_model(path).min_chars == MIN_ARTICLE_CHARS


@pytest.mark.parametrize("key", ["switch_cost", "inclusive_switch_cost"])
@pytest.mark.parametrize("value", ["some", -0.1, float("inf"), True, None])
def test_a_bad_switch_cost_in_the_header_gets_a_model_file_error(key, value, seed_model_path, tmp_path):
    path = _variant(seed_model_path, tmp_path / "c.npz", header=lambda h: h.__setitem__(key, value))
    with pytest.raises(ModelFileError, match=key):
        load_model(path)


@pytest.mark.parametrize("value", ["high", 7, -0.5, None])
def test_a_bad_inclusive_threshold_in_the_header_gets_a_model_file_error(value, seed_model_path, tmp_path):
    path = _variant(seed_model_path, tmp_path / "t.npz", header=lambda h: h.__setitem__("inclusive_threshold", value))
    with pytest.raises(ModelFileError, match="inclusive_threshold"):
        load_model(path)


@pytest.mark.parametrize("value", ["some", -1, 2.5, True, None])
def test_a_bad_headline_lines_in_the_header_gets_a_model_file_error(value, seed_model_path, tmp_path):
    path = _variant(seed_model_path, tmp_path / "h.npz", header=lambda h: h.__setitem__("headline_lines", value))
    with pytest.raises(ModelFileError, match="headline_lines"):
        load_model(path)


@pytest.mark.parametrize("value", ["some", -0.1, 1.5, True, None])
def test_a_bad_smoothing_in_the_header_gets_a_model_file_error(value, seed_model_path, tmp_path):
    path = _variant(seed_model_path, tmp_path / "s.npz", header=lambda h: h.__setitem__("smoothing", value))
    with pytest.raises(ModelFileError, match="smoothing"):
        load_model(path)
