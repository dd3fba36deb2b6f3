"""training.datasets: loading, labelling and caching the shared benchmarks.

Most tests build a tiny datasets folder in tmp_path; the ones marked
``needs_data`` read the real shared datasets and skip without them.
"""
from __future__ import annotations

import gzip
import logging
import os
from pathlib import Path

import pytest

import training.datasets as ds
from training.datasets import (SOURCES, DatasetsNotFoundError, clean_gold, datasets_root,
                               load_source, load_sources)
from training.labels import BOILERPLATE, CONTENT


def _real_root() -> Path | None:
    env = os.environ.get("UNBOIL_DATASETS")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "datasets"
    return path if (path / "html").is_dir() else None


REAL_ROOT = _real_root()
needs_data = pytest.mark.skipif(
    REAL_ROOT is None,
    reason="shared datasets not found: set UNBOIL_DATASETS or put them at ../shared/datasets")

ARTICLE = "The council approved the new budget on Tuesday after a long debate."
PAGE = ("<html><head><title>t</title></head><body><nav><ul><li><a>Home</a></li><li><a>News</a></li></ul></nav>"
        "<h1>Budget passes</h1><p>{article}</p><footer>Copyright 2024</footer></body></html>")


def _page(folder: Path, page_id: str, article: str = ARTICLE, gold: str | None = None,
          html: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    html = PAGE.format(article=article) if html is None else html
    with gzip.open(folder / f"{page_id}.html.gz", "wb") as f:
        f.write(html.encode("utf-8"))
    if gold is not False:
        (folder / f"{page_id}.gold.txt").write_text(
            f"Budget passes\n{article}" if gold is None else gold, encoding="utf-8")


@pytest.fixture
def fake_root(tmp_path):
    root = tmp_path / "datasets"
    src = root / "html" / "toy"
    for i in (10, 2, 1):
        _page(src, str(i), article=f"{ARTICLE} Item number {i} was discussed at length.")
    _page(src, "a7")
    _page(src, "2.annotated", gold=False)  # the annotated copy is not a page
    _page(src, "nogold", gold=False)       # a page without gold is not loaded
    _page(src, "empty", html="<html><body><script>x</script></body></html>")  # no lines
    return root


# --- the datasets folder -------------------------------------------------------------

def test_datasets_root_from_argument_then_env(tmp_path, monkeypatch):
    monkeypatch.setenv("UNBOIL_DATASETS", str(tmp_path / "nope"))
    assert datasets_root(tmp_path) == tmp_path
    (tmp_path / "env").mkdir()
    monkeypatch.setenv("UNBOIL_DATASETS", str(tmp_path / "env"))
    assert datasets_root() == tmp_path / "env"


def test_datasets_root_missing_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.delenv("UNBOIL_DATASETS", raising=False)
    with pytest.raises(FileNotFoundError, match="--datasets DIR.*UNBOIL_DATASETS"):
        datasets_root()
    with pytest.raises(DatasetsNotFoundError, match="does not exist"):
        datasets_root(tmp_path / "missing")


def test_unknown_source_folder(fake_root):
    with pytest.raises(DatasetsNotFoundError, match="no source 'nope'"):
        load_source(fake_root, "nope", cache_dir=False)


# --- gold repairs ---------------------------------------------------------------------

def test_clean_gold_repairs_utf16_read_as_latin1():
    broken = "Paulo's Blog\n".encode("utf-16").decode("latin-1")
    assert broken.startswith("\u00ff\u00fe")
    assert clean_gold(broken) == "Paulo's Blog\n"


def test_clean_gold_drops_bom_and_cleaneval_url_header():
    assert clean_gold("\ufeffURL: http://x.org/a.htm\nTitle\nText") == "Title\nText"
    assert clean_gold("URL: http://x.org/ Military Policy\nText") == "Military Policy\nText"
    assert clean_gold("The URL: is not a header here") == "The URL: is not a header here"


def test_clean_gold_comment_only_means_no_content():
    assert clean_gold("<!-- this page contains no article -->\n") == ""


# --- loading ----------------------------------------------------------------------------

def test_load_source_order_labels_and_skips(fake_root, caplog):
    caplog.set_level(logging.INFO, logger="training.datasets")
    docs = load_source(fake_root, "toy", cache_dir=False)
    assert [d.doc_id for d in docs] == ["toy/1", "toy/2", "toy/10", "toy/a7"]
    assert "1 pages skipped" in caplog.text
    d = docs[0]
    assert d.source == "toy" and d.kinds is None
    assert d.lines == ["Home", "News", "Budget passes",
                       f"{ARTICLE} Item number 1 was discussed at length.", "Copyright 2024"]
    assert d.labels == [BOILERPLATE, BOILERPLATE, CONTENT, CONTENT, BOILERPLATE]
    assert d.meta["matched"] == [0.0, 0.0, 1.0, 1.0, 0.0]
    assert d.gold.startswith("Budget passes\n")


def test_limit_takes_the_first_pages(fake_root):
    assert [d.doc_id for d in load_source(fake_root, "toy", limit=2, cache_dir=False)] == [
        "toy/1", "toy/2"]
    assert load_source(fake_root, "toy", limit=0, cache_dir=False) == []


def test_load_sources_concatenates(fake_root):
    _page(fake_root / "html" / "other", "5")
    docs = load_sources(fake_root, ["other", "toy"], cache_dir=False)
    assert [d.doc_id for d in docs][:2] == ["other/5", "toy/1"]
    assert len(docs) == 5


def test_sources_are_the_six_benchmarks():
    assert SOURCES == ("cleaneval-dev", "cleaneval-final", "cleanportaleval", "dragnet",
                       "l3s-gn1", "readability")


# --- cache ----------------------------------------------------------------------------

def _no_processing(*a, **k):
    raise AssertionError("page rendered although the cache should have served it")


def test_cache_round_trip_returns_identical_documents(fake_root, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = load_source(fake_root, "toy", cache_dir=cache)
    files = list(cache.glob("toy.v*.jsonl.gz"))
    assert len(files) == 1
    assert not list(cache.glob("*.tmp"))
    monkeypatch.setattr(ds, "_process", _no_processing)
    assert load_source(fake_root, "toy", cache_dir=cache) == first
    # A limited load is served from the full cache too.
    assert load_source(fake_root, "toy", cache_dir=cache, limit=2) == first[:2]


def test_cache_is_plain_gzip_json_lines(fake_root, tmp_path):
    import json
    load_source(fake_root, "toy", cache_dir=tmp_path)
    (path,) = tmp_path.glob("toy.v*.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    assert rows[0]["render_version"] == ds.RENDER_VERSION and rows[0]["count"] == 4
    assert rows[1]["doc_id"] == "toy/1"


def test_changed_input_file_misses_the_cache(fake_root, tmp_path):
    load_source(fake_root, "toy", cache_dir=tmp_path)
    gold = fake_root / "html" / "toy" / "1.gold.txt"
    gold.write_text("A different story altogether, about the weather.", encoding="utf-8")
    docs = load_source(fake_root, "toy", cache_dir=tmp_path)
    assert docs[0].labels == [BOILERPLATE] * 5  # relabelled with the new gold
    assert len(list(tmp_path.glob("toy.v*.jsonl.gz"))) == 2


def test_render_version_bump_misses_the_cache_and_drops_old_files(fake_root, tmp_path,
                                                                    monkeypatch):
    load_source(fake_root, "toy", cache_dir=tmp_path)
    monkeypatch.setattr(ds, "RENDER_VERSION", ds.RENDER_VERSION + 1)
    calls = []
    real = ds._process
    monkeypatch.setattr(ds, "_process", lambda *a: calls.append(a) or real(*a))
    load_source(fake_root, "toy", cache_dir=tmp_path)
    assert len(calls) == 5
    names = [p.name for p in tmp_path.glob("toy.v*.jsonl.gz")]
    assert names and all(n.startswith(f"toy.v{ds.RENDER_VERSION}.") for n in names)


def test_corrupt_cache_is_ignored_and_rewritten(fake_root, tmp_path, caplog):
    first = load_source(fake_root, "toy", cache_dir=tmp_path)
    (path,) = tmp_path.glob("toy.v*.jsonl.gz")
    path.write_bytes(path.read_bytes()[:40])
    with caplog.at_level(logging.WARNING, logger="training.datasets"):
        again = load_source(fake_root, "toy", cache_dir=tmp_path)
    assert again == first
    assert "cache" in caplog.text
    assert load_source(fake_root, "toy", cache_dir=tmp_path) == first


def test_cache_disabled_writes_nothing(fake_root, tmp_path, monkeypatch):
    monkeypatch.setenv("UNBOIL_CACHE", str(tmp_path / "envcache"))
    load_source(fake_root, "toy", cache_dir=False)
    assert not (tmp_path / "envcache").exists()
    load_source(fake_root, "toy")  # default: $UNBOIL_CACHE
    assert list((tmp_path / "envcache").glob("toy.v*.jsonl.gz"))


# --- the real datasets ---------------------------------------------------------------

@needs_data
def test_real_source_small_load():
    docs = load_source(REAL_ROOT, "cleaneval-dev", limit=4, cache_dir=False)
    assert [d.doc_id for d in docs] == [f"cleaneval-dev/{i}" for i in (1, 2, 3, 4)]
    for d in docs:
        assert d.lines and len(d.labels) == len(d.lines) == len(d.meta["matched"])
        assert set(d.labels) <= {CONTENT, BOILERPLATE}
        assert CONTENT in d.labels and BOILERPLATE in d.labels
        assert not d.gold.startswith(("\ufeff", "URL:"))


@needs_data
def test_real_source_cache_round_trip(tmp_path, monkeypatch):
    first = load_source(REAL_ROOT, "readability", limit=6, cache_dir=tmp_path, n_jobs=2)
    assert len(first) == 6
    assert list(tmp_path.glob("readability.v*.jsonl.gz"))
    monkeypatch.setattr(ds, "_process", _no_processing)
    again = load_source(REAL_ROOT, "readability", limit=6, cache_dir=tmp_path)
    assert again == first
    assert [d.lines for d in again] == [d.lines for d in first]


@needs_data
def test_real_parallel_load_equals_serial():
    serial = load_source(REAL_ROOT, "l3s-gn1", limit=5, cache_dir=False, n_jobs=1)
    assert load_source(REAL_ROOT, "l3s-gn1", limit=5, cache_dir=False, n_jobs=2) == serial
