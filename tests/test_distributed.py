"""inference/distributed.py on Dask's local schedulers (synchronous / threads): no cluster.

Dask is the `test` extra's; without it this module skips with a reason.
"""
from __future__ import annotations

import json
import math
import os
import random
import shutil

import pytest

dask = pytest.importorskip("dask", reason="Dask is not installed: pip install -e '.[test]' or '.[dask]'")
pd = pytest.importorskip("pandas", reason="pandas is not installed: pip install 'dask[dataframe]'")
dd = pytest.importorskip("dask.dataframe", reason="dask.dataframe needs 'dask[dataframe]'")

from conftest import SEEDS  # noqa: E402
from inference import distributed as D  # noqa: E402
from inference import load_model  # noqa: E402


@pytest.fixture
def model(seed_model_path):
    return load_model(seed_model_path)


@pytest.fixture(autouse=True)
def fresh_cache():
    D.clear_model_cache()
    yield
    D.clear_model_cache()


@pytest.fixture
def count_loads(monkeypatch):
    """Spy on the model loads inference.distributed makes; the list holds the paths loaded."""
    calls = []
    real = D.load_model

    def spy(path=None):
        calls.append(path)
        return real(path)

    monkeypatch.setattr(D, "load_model", spy)
    return calls


def seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]


def variations(n: int, seed: int = 0) -> list:
    """n article texts: the seeds, their parts, shuffles, additions, other line breaks,
    and now and then an empty or missing text."""
    rng = random.Random(seed)
    bases = seed_texts()
    extras = ["Read more", "Subscribe to our newsletter", "Share this article",
              "Photo: AP / Reuters", "Ceci est une phrase en français, avec des accents : été.",
              "Последние новости", "  ", ""]
    out = []
    for i in range(n):
        kind = i % 10
        lines = bases[i % len(bases)].splitlines()
        if kind == 0:
            text = bases[i % len(bases)]
        elif kind == 1:
            text = "\n".join(lines[: rng.randint(1, len(lines))])
        elif kind == 2:
            text = "\n".join(lines[rng.randint(0, len(lines) - 1):])
        elif kind == 3:
            rng.shuffle(lines)
            text = "\n".join(lines)
        elif kind == 4:
            for _ in range(3):
                lines.insert(rng.randint(0, len(lines)), rng.choice(extras))
            text = "\n".join(lines)
        elif kind == 5:
            text = "\r\n".join(lines) + "\r\n"
        elif kind == 6:
            text = "\n\n".join(lines[:8])
        elif kind == 7:
            text = rng.choice([None, "", "   \n", float("nan")])
        elif kind == 8:
            text = "\n".join(rng.choice(extras) for _ in range(5))
        else:
            text = "\n".join(l.upper() if rng.random() < 0.2 else l for l in lines)
        out.append(text)
    return out


