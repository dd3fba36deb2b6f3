"""WARC/WET input: text records cleaned, every other record passed through, WARC out."""
import base64
import gzip
import hashlib
import io
import sys
import zlib

import pytest

warcio = pytest.importorskip("warcio", reason="WARC input needs warcio: pip install 'unboil[warc]'")
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from inference import cli
from inference import warc as W
from training.cli import main as unboil

from conftest import SEED_WITH_WIDGET, SEEDS

TEXTS = [SEED_WITH_WIDGET.read_text(encoding="utf-8"),
         (SEEDS / "000_3b6ea9010d9179f4.txt").read_text(encoding="utf-8")]
MENU = "Home\nNews\nSport\nWeather\n\n"
FOOTER = "\n\nShare this article\nSign in\nCopyright 2024 Example Media. All rights reserved."
NOTE = ("The café on the corner of Rue Lepic, which opened in 1921, will close on Monday after the owner "
        "retired, the mayor's office said in a statement on Thursday, adding that the building would be sold.\nMenu\n")
HTML = b"<html><head><title>A</title></head><body><p>Caf\xc3\xa9 article</p></body></html>\n"


def run(argv, capsys):
    code = unboil(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _record(writer, uri, kind, payload: bytes, **kw):
    return writer.create_warc_record(uri, kind, payload=io.BytesIO(payload), **kw)


def build(path, n_texts=3, gz=None):
    """A small WARC/WET file: warcinfo, a request, a response, ``n_texts`` conversion
    records (article text between menu and footer lines), a text/plain resource in
    Latin-1 and a PNG resource. Returns the texts of the conversion records."""
    gz = str(path).endswith(".gz") if gz is None else gz
    texts = [MENU + TEXTS[i % 2] + (f"\nOne more sentence, number {i}." if i % 3 else "") + FOOTER
             for i in range(n_texts)]
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=gz)
        w.write_record(w.create_warcinfo_record(path.name, {"software": "unboil tests", "format": "WET"}))
        req = StatusAndHeaders("GET /a HTTP/1.1", [("Host", "example.org"), ("User-Agent", "t")],
                               is_http_request=True)
        w.write_record(_record(w, "https://example.org/a", "request", b"", http_headers=req))
        resp = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                           ("Content-Length", str(len(HTML)))], protocol="HTTP/1.1")
        w.write_record(_record(w, "https://example.org/a", "response", HTML, http_headers=resp))
        for i, text in enumerate(texts):
            w.write_record(_record(w, f"https://example.org/{i}", "conversion", text.encode(),
                                   warc_content_type="text/plain",
                                   warc_headers_dict={"WARC-Refers-To": f"<urn:uuid:0000-{i}>"}))
        w.write_record(_record(w, "https://example.org/note.txt", "resource",
                               NOTE.encode("latin-1"),
                               warc_content_type="text/plain; charset=iso-8859-1"))
        w.write_record(_record(w, "https://example.org/p.png", "resource", b"\x89PNG\r\n\x1a\n" + bytes(200),
                               warc_content_type="image/png"))
    return texts


def read(data: bytes):
    """[(headers, block)] of a WARC file's bytes, after warcio has verified every
    record's digests (as `warcio check` does: HTTP headers parsed, content read)."""
    for rec in ArchiveIterator(io.BytesIO(data), check_digests="raise"):
        rec.content_stream().read()
    return [(rec.rec_headers, rec.raw_stream.read())
            for rec in ArchiveIterator(io.BytesIO(data), no_record_parse=True)]


def sha1_b32(block: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(block).digest()).decode()


def clean(path, capsysbinary, *extra, model_path):
    code = unboil(["clean", "--model", str(model_path), "--input-format", "warc", *extra, str(path)])
    out, err = capsysbinary.readouterr()
    return code, out, err.decode("utf-8")


@pytest.mark.parametrize("name", ["crawl.warc.wet.gz", "crawl.warc"])
def test_every_record_comes_out_in_order(name, seed_model_path, seed_model, tmp_path, capsysbinary):
    path = tmp_path / name
    texts = build(path)
    code, out, err = clean(path, capsysbinary, model_path=seed_model_path)
    assert code == 0, err
    before, after = read(path.read_bytes()), read(out)
    # (1) every record, in order, same type, id and target
    assert len(after) == len(before) == 8
    for (h0, _), (h1, _) in zip(before, after):
        for key in ("WARC-Type", "WARC-Record-ID", "WARC-Target-URI", "WARC-Date", "WARC-Refers-To"):
            assert h1.get_header(key) == h0.get_header(key)
    # (2) records that are not text come out unchanged: headers and block
    for (h0, b0), (h1, b1) in zip(before, after):
        if h0.get_header("WARC-Type") in ("warcinfo", "request", "response") or \
                h0.get_header("Content-Type") == "image/png":
            assert (h1.headers, b1) == (h0.headers, b0)
    # (3) each conversion record's block is the cleaned text; length and digests describe it
    conversions = [(h, b) for h, b in after if h.get_header("WARC-Type") == "conversion"]
    assert len(conversions) == len(texts)
    for (h, block), text in zip(conversions, texts):
        assert block.decode("utf-8") == seed_model.clean(text)
        assert "Copyright 2024" not in block.decode("utf-8")     # the model did clean something
        assert int(h.get_header("Content-Length")) == len(block)
        assert h.get_header("WARC-Block-Digest") == h.get_header("WARC-Payload-Digest") == sha1_b32(block)
        assert h.get_header("Content-Type") == "text/plain"


