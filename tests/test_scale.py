"""Inputs at scale: folder trees, JSONL records, compressed streams, worker processes."""
import gzip
import json

import pytest

from inference import cli
from inference.model import split_lines
from training.cli import main as unboil

from conftest import SEED_WITH_WIDGET, SEEDS

OTHER = SEEDS / "000_3b6ea9010d9179f4.txt"
TEXTS = [SEED_WITH_WIDGET.read_text(encoding="utf-8"), OTHER.read_text(encoding="utf-8")]


def run(argv, capsys):
    code = unboil(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _corpus(n=40):
    return [{"id": i, "url": f"https://example.org/{i}", "meta": {"n": [i, None]},
             "text": TEXTS[i % 2] + ("\nExtra line %d." % i if i % 3 else "")} for i in range(n)]


def test_folder_tree_with_glob_keeps_structure(seed_model_path, seed_model, tmp_path, capsys):
    src = tmp_path / "crawl"
    (src / "a" / "b").mkdir(parents=True)
    (src / "one.txt").write_text(TEXTS[0], encoding="utf-8")
    (src / "a" / "b" / "two.txt").write_text(TEXTS[1], encoding="utf-8")
    (src / "a" / "skip.html").write_text("<p>not selected</p>", encoding="utf-8")
    code, _, err = run(["clean", "--model", str(seed_model_path), "-r", "--glob", "*.txt",
                        "-o", str(tmp_path / "out"), str(src)], capsys)
    assert code == 0, err
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written == ["a/b/two.txt", "one.txt"]
    assert (tmp_path / "out" / "a" / "b" / "two.txt").read_text(encoding="utf-8") == seed_model.clean(TEXTS[1]) + "\n"


def test_a_folder_without_r_is_one_clear_error(seed_model_path, tmp_path, capsys):
    code, _, err = run(["clean", "--model", str(seed_model_path), str(tmp_path)], capsys)
    assert code == cli.EXIT_INPUT and "use -r" in err


def test_jsonl_records_pass_other_fields_through(seed_model_path, seed_model, tmp_path, capsys):
    records = _corpus()
    path = tmp_path / "corpus.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")
    code, out, err = run(["clean", "--model", str(seed_model_path), "--input-format", "jsonl", str(path)], capsys)
    assert code == 0, err
    got = [json.loads(l) for l in out.splitlines()]
    assert [g["id"] for g in got] == [r["id"] for r in records]
    for g, r in zip(got, records):
        assert {k: v for k, v in g.items() if k != "text"} == {k: v for k, v in r.items() if k != "text"}
        assert g["text"] == seed_model.clean(r["text"])


def test_bad_jsonl_records_are_reported_and_passed_through(seed_model_path, tmp_path, capsys):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"text": "A line."}\nnot json\n[1, 2]\n{"body": "no text field"}\n{"text": 5}\n',
                    encoding="utf-8")
    code, out, err = run(["clean", "--model", str(seed_model_path), "--input-format", "jsonl",
                          "--text-field", "text", str(path)], capsys)
    assert code == cli.EXIT_INPUT
    lines = out.splitlines()
    assert len(lines) == 5 and lines[1] == "not json" and json.loads(lines[3]) == {"body": "no text field"}
    assert f"{path}:2: not a JSON record" in err and f"{path}:4: field 'text' is missing" in err
    assert "Traceback" not in err


def test_zstd_input(seed_model_path, seed_model, tmp_path, capsys):
    zstandard = pytest.importorskip("zstandard", reason="zstd input needs the zstandard package")
    path = tmp_path / "doc.txt.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(TEXTS[0].encode("utf-8")))
    code, out, err = run(["clean", "--model", str(seed_model_path), str(path)], capsys)
    assert code == 0, err
    assert out == seed_model.clean(TEXTS[0]) + "\n"


def test_zstd_multi_frame_input_is_read_whole(tmp_path):
    zstandard = pytest.importorskip("zstandard", reason="zstd input needs the zstandard package")
    from inference.textio import read_text_file
    c = zstandard.ZstdCompressor()
    parts = ["".join(f"line {i} of part {k}\n" for i in range(20_000)) for k in range(3)]
    path = tmp_path / "multi.txt.zst"
    path.write_bytes(b"".join(c.compress(p.encode()) for p in parts))    # like `cat a.zst b.zst`
    assert read_text_file(path) == "".join(parts)


def test_jobs_keep_order_and_output(seed_model_path, tmp_path, capsys):
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _corpus(150)), encoding="utf-8")
    base = ["clean", "--model", str(seed_model_path), "--input-format", "jsonl", str(path)]
    code1, out1, _ = run(base, capsys)
    code2, out2, err = run(base + ["-j", "2"], capsys)
    assert code1 == code2 == 0, err
    assert out1 == out2 and len(out1.splitlines()) == 150


def test_jsonl_input_rejects_text_format(seed_model_path, tmp_path, capsys):
    code, _, err = run(["clean", "--model", str(seed_model_path), "--input-format", "jsonl",
                        "--format", "tsv", str(tmp_path / "x.jsonl")], capsys)
    assert code == cli.EXIT_USAGE and "--format tsv does not apply" in err


def test_jsonl_to_output_dir_is_one_file_per_input(seed_model_path, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in _corpus(10)), encoding="utf-8")
    code, _, err = run(["clean", "--model", str(seed_model_path), "--input-format", "jsonl",
                        "-o", str(tmp_path / "out"), str(src)], capsys)
    assert code == 0, err
    assert len((tmp_path / "out" / "in.jsonl").read_text(encoding="utf-8").splitlines()) == 10
    assert split_lines(src.read_text(encoding="utf-8"))  # input untouched


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_truncated_compressed_jsonl_reports_the_break(kind, seed_model_path, tmp_path, capsys):
    """Records before the break are cleaned; the break itself is an input error (exit 1)."""
    raw = "".join(json.dumps({"id": i, "text": "A sentence of the article.\nMenu"}) + "\n"
                  for i in range(20_000)).encode()
    if kind == "gzip":
        packed = gzip.compress(raw)
    else:
        zstandard = pytest.importorskip("zstandard", reason="zstd input needs the zstandard package")
        packed = zstandard.ZstdCompressor().compress(raw)
    path = tmp_path / f"cut.jsonl.{kind}"
    path.write_bytes(packed[: len(packed) // 2])
    code, out, err = run(["clean", "--model", str(seed_model_path), "--input-format", "jsonl", str(path)], capsys)
    assert code == cli.EXIT_INPUT
    assert f"{path}: broken {kind} data" in err
    assert 0 < len(out.splitlines()) < 20_000


def test_workers_get_the_text_once_and_records_keep_their_field_order():
    from inference.batch import Item, _strip, render
    record = {"id": 7, "text": "Home\nThe article.", "url": "https://example.org/7"}
    item = Item("in.jsonl:1", lines=["Home", "The article."], record=record)
    sent = _strip(item, "text")
    assert sent.record == {"id": 7, "text": None, "url": "https://example.org/7"}
    assert record["text"] == "Home\nThe article."                 # the caller's record is untouched
    out = json.loads(render("jsonl", sent, "The article."))
    assert list(out) == ["id", "text", "url"] and out["text"] == "The article."