def expected_clean(model, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return model.clean(value)


# --- (a) one partition ----------------------------------------------------------------------
def test_clean_partition_matches_clean_many_and_passes_other_columns(model, seed_model_path):
    texts = [t for t in variations(40) if isinstance(t, str)]
    n = len(texts)
    df = pd.DataFrame({
        "id": list(range(100, 100 + n)),
        "url": [f"https://example.org/{i}" for i in range(n)],
        "nested": [{"tags": ["a", str(i)], "depth": {"x": [i, None]}} for i in range(n)],
        "score": [i / 7 for i in range(n)],
        "text": pd.Series(texts, dtype=object, index=[f"doc{i}" for i in range(n)]),
    }, index=[f"doc{i}" for i in range(n)])
    before = df.copy(deep=True)

    out = D.clean_partition(df, model_path=seed_model_path)

    assert out["text"].tolist() == model.clean_many(texts)
    assert sum(a != b for a, b in zip(out["text"], texts)) > n // 2    # the model really cleaned
    assert list(out.columns) == list(df.columns)
    pd.testing.assert_index_equal(out.index, df.index)
    pd.testing.assert_frame_equal(out.drop(columns="text"), before.drop(columns="text"))
    assert out["nested"].tolist() == before["nested"].tolist()
    pd.testing.assert_frame_equal(df, before)                     # the input is not changed

    # into another column, with the lines' labels and scores
    out2 = D.clean_partition(df, model_path=seed_model_path, output_field="clean", with_labels=True,
                             threshold=0.8)
    assert out2["text"].tolist() == texts
    assert out2["clean"].tolist() == model.clean_many(texts, 0.8)
    results = model.classify_many(texts, 0.8)
    assert out2[D.LABELS_FIELD].tolist() == [[r.label for r in doc] for doc in results]
    assert out2[D.SCORES_FIELD].tolist() == [[r.score for r in doc] for doc in results]
    assert list(out2.columns) == list(df.columns) + ["clean", D.LABELS_FIELD, D.SCORES_FIELD]


def test_clean_dataframe_gives_clean_partition_per_partition_with_correct_meta(
        model, seed_model_path, monkeypatch):
    texts = [t for t in variations(30) if isinstance(t, str)]
    df = pd.DataFrame({"n": range(len(texts)), "text": texts})
    ddf = dd.from_pandas(df, npartitions=4)

    def refuse(path=None):
        raise AssertionError("the model was loaded while building the graph")

    monkeypatch.setattr(D, "load_model", refuse)       # meta must not come from running the model
    lazy = D.clean_dataframe(ddf, model_path=seed_model_path, output_field="clean",
                             with_labels=True)
    monkeypatch.undo()

    got = lazy.compute(scheduler="synchronous")
    assert got["clean"].tolist() == model.clean_many(texts)
    assert got["n"].tolist() == list(range(len(texts)))
    assert list(got.columns) == list(lazy._meta.columns)
    assert got.dtypes.to_dict() == lazy._meta.dtypes.to_dict()


def test_clean_dataframe_checks_arguments_before_computing(seed_model_path):
    ddf = dd.from_pandas(pd.DataFrame({"body": ["a"]}), npartitions=1)
    with pytest.raises(KeyError, match="'text'"):
        D.clean_dataframe(ddf, model_path=seed_model_path)
    with pytest.raises(ValueError, match="threshold"):
        D.clean_dataframe(ddf, text_field="body", threshold=1.5)
    with pytest.raises(ValueError, match="min_chars"):
        D.clean_dataframe(ddf, text_field="body", min_chars=-1)
    with pytest.raises(TypeError, match="min_chars"):
        D.clean_dataframe(ddf, text_field="body", min_chars=2.5)


# --- (b) a JSONL corpus end to end ---------------------------------------------------------
def write_corpus(folder, n_files: int = 3, per_file: int = 110) -> list[dict]:
    folder.mkdir()
    texts = variations(n_files * per_file, seed=1)
    records = []
    for f in range(n_files):
        with open(folder / f"crawl-{f:02d}.jsonl", "w", encoding="utf-8") as fh:
            for k in range(per_file):
                i = f * per_file + k
                rec = {"id": f"{i:05d}", "url": f"https://example.org/a/{i}?x=1&y=é",
                       "date": "2024-01-02", "n": i, "f": i / 7 + 1e-17, "big": 2**64 + i,
                       "flag": i % 2 == 0, "none": None,
                       "meta": {"tags": ["news", str(i)], "depth": {"x": [i, None, 1.5]}}}
                if i % 37 != 5:                      # now and then no text field at all
                    rec["text"] = texts[i]
                rec["after"] = "field after the text"
                records.append(rec)
                fh.write(json.dumps(rec, ensure_ascii=i % 3 == 0) + "\n")
                if i % 50 == 7:
                    fh.write("\n")                   # a blank line between records
    return records


def read_parts(paths) -> list[dict]:
    out = []
    for p in paths:
        with open(p, encoding="utf-8") as fh:
            out += [json.loads(line) for line in fh if line.strip()]
    return out


def test_clean_jsonl_end_to_end_matches_model_clean_record_by_record(tmp_path, model,
                                                                     seed_model_path):
    records = write_corpus(tmp_path / "in")
    written = D.clean_jsonl(str(tmp_path / "in" / "*.jsonl"), tmp_path / "out",
                            model_path=seed_model_path, blocksize=20_000, scheduler="synchronous")

    names = sorted(os.listdir(tmp_path / "out"))
    assert [os.path.basename(p) for p in written] == names
    assert all(n.startswith("part-") and n.endswith(".jsonl") for n in names)
    assert sum(os.path.getsize(p) > 0 for p in written) > 3       # several partitions per file
    got = read_parts(written)
    assert len(got) == len(records)
    assert [r["id"] for r in got] == [r["id"] for r in records]  # input order kept
    changed = 0
    for rec, out in zip(records, got):
        want = dict(rec)
        want["text"] = expected_clean(model, rec.get("text"))
        changed += isinstance(rec.get("text"), str) and out["text"] != rec["text"]
        if isinstance(rec.get("text"), float):                      # NaN in the input
            assert math.isnan(rec["text"]) and out["text"] == ""
        assert out == want
        assert list(out) == list(want)                              # key order too
    assert changed > len(records) // 2


def test_clean_jsonl_output_field_labels_and_refuses_a_used_folder(tmp_path, model,
                                                                  seed_model_path):
    src = tmp_path / "in.jsonl"
    texts = [t for t in variations(12) if isinstance(t, str)]
    src.write_text("".join(json.dumps({"text": t, "k": i}) + "\n" for i, t in enumerate(texts)),
                   encoding="utf-8")
    written = D.clean_jsonl(src, tmp_path / "out", model_path=seed_model_path,
                            output_field="clean", with_labels=True, threshold=0.7,
                            scheduler="synchronous")
    got = read_parts(written)
    results = model.classify_many(texts, 0.7)
    assert [r["text"] for r in got] == texts
    assert [r["k"] for r in got] == list(range(len(texts)))
    assert [r["clean"] for r in got] == model.clean_many(texts, 0.7)
    assert [r[D.LABELS_FIELD] for r in got] == [[x.label for x in d] for d in results]
    assert [r[D.SCORES_FIELD] for r in got] == [[x.score for x in d] for d in results]
    with pytest.raises(FileExistsError):
        D.clean_jsonl(src, tmp_path / "out", model_path=seed_model_path, scheduler="synchronous")


def test_clean_jsonl_reads_gzip_whole(tmp_path, model, seed_model_path):
    import gzip
    texts = [t for t in variations(10) if isinstance(t, str)]
    with gzip.open(tmp_path / "in.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps({"text": t}) + "\n" for t in texts)
    written = D.clean_jsonl(str(tmp_path / "in.jsonl.gz"), tmp_path / "out", blocksize=100,
                            model_path=seed_model_path, scheduler="synchronous")
    assert [r["text"] for r in read_parts(written)] == model.clean_many(texts)


# --- (c) the model is loaded once per process -----------------------------------------------
def test_model_loaded_once_per_process_across_partitions(tmp_path, seed_model_path, count_loads):
    texts = [t for t in variations(60) if isinstance(t, str)]
    ddf = dd.from_pandas(pd.DataFrame({"text": texts}), npartitions=6)
    assert ddf.npartitions == 6
    D.clean_dataframe(ddf, model_path=seed_model_path).compute(scheduler="threads", num_workers=2)
    assert len(count_loads) == 1

    # a second computation, and a JSONL run of several partitions, reuse it
    write_corpus(tmp_path / "in", n_files=2, per_file=40)
    D.clean_jsonl(str(tmp_path / "in" / "*.jsonl"), tmp_path / "out", model_path=seed_model_path,
                  blocksize=10_000, scheduler="threads", num_workers=2)
    D.clean_dataframe(ddf, model_path=str(seed_model_path)).compute(scheduler="synchronous")
    assert len(count_loads) == 1

    # another file is another model; the same file rewritten is loaded again
    other = tmp_path / "other.npz"
    shutil.copy(seed_model_path, other)
    assert D.get_model(other) is not D.get_model(seed_model_path)
    assert len(count_loads) == 2
    st = os.stat(other)
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    D.get_model(other)
    assert len(count_loads) == 3
    assert D.get_model(seed_model_path) is D.get_model(seed_model_path)
    assert len(count_loads) == 3


def test_model_file_shipped_with_upload_file_is_found_on_the_worker(tmp_path, monkeypatch, model,
                                                                     seed_model_path):
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    monkeypatch.chdir(tmp_path)                         # the bare name is not in the cwd
    shutil.copy(seed_model_path, tmp_path / "ship.npz")
    texts = [t for t in variations(12) if isinstance(t, str)]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        client.upload_file(str(tmp_path / "ship.npz"))
        (tmp_path / "ship.npz").unlink()
        ddf = dd.from_pandas(pd.DataFrame({"text": texts}), npartitions=2)
        got = D.clean_dataframe(ddf, model_path="ship.npz").compute()
    assert got["text"].tolist() == model.clean_many(texts)


# --- (d) missing and wrong-typed texts ------------------------------------------------------
def test_missing_texts_give_empty_strings(model, seed_model_path):
    text = seed_texts()[0]
    df = pd.DataFrame({"text": pd.Series([None, text, float("nan"), pd.NA, ""], dtype=object),
                       "k": range(5)})
    out = D.clean_partition(df, model_path=seed_model_path, with_labels=True)
    assert out["text"].tolist() == ["", model.clean(text), "", "", ""]
    assert out[D.SCORES_FIELD].tolist()[0] == []
    assert out["k"].tolist() == list(range(5))
    # pandas' own string dtype with missing values, through dask
    ddf = dd.from_pandas(pd.DataFrame({"text": pd.array([text, None], dtype="string")}),
                         npartitions=1)
    got = D.clean_dataframe(ddf, model_path=seed_model_path).compute(scheduler="synchronous")
    assert got["text"].tolist() == [model.clean(text), ""]
    assert D.clean_records([{"x": 1}, {"text": None}], model_path=seed_model_path) == \
        [{"x": 1, "text": ""}, {"text": ""}]


@pytest.mark.parametrize("bad", [5, 2.5, b"bytes", ["a", "b"], {"a": 1}, True])
def test_non_string_text_raises_type_error_naming_the_column(seed_model_path, bad):
    df = pd.DataFrame({"body": pd.Series(["fine", bad], dtype=object, index=["r0", "r1"])})
    with pytest.raises(TypeError, match=r"'body'.*'r1'"):
        D.clean_partition(df, text_field="body", model_path=seed_model_path)
    with dask.config.set({"dataframe.convert-string": False}):   # else dask makes 5 into "5"
        ddf = dd.from_pandas(df, npartitions=1)
    with pytest.raises(TypeError, match="'body'"):
        D.clean_dataframe(ddf, text_field="body", model_path=seed_model_path) \
            .compute(scheduler="synchronous")


def test_non_string_text_in_jsonl_raises_type_error(tmp_path, seed_model_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "fine"}\n{"text": 42}\n', encoding="utf-8")
    with pytest.raises(TypeError, match=r"'text'.*42"):
        D.clean_jsonl(src, tmp_path / "out", model_path=seed_model_path, scheduler="synchronous")
    src.write_text('{"text": "fine"}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(TypeError, match="JSON object"):
        D.clean_jsonl(src, tmp_path / "out2", model_path=seed_model_path, scheduler="synchronous")
    src.write_text('{"text": "fine"}\n{"text": \n', encoding="utf-8")
    with pytest.raises(ValueError, match="not a JSON line"):
        D.clean_jsonl(src, tmp_path / "out3", model_path=seed_model_path, scheduler="synchronous")


def test_import_inference_needs_neither_dask_nor_pandas():
    import subprocess
    import sys
    code = ("import sys; import inference, inference.distributed; "
            "bad = [m for m in ('dask', 'pandas', 'training') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