def test_compression_follows_the_input(seed_model_path, tmp_path, capsysbinary):
    """(4) gzip in → one gzip member per record out; plain in → plain out."""
    build(tmp_path / "a.warc.gz")
    build(tmp_path / "b.warc")
    code, out_gz, err = clean(tmp_path / "a.warc.gz", capsysbinary, model_path=seed_model_path)
    assert code == 0, err
    members, rest = 0, out_gz
    while rest:
        z = zlib.decompressobj(zlib.MAX_WBITS | 16)
        assert z.decompress(rest).startswith(b"WARC/1.")
        rest, members = z.unused_data, members + 1
    assert members == 8
    code, out_plain, err = clean(tmp_path / "b.warc", capsysbinary, model_path=seed_model_path)
    assert code == 0, err
    assert out_plain.startswith(b"WARC/1.0\r\n")
    assert [b for _, b in read(out_plain)] == [b for _, b in read(gzip.decompress(out_gz))]


def test_jobs_give_the_same_bytes(seed_model_path, tmp_path, capsysbinary):
    """(5) -j 2 writes exactly what -j 1 writes (several batches, order kept)."""
    path = tmp_path / "many.warc.wet.gz"
    build(path, n_texts=150)
    code1, out1, err1 = clean(path, capsysbinary, "-j", "1", model_path=seed_model_path)
    code2, out2, err2 = clean(path, capsysbinary, "-j", "2", model_path=seed_model_path)
    assert code1 == code2 == 0, err1 + err2
    assert out1 == out2 and len(read(out1)) == 155


def test_truncated_warc_gz_reports_the_break_and_keeps_earlier_records(seed_model_path, tmp_path, capsysbinary):
    """(6) one error line naming the file, exit 1, the records before the break written."""
    path = tmp_path / "cut.warc.wet.gz"
    build(path, n_texts=40)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    code, out, err = clean(path, capsysbinary, model_path=seed_model_path)
    assert code == cli.EXIT_INPUT
    assert [l for l in err.splitlines() if str(path) in l] == [
        f"unboil: {path}: broken gzip data (Compressed file ended before the end-of-stream marker was reached)"]
    assert "Traceback" not in err
    got = read(gzip.decompress(out))
    assert 3 < len(got) < 45 and got[0][0].get_header("WARC-Type") == "warcinfo"


@pytest.mark.parametrize("cut, reason", [(900, "the file ends inside record 4"),
                                         (200, "the file ends inside the headers of record 4")])
def test_truncated_plain_warc(cut, reason, seed_model_path, tmp_path, capsysbinary):
    path = tmp_path / "cut.warc"
    build(path)
    data = path.read_bytes()
    start = data.index(b"WARC/1.0\r\nWARC-Refers-To")     # cut inside the first conversion record
    path.write_bytes(data[: start + cut])
    code, out, err = clean(path, capsysbinary, model_path=seed_model_path)
    assert code == cli.EXIT_INPUT and f"{path}: broken WARC data: {reason}\n" in err
    assert out == data[:start]        # warcinfo, request and response, byte for byte as they were


def test_wrong_content_length_is_caught_before_the_record_is_written(seed_model_path, tmp_path, capsysbinary):
    path = tmp_path / "bad.warc"
    build(path)
    data = path.read_bytes()
    start = data.index(b"WARC-Type: response")
    length_at = data.index(b"Content-Length: ", start)
    end = data.index(b"\r\n", length_at)
    n = int(data[length_at + 16:end])
    path.write_bytes(data[:length_at] + b"Content-Length: %d" % (n - 20) + data[end:])
    code, out, err = clean(path, capsysbinary, model_path=seed_model_path)
    assert code == cli.EXIT_INPUT
    assert "record 3 is not followed by a record (is its Content-Length" in err
    assert [h.get_header("WARC-Type") for h, _ in read(out)] == ["warcinfo", "request"]


def test_format_option_is_refused(seed_model_path, tmp_path, capsysbinary):
    """(7) --format makes no sense for WARC output: usage error, nothing read."""
    code, out, err = clean(tmp_path / "x.warc", capsysbinary, "--format", "tsv", model_path=seed_model_path)
    assert code == cli.EXIT_USAGE and out == b""
    assert err == "unboil: --input-format warc writes WARC records: --format tsv does not apply\n"


