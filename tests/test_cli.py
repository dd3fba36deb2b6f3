"""The CLI in-process: exit codes, stdin, -o, formats, and that inputs are never touched."""
import io
import json
import sys

import numpy as np
import pytest

from inference import cli
from training.cli import main as unboil

from conftest import SEED_WITH_WIDGET, SEEDS

OTHER = SEEDS / "000_3b6ea9010d9179f4.txt"


def run(argv, capsys, stdin: bytes | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = unboil(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_a_file_prints_content(seed_model_path, capsys):
    code, out, err = run(["clean", "--model", str(seed_model_path), str(SEED_WITH_WIDGET)], capsys)
    assert code == 0
    assert "Russia will \"develop\" its military installations" in out
    assert "Remind me later." not in out


def test_stdin_with_dash_and_without_files(seed_model_path, capsys, monkeypatch):
    data = SEED_WITH_WIDGET.read_bytes()
    code, out_dash, _ = run(["clean", "--model", str(seed_model_path), "-"], capsys, data, monkeypatch)
    assert code == 0
    code, out_none, _ = run(["clean", "--model", str(seed_model_path)], capsys, data, monkeypatch)
    assert code == 0 and out_none == out_dash and "Kyrgyzstan" in out_dash


def test_tsv_shows_every_line(seed_model_path, capsys):
    code, out, _ = run(["clean", "--format", "tsv", "--model", str(seed_model_path), str(OTHER)], capsys)
    rows = [r.split("\t", 2) for r in out.splitlines()]
    assert code == 0 and len(rows) == len(OTHER.read_text(encoding="utf-8").splitlines())
    assert all(r[0] in ("content", "boilerplate") and 0 <= float(r[1]) <= 1 for r in rows)


def test_jsonl_one_record_per_document(seed_model_path, capsys):
    code, out, _ = run(["clean", "--format", "jsonl", "--model", str(seed_model_path),
                        str(SEED_WITH_WIDGET), str(OTHER)], capsys)
    records = [json.loads(l) for l in out.splitlines()]
    assert code == 0 and [r["file"] for r in records] == [str(SEED_WITH_WIDGET), str(OTHER)]
    assert len(records[1]["labels"]) == len(records[1]["scores"]) == 14


def test_output_dir_writes_same_names_and_leaves_inputs(seed_model_path, tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    for f in (SEED_WITH_WIDGET, OTHER):
        (src / f.name).write_bytes(f.read_bytes())
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    out_dir = tmp_path / "out"
    code, out, _ = run(["clean", "--model", str(seed_model_path), "-o", str(out_dir),
                        *map(str, sorted(src.iterdir()))], capsys)
    assert code == 0 and out == ""
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(before)
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before
    assert "Kyrgyzstan" in (out_dir / SEED_WITH_WIDGET.name).read_text(encoding="utf-8")


def test_output_dir_never_overwrites_an_input_without_permission(seed_model_path, tmp_path, capsys):
    f = tmp_path / SEED_WITH_WIDGET.name
    f.write_bytes(SEED_WITH_WIDGET.read_bytes())
    code, _, err = run(["clean", "--model", str(seed_model_path), "-o", str(tmp_path), str(f)], capsys)
    assert code == cli.EXIT_INPUT
    assert "is the input itself" in err and "Traceback" not in err
    assert f.read_bytes() == SEED_WITH_WIDGET.read_bytes()
    code, _, _ = run(["clean", "--model", str(seed_model_path), "-o", str(tmp_path), "--overwrite",
                      str(f)], capsys)
    assert code == 0 and "Read more" not in f.read_text(encoding="utf-8")


def test_missing_file_is_reported_and_the_rest_processed(seed_model_path, tmp_path, capsys):
    code, out, err = run(["clean", "--model", str(seed_model_path), str(tmp_path / "nope.txt"),
                          str(OTHER)], capsys)
    assert code == cli.EXIT_INPUT
    assert "nope.txt: no such file" in err and "Traceback" not in err
    assert "Kyrgyzstan" in out


@pytest.mark.parametrize("argv, code, message", [
    (["clean", "--threshold", "2", "x"], cli.EXIT_USAGE, "between 0 and 1"),
    (["clean", "--min-chars", "-1", "x"], cli.EXIT_USAGE, "must be 0 or more"),
    (["clean", "--min-chars", "lots", "x"], cli.EXIT_USAGE, "not a whole number"),
    (["clean", "--format", "xml", "x"], cli.EXIT_USAGE, "invalid choice"),
    (["frobnicate"], cli.EXIT_USAGE, "invalid choice"),
    (["clean", "--model", "/nonexistent/model.npz", "x"], cli.EXIT_MODEL, "no such model file"),
])
def test_usage_and_model_errors(argv, code, message, capsys):
    got, out, err = run(argv, capsys)
    assert got == code and message in err and "Traceback" not in err


def test_stdin_with_output_dir_is_a_usage_error(seed_model_path, tmp_path, capsys):
    code, _, err = run(["clean", "--model", str(seed_model_path), "-o", str(tmp_path), "-"], capsys)
    assert code == cli.EXIT_USAGE and "stdin has no file name" in err


def test_help_teaches(capsys):
    code, out, _ = run(["clean", "--help"], capsys)
    assert code == 0 and "examples:" in out and "exit codes:" in out and "--threshold" in out


def test_python_m_inference_parser_has_clean():
    assert cli.main(["--version"]) == 0


def test_train_then_clean_round_trip(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("UNBOIL_DATASETS", raising=False)   # else train adds every shared benchmark
    model = tmp_path / "m.npz"
    code, _, err = run(["train", "--labels", str(SEEDS.parent / "data" / "seeds"), "-o", str(model)], capsys)
    assert code == 0, err
    assert (tmp_path / "m.card.json").exists()
    card = json.loads((tmp_path / "m.card.json").read_text())
    assert card["data"]["seeds"]["documents"] == 2 and card["parameters"]["seed"] == 0
    code, out, _ = run(["info", "--model", str(model)], capsys)
    assert code == 0 and json.loads(out) == card


def test_the_order_of_labels_folders_does_not_change_the_trained_model(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("UNBOIL_DATASETS", raising=False)
    a, b = sorted((SEEDS.parent / "data" / "seeds").glob("*.tsv"))
    for name, order in (("ab", [a, b]), ("ba", [b, a])):
        args = [x for p in order for x in ("--labels", str(p))]
        assert run(["train", "-q", *args, "-o", str(tmp_path / f"{name}.npz")], capsys)[0] == 0
    ab, ba = np.load(tmp_path / "ab.npz"), np.load(tmp_path / "ba.npz")
    assert ab.files == ba.files
    for k in ab.files:
        if k != "__header__":       # the header holds the training time
            np.testing.assert_array_equal(ab[k], ba[k], err_msg=k)


@pytest.mark.parametrize("seed", ["-1", "4294967296", "one"])
@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_a_bad_seed_is_bad_usage(command, seed, tmp_path, capsys):
    code, _, err = run([command, "--labels", str(SEEDS.parent / "data" / "seeds"), "--seed", seed], capsys)
    assert code == 2 and "--seed" in err and "Traceback" not in err


def test_train_reports_bad_label_file_in_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("content\t-\tok\nwrong\t-\tline\n", encoding="utf-8")
    code, _, err = run(["train", "--labels", str(bad), "-o", str(tmp_path / "m.npz")], capsys)
    assert code == cli.EXIT_INPUT and f"{bad}:2: unknown label" in err and "Traceback" not in err


def test_min_chars_reaches_the_model(seed_model_path, tmp_path, capsys):
    menu = tmp_path / "menu.txt"
    menu.write_text("Home\nNews\nSport\nLog in\n", encoding="utf-8")
    base = ["clean", "--model", str(seed_model_path)]
    assert run(base + ["--min-chars", "0", str(menu)], capsys)[1] == ""
    code, out, _ = run(base + ["--min-chars", "1000", str(menu)], capsys)
    assert code == 0 and out == "Home\nNews\nSport\nLog in\n"
    code, out, _ = run(base + ["--min-chars", "1000", "--format", "tsv", "-j", "2", str(menu)], capsys)
    assert code == 0 and [l.split("\t")[0] for l in out.splitlines()] == ["content"] * 4
