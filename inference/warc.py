"""WARC and WET input: text records are cleaned, every other record passes through.

A WARC file is read record by record (plain, or gzip-compressed — per record as
WARC tools write it, or as a whole); each record becomes one ``Item``:

- ``conversion`` records (WET: the plain text Common Crawl extracted from a page) and
  ``resource`` records whose Content-Type is ``text/plain`` are decoded and cleaned
  like a text document;
- every other record (warcinfo, request, response, metadata, revisit, segmented
  records, ...) is kept as it was read, byte for byte, and written back in order.

warcio (Webrecorder's WARC library) parses each record's header block; unboil reads
the framing around it itself and writes records itself, because warcio's
``ArchiveIterator`` takes an ``EOFError`` from a truncated gzip for the end of the
file (a cut file would look complete) and its writer re-encodes headers and adds
digests to records that had none (pass-through records would change).

Output is WARC again: a cleaned record keeps its header lines byte for byte except
Content-Length, WARC-Block-Digest (added when missing), WARC-Payload-Digest (when
present) and a non-UTF-8 ``charset`` in Content-Type, which describe the new block.
If the input was gzip-compressed, each output record is its own gzip member.
"""
from __future__ import annotations

import base64
import codecs
import gzip
import hashlib
import io
import itertools
import re
import sys
import tempfile
import zlib
from typing import Iterator

from .batch import Item
from .model import split_lines
from .textio import DECOMPRESS_ERRORS, GZIP_MAGIC, ZSTD_MAGIC, InputError, broken_data, decode_text

__all__ = ["WARC_MISSING", "WarcUnavailable", "require_warcio", "Record", "is_text_record",
           "iter_file", "iter_records", "RecordEncoder", "block_digest"]

WARC_MISSING = "WARC input needs the warcio package: pip install 'unboil[warc]'"
SPOOL_BYTES = 1 << 20      # pass-through blocks above this wait for their turn on disk, not in memory
CHUNK = 1 << 20
MAX_SEPARATOR = 1 << 16    # a "blank line" between records longer than this is not one
_CHARSET = re.compile(r"(;\s*charset\s*=\s*)(\"?)([^\";\s]+)(\"?)", re.IGNORECASE)


class WarcUnavailable(Exception):
    """warcio is not installed; the message says how to install it."""


class _Broken(Exception):
    """The WARC stream cannot be read past this point (the message is one line)."""


def require_warcio() -> None:
    """Raise ``WarcUnavailable`` when warcio cannot be imported (it is an optional extra)."""
    try:
        import warcio.recordloader  # noqa: F401
    except ImportError:
        raise WarcUnavailable(WARC_MISSING) from None


class Record:
    """One WARC record as read: its raw header block, its parsed headers and its block.

    ``block`` is bytes, or a temporary file for large pass-through blocks; ``gzip`` says
    whether the input it came from was gzip-compressed.
    """

    __slots__ = ("head", "headers", "block", "gzip")

    def __init__(self, head: bytes, headers, block, gzip: bool):
        self.head = head
        self.headers = headers
        self.block = block
        self.gzip = gzip

    def header(self, name: str) -> str | None:
        return self.headers.get_header(name)

    def block_chunks(self) -> Iterator[bytes]:
        """The block's bytes; a spooled block is read back in chunks, then released."""
        if isinstance(self.block, bytes):
            yield self.block
            return
        fh, self.block = self.block, b""
        try:
            fh.seek(0)
            while chunk := fh.read(CHUNK):
                yield chunk
        finally:
            fh.close()


def is_text_record(headers) -> bool:
    """Records that hold a plain-text document: WET ``conversion`` records and
    ``resource`` records of type text/plain. A segment of a record split over several
    records is not a whole document, so it passes through."""
    if headers.get_header("WARC-Segment-Number"):
        return False
    kind = (headers.get_header("WARC-Type") or "").strip().lower()
    ctype = (headers.get_header("Content-Type") or "").strip().lower()
    if kind == "conversion":
        return not ctype or ctype.startswith("text/plain")
    return kind == "resource" and ctype.startswith("text/plain")


def _charset(content_type: str | None) -> str | None:
    m = _CHARSET.search(content_type or "")
    return m.group(3).lower() if m else None


def _is_utf8(charset: str) -> bool:
    try:
        return codecs.lookup(charset).name == "utf-8"
    except LookupError:
        return False