def test_missing_warcio_is_one_usage_error(seed_model_path, tmp_path, capsysbinary, monkeypatch):
    for mod in [m for m in sys.modules if m == "warcio" or m.startswith("warcio.")]:
        monkeypatch.setitem(sys.modules, mod, None)      # import warcio now raises ImportError
    monkeypatch.setitem(sys.modules, "warcio", None)
    code, out, err = clean(tmp_path / "x.warc", capsysbinary, model_path=seed_model_path)
    assert code == cli.EXIT_USAGE and out == b""
    assert err == "unboil: WARC input needs the warcio package: pip install 'unboil[warc]'\n"


def test_output_dir_gets_the_input_name(seed_model_path, tmp_path, capsysbinary):
    src = tmp_path / "in.warc.wet.gz"
    build(src)
    code, out, err = clean(src, capsysbinary, "-o", str(tmp_path / "out"), model_path=seed_model_path)
    assert code == 0 and out == b"", err
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["in.warc.wet.gz"]                       # no temporary file left
    _, direct, _ = clean(src, capsysbinary, model_path=seed_model_path)
    assert (tmp_path / "out" / "in.warc.wet.gz").read_bytes() == direct


def test_text_resource_in_another_charset_becomes_utf8(seed_model_path, seed_model, tmp_path, capsysbinary):
    path = tmp_path / "r.warc"
    build(path)
    code, out, err = clean(path, capsysbinary, model_path=seed_model_path)
    assert code == 0, err
    (h, block), = [(h, b) for h, b in read(out) if (h.get_header("WARC-Target-URI") or "").endswith("note.txt")]
    assert h.get_header("Content-Type") == "text/plain; charset=utf-8"
    assert block == seed_model.clean(NOTE).encode("utf-8")
    assert block.startswith("The café on the corner".encode("utf-8"))    # read as Latin-1, written as UTF-8
    assert h.get_header("WARC-Block-Digest") == sha1_b32(block)


def test_undecodable_text_record_is_reported_and_passed_through(seed_model_path, tmp_path, capsysbinary):
    path = tmp_path / "bin.warc"
    blob = b"\x00\x01\x02\x03" * 100
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=False)
        w.write_record(_record(w, "https://example.org/t", "conversion", b"A sentence.\n",
                               warc_content_type="text/plain"))
        w.write_record(_record(w, "https://example.org/b", "conversion", blob, warc_content_type="text/plain"))
    code, out, err = clean(path, capsysbinary, model_path=seed_model_path)
    assert code == cli.EXIT_INPUT
    assert f"{path}: record 2: looks binary" in err and "passed through unchanged" in err
    got = read(out)
    assert len(got) == 2 and got[1][1] == blob and got[1][0].headers == read(path.read_bytes())[1][0].headers


def test_large_pass_through_blocks_are_spooled_and_kept(seed_model_path, tmp_path, capsysbinary, monkeypatch):
    monkeypatch.setattr(W, "SPOOL_BYTES", 100)          # every block above 100 bytes goes to disk
    monkeypatch.setattr(W, "CHUNK", 64)                 # and is read back in small chunks
    path = tmp_path / "big.warc"
    build(path)
    code, out, err = clean(path, capsysbinary, model_path=seed_model_path)
    assert code == 0, err
    before, after = read(path.read_bytes()), read(out)
    kept = [i for i, (h, _) in enumerate(before) if not W.is_text_record(h)]
    assert len(kept) == 4 and len(after) == len(before)
    assert [(after[i][0].headers, after[i][1]) for i in kept] == [(before[i][0].headers, before[i][1]) for i in kept]


def test_not_a_warc_and_empty_files(seed_model_path, tmp_path, capsysbinary):
    text = tmp_path / "notes.txt"
    text.write_text("hello\nworld\n", encoding="utf-8")
    empty = tmp_path / "empty.warc"
    empty.write_bytes(b"")
    code, out, err = clean(text, capsysbinary, model_path=seed_model_path)
    assert code == cli.EXIT_INPUT and out == b""
    assert f"{text}: not a WARC file (it starts with 'hello')" in err
    code, out, err = clean(empty, capsysbinary, model_path=seed_model_path)
    assert (code, out, err) == (0, b"", "")


def test_repeats_reads_the_warc_twice_and_cleans_its_text_records_together(seed_model_path, seed_model,
                                                                          tmp_path, capsysbinary):
    path = tmp_path / "crawl.warc.wet.gz"
    texts = build(path, n_texts=4)      # records 0 and 2 (1 and 3) hold the same article
    code, out, err = clean(path, capsysbinary, "--repeats", "2", model_path=seed_model_path)
    assert code == 0, err
    after = read(out)
    assert len(after) == len(read(path.read_bytes()))
    blocks = [b.decode("utf-8") for h, b in after if h.get_header("WARC-Type") == "conversion"]
    # every text record is a document of the batch, the Latin-1 resource too
    assert blocks == seed_model.clean_many(texts + [NOTE], repeat_pages=2)[:len(texts)]
    # the article's headline is a short line on two documents: gone, as a duplicated page's would be
    headline = "Russia to 'Develop' Its Military Facilities in Kyrgyzstan"
    assert headline in seed_model.clean(texts[0]) and headline not in blocks[0]
