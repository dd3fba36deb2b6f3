"""Reading scraped text robustly and writing results atomically.

Scraped files come in any encoding and sometimes are not text at all. Reading
never fails with a traceback: it decodes what can be decoded (BOM, UTF-8 — also
with a few broken bytes, which become U+FFFD — else cp1252 as browsers read it,
which accepts any byte) and refuses binaries with a reason.
Writing goes to a temporary file in the target folder, then a rename, so an
interrupted run never leaves a half-written output.
"""
from __future__ import annotations

import codecs
import contextlib
import gzip
import io
import os
import zlib
import re
import tempfile
from pathlib import Path

__all__ = ["InputError", "decode_text", "open_binary", "read_text_file", "DECOMPRESS_ERRORS", "broken_data", "atomic_open", "atomic_write_text"]

# (magic bytes, name) of binary formats people point a text tool at by mistake. The
# magics made of letters are matched in full ("BZhang said", "RIFFS" are text).
_BINARY_MAGIC = tuple((re.compile(magic, re.DOTALL), what) for magic, what in (
    (rb"\x89PNG\r\n\x1a\n", "a PNG image"), (rb"\xff\xd8\xff", "a JPEG image"),
    (rb"GIF8[79]a", "a GIF image"), (rb"%PDF-", "a PDF document"), (rb"PK\x03\x04", "a ZIP archive"),
    (rb"\x7fELF", "an executable"), (rb"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (rb"BZh[1-9](1AY&SY|\x17rE8P\x90)", "bzip2-compressed data"), (rb"\xfd7zXZ\x00", "xz-compressed data"),
    (rb"RIFF.{4}(WAVE|AVI |WEBP)", "a RIFF (audio/video) file"),
))
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
# Share of control bytes (other than tab, line breaks, form feed, ESC) in the first
# block above which a file is treated as binary rather than dirty text.
MAX_CONTROL_SHARE = 0.10
SNIFF_BYTES = 64 * 1024
_NOT_CONTROL = bytes(b for b in range(256) if b >= 32 or b in (9, 10, 12, 13, 27))
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
try:                      # optional: zstd-compressed inputs
    import zstandard
except ImportError:
    zstandard = None
# what a truncated or corrupt compressed stream raises while it is read
DECOMPRESS_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile) + ((zstandard.ZstdError,) if zstandard else ())


class InputError(Exception):
    """An input that cannot be read as text; the message is one line for stderr."""


def _c1_for_undefined(exc: UnicodeDecodeError):
    # the five bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) become the
    # C1 controls of the same value, as in browsers' windows-1252 (WHATWG Encoding)
    return exc.object[exc.start:exc.end].decode("latin-1"), exc.end


codecs.register_error("unboil.cp1252", _c1_for_undefined)


def decode_text(raw: bytes) -> str:
    """Bytes → text: BOM, else UTF-8, else cp1252. Refuses binaries.

    Mostly-UTF-8 text with a few broken bytes stays UTF-8 (the broken bytes become
    U+FFFD) rather than turning every accented letter into mojibake; text with more
    broken bytes than well-formed multi-byte characters is cp1252 (a superset of
    Latin-1's printable characters).
    """
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom):].decode(enc)
            except UnicodeDecodeError:
                return raw[len(bom):].decode(enc, errors="replace")
    for magic, what in _BINARY_MAGIC:
        if magic.match(raw):
            raise InputError(f"looks like {what}, not text")
    head = raw[:SNIFF_BYTES]
    if head:
        controls = len(head.translate(None, _NOT_CONTROL))     # one pass: delete all but controls
        if controls / len(head) > MAX_CONTROL_SHARE:
            raise InputError(f"looks binary ({controls / len(head):.0%} control bytes), not text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = raw.decode("utf-8", errors="replace")
    broken = text.count("\ufffd") - raw.count("\ufffd".encode())       # replacements made here
    valid = len(text) - len(text.encode("ascii", "ignore")) - broken     # well-formed multi-byte characters
    if valid > broken:
        return text
    return raw.decode("cp1252", errors="unboil.cp1252")


def open_binary(path):
    """A binary stream of the file's content, decompressing gzip and zstd on the fly
    (detected by content, not by name). Streams: nothing is loaded whole."""
    fh = open(path, "rb")
    head = fh.peek(4)[:4]
    if head.startswith(GZIP_MAGIC):
        fh.close()
        return gzip.open(path, "rb")
    if head.startswith(ZSTD_MAGIC):
        if zstandard is None:
            fh.close()
            raise InputError("zstd-compressed: install the zstandard package to read it "
                             "(pip install zstandard)")
        return io.BufferedReader(_ZstdReader(fh))
    return fh


class _ZstdReader(io.RawIOBase):
    """Streaming zstd decompression that, unlike ``stream_reader``, notices a
    truncated last frame (and reads every frame of a multi-frame file)."""

    CHUNK = 1 << 16

    def __init__(self, fh):
        self._fh = fh
        self._dec = zstandard.ZstdDecompressor().decompressobj()
        self._pending = memoryview(b"")      # decompressed, not yet returned
        self._in_frame = False       # bytes of an unfinished frame have been fed

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        while not self._pending:
            raw = self._fh.read(self.CHUNK)
            if not raw:
                if self._in_frame:
                    raise zstandard.ZstdError("truncated: the file ends inside a frame")
                return 0
            out = []
            while raw:
                out.append(self._dec.decompress(raw))
                self._in_frame = not self._dec.eof
                raw = self._dec.unused_data if self._dec.eof else b""
                if self._dec.eof:        # the next frame, if any, needs a fresh decompressor
                    self._dec = zstandard.ZstdDecompressor().decompressobj()
            self._pending = memoryview(b"".join(out))
        n = min(len(buf), len(self._pending))
        buf[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def broken_data(exc: BaseException) -> str:
    """The one-line reason for a DECOMPRESS_ERRORS exception."""
    kind = "zstd" if zstandard is not None and isinstance(exc, zstandard.ZstdError) else "gzip"
    return f"broken {kind} data ({exc})"


def read_text_file(path) -> str:
    """Read a text file (gzip or zstd compressed ones are decompressed) with a one-line error."""
    try:
        with open_binary(path) as fh:
            raw = fh.read()
    except IsADirectoryError:
        raise InputError("is a folder, not a file") from None
    except FileNotFoundError:
        raise InputError("no such file") from None
    except PermissionError:
        raise InputError("permission denied") from None
    except DECOMPRESS_ERRORS as exc:
        raise InputError(broken_data(exc)) from None
    except OSError as exc:
        raise InputError(exc.strerror or str(exc)) from None
    return decode_text(raw)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path, mode: str = "w"):
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one rename,
    on any error it is removed and ``path`` is untouched."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())    # mkstemp makes 0600; outputs get the usual mode
        kw = {} if "b" in mode else {"encoding": "utf-8", "errors": "surrogateescape", "newline": ""}
        with os.fdopen(fd, mode, **kw) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path, text: str) -> None:
    """Write UTF-8 text to ``path`` via a temporary file and a rename."""
    with atomic_open(path, "w") as fh:
        fh.write(text)