def decode_block(block: bytes, content_type: str | None) -> str:
    """A text record's block as text: its declared charset if Python knows it, else
    sniffed like a text file (BOM, UTF-8, cp1252). Raises InputError for binary data."""
    charset = _charset(content_type)
    if charset and not _is_utf8(charset):
        try:
            return block.decode(charset, errors="replace")
        except LookupError:
            pass            # an unknown charset name: sniff instead
    return decode_text(block)


def block_digest(block: bytes) -> str:
    """A WARC digest value: sha1 in base32, as Common Crawl and warcio write it."""
    return "sha1:" + base64.b32encode(hashlib.sha1(block).digest()).decode("ascii")


class _Recorder:
    """Keeps the raw bytes read while warcio parses a header block, so that a record
    can be written back exactly as it was."""

    def __init__(self, fh):
        self.fh = fh
        self.taken: list[bytes] | None = None

    def readline(self, size=-1):
        line = self.fh.readline(-1 if size is None else size)
        if self.taken is not None:
            self.taken.append(line)
        return line

    def read(self, size=-1):
        data = self.fh.read(-1 if size is None else size)
        if self.taken is not None:
            self.taken.append(data)
        return data


def _read_exactly(stream, n: int, spool: bool):
    """``n`` bytes of ``stream`` (bytes, or a temporary file when ``spool`` and large),
    or None when the stream ends first."""
    out = tempfile.TemporaryFile() if spool and n > SPOOL_BYTES else io.BytesIO()
    left = n
    try:
        while left:
            data = stream.read(min(left, CHUNK))
            if not data:
                out.close()
                return None
            out.write(data)
            left -= len(data)
    except BaseException:
        out.close()
        raise
    if isinstance(out, io.BytesIO):
        return out.getvalue()
    return out


def _one_line(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def iter_records(stream, name: str, gzipped: bool = False) -> Iterator[Item]:
    """One Item per record of a decompressed WARC stream. Text records carry their
    lines; others only their Record (``item.warc``). A text record that cannot be
    decoded is an Item with ``error`` set that still carries its Record, so it is
    passed through. Raises ``_Broken`` (and decompression errors) when the stream breaks."""
    from warcio.exceptions import ArchiveLoadFailed
    from warcio.recordloader import ArcWarcRecordLoader

    loader = ArcWarcRecordLoader(verify_http=False, arc2warc=False)
    rec = _Recorder(stream)
    line = _next_line(stream)
    if line and not line.startswith(b"WARC/"):
        raise _Broken(f"not a WARC file (it starts with {_one_line(line.decode('utf-8', 'replace'))!r})")
    n = 0
    while line:
        n += 1
        rec.taken = [line]
        try:
            record = loader.parse_record_stream(rec, line, known_format="warc", no_record_parse=True)
        except ArchiveLoadFailed as exc:
            raise _Broken(f"broken WARC data: record {n}: {_one_line(str(exc))}") from None
        finally:
            taken, rec.taken = rec.taken, None
        if not (taken[-1].endswith(b"\n") and not taken[-1].strip()):
            raise _Broken(f"broken WARC data: the file ends inside the headers of record {n}")
        headers = record.rec_headers
        length = (headers.get_header("Content-Length") or "").strip()
        if not length.isdigit():
            raise _Broken(f"broken WARC data: record {n} has no valid Content-Length ({length!r})")
        text = is_text_record(headers)
        block = _read_exactly(record.raw_stream, int(length), spool=not text)
        if block is None:
            raise _Broken(f"broken WARC data: the file ends inside record {n}")
        # a record is only kept once the next one starts where its Content-Length says
        line = _next_line(stream)
        if line and not line.startswith(b"WARC/"):
            if not isinstance(block, bytes):
                block.close()
            raise _Broken(f"broken WARC data: record {n} is not followed by a record "
                          f"(is its Content-Length, {length}, wrong?)")
        item = Item(f"{name}: record {n}", warc=Record(b"".join(taken), headers, block, gzipped))
        if text:
            try:
                item.lines = split_lines(decode_block(block, headers.get_header("Content-Type")))
            except InputError as exc:
                item.error = f"{exc} (passed through unchanged)"
        yield item


def _next_line(stream) -> bytes:
    """The next non-blank line (the blank lines end the previous record), b"" at the end."""
    line = stream.readline(MAX_SEPARATOR)
    while line and not line.strip():
        line = stream.readline(MAX_SEPARATOR)
    return line


def _open(path: str):
    """(decompressed stream, raw stream, was gzip) for a file or '-' (stdin)."""
    if path == "-":
        if sys.stdin is None:
            raise InputError("stdin is closed")
        raw = sys.stdin.buffer
    else:
        raw = open(path, "rb")
    try:
        if not hasattr(raw, "peek"):
            raw = io.BufferedReader(raw)
        head = raw.peek(4)[:4]
        if head.startswith(ZSTD_MAGIC):
            raise InputError("zstd-compressed WARC is not supported: decompress it (zstd -d) or use .warc.gz")
    except BaseException:
        if path != "-":
            raw.close()
        raise
    if head.startswith(GZIP_MAGIC):
        # Python's gzip reads every member (one per record, or one for the whole file)
        # and, unlike a bare decompressor, raises when the last member is cut short
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw, True
    return raw, raw, False


def iter_file(path: str) -> Iterator[Item]:
    """The Items of one WARC file ('-' is stdin). A file that cannot be opened, or that
    breaks part-way, ends with one Item whose ``error`` says why (and no Record):
    the records before the break are still yielded."""
    try:
        stream, raw, gzipped = _open(path)
    except InputError as exc:
        yield Item(path, error=str(exc))
        return
    except OSError as exc:
        yield Item(path, error=exc.strerror or str(exc))
        return
    try:
        yield from iter_records(stream, path, gzipped)
    except _Broken as exc:
        yield Item(path, error=str(exc))
    except DECOMPRESS_ERRORS as exc:
        yield Item(path, error=broken_data(exc))
    except OSError as exc:
        yield Item(path, error=exc.strerror or str(exc))
    finally:
        if stream is not raw:
            stream.close()          # the gzip reader; it leaves the file (or stdin) open
        if path != "-":
            raw.close()


def _new_head(record: Record, block: bytes) -> bytes:
    """The record's raw header block with the headers that describe the block replaced;
    every other header line stays byte for byte."""
    h = record.headers
    digest = block_digest(block)
    updates = {"content-length": ("Content-Length", str(len(block))),
               "warc-block-digest": ("WARC-Block-Digest", digest)}
    if h.get_header("WARC-Payload-Digest"):
        # no HTTP headers in a text record's block: its payload is the whole block
        updates["warc-payload-digest"] = ("WARC-Payload-Digest", digest)
    ctype = h.get_header("Content-Type")
    charset = _charset(ctype)
    if charset and not _is_utf8(charset):       # the new block is UTF-8, whatever the old one was
        updates["content-type"] = ("Content-Type", _CHARSET.sub(r"\1\2utf-8\4", ctype, count=1))
    lines = record.head.splitlines(keepends=True)
    out, done, skipping = [lines[0]], set(), False
    for line in lines[1:]:
        if not line.strip():
            break                            # the blank line that ends the header block
        if line[:1] in (b" ", b"\t"):        # a continuation line belongs to the header above
            if not skipping:
                out.append(line)
            continue
        key = line.split(b":", 1)[0].strip().decode("latin-1").lower()
        skipping = key in updates
        if not skipping:
            out.append(line)
        elif key not in done:                # a repeated header is written once
            out.append(f"{updates[key][0]}: {updates[key][1]}\r\n".encode())
            done.add(key)
    out += [f"{n}: {v}\r\n".encode() for k, (n, v) in updates.items() if k not in done]
    out.append(b"\r\n")
    return b"".join(out)


class RecordEncoder:
    """Records → output bytes. Each output file is compressed like its input; stdout,
    one stream, is compressed like the first WARC input written to it."""

    def __init__(self, level: int = 6):
        self.level = level
        self._stdout_gzip: bool | None = None

    def chunks(self, record: Record, cleaned: str | None, to_stdout: bool = False) -> Iterator[bytes]:
        """The record's bytes: with ``cleaned`` as its new block, or unchanged when None."""
        gz = record.gzip
        if to_stdout:
            if self._stdout_gzip is None:
                self._stdout_gzip = gz
            gz = self._stdout_gzip
        if cleaned is None:       # chained, so a spooled block is never in memory whole
            parts = itertools.chain([record.head], record.block_chunks(), [b"\r\n\r\n"])
        else:
            block = cleaned.encode("utf-8", "surrogateescape")
            parts = [_new_head(record, block), block, b"\r\n\r\n"]
        if not gz:
            yield from parts
            return
        z = zlib.compressobj(self.level, zlib.DEFLATED, zlib.MAX_WBITS | 16)   # one gzip member per record
        for part in parts:
            if data := z.compress(part):
                yield data
        yield z.flush()
