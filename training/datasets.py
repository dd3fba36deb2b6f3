"""Load the shared boilerplate benchmarks as labelled documents.

The datasets folder (``--datasets DIR`` or env ``UNBOIL_DATASETS``) holds
``html/<source>/<id>.html.gz`` pages with ``<id>.gold.txt`` main texts. Each
page is rendered to lines (:mod:`training.render`) and its lines labelled by
alignment with the gold text (:mod:`training.align`).

Rendering and aligning all sources takes minutes, so results are cached per
source as gzip JSON lines under ``cache_dir`` (env ``UNBOIL_CACHE``, else
``~/.cache/unboil``), keyed by the input files' names, sizes and mtimes and by
``RENDER_VERSION``.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from pathlib import Path

from .align import align_labels
from .labels import Document
from .render import render_lines

__all__ = [
    "SOURCES", "INCLUSIVE_SOURCES", "ARTICLE_SOURCES", "RENDER_VERSION", "DatasetsNotFoundError", "datasets_root",
    "default_cache_dir", "clean_gold", "load_source", "load_sources",
]

log = logging.getLogger(__name__)

SOURCES = ("cleaneval-dev", "cleaneval-final", "cleanportaleval", "dragnet",
           "l3s-gn1", "readability")
# Sources whose gold follows the inclusive convention: CleanEval's annotators kept all
# the text a reader came for, user comments, lists and tables included; the others
# keep the article only. Training gives stage 2 this as an input (``inclusive``).
INCLUSIVE_SOURCES = ("cleaneval-dev", "cleaneval-final")
# ... and the sources of the article convention, the default mode's: the targets.
ARTICLE_SOURCES = tuple(s for s in SOURCES if s not in INCLUSIVE_SOURCES)

# Bump whenever render_lines, align_labels or clean_gold change what they
# produce: cached documents of another version are not used.
RENDER_VERSION = 2

DATASETS_ENV = "UNBOIL_DATASETS"
CACHE_ENV = "UNBOIL_CACHE"
_HTML_SUFFIX = ".html.gz"
_GOLD_SUFFIX = ".gold.txt"
# Most pages per joblib task: small enough to spread over the workers, large
# enough that process overhead does not dominate (fewer for small loads).
_CHUNK = 16


class DatasetsNotFoundError(FileNotFoundError):
    """The datasets folder was not given or does not exist."""


def datasets_root(path=None) -> Path:
    """The datasets folder: ``path`` if given, else env ``UNBOIL_DATASETS``."""
    if path is None:
        path = os.environ.get(DATASETS_ENV) or None
    if path is None:
        raise DatasetsNotFoundError(
            f"no datasets folder: pass --datasets DIR or set {DATASETS_ENV}")
    path = Path(path).expanduser()
    if not path.is_dir():
        raise DatasetsNotFoundError(
            f"datasets folder {path} does not exist: pass --datasets DIR or set {DATASETS_ENV}")
    return path


def default_cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "unboil").expanduser()


# --- gold texts --------------------------------------------------------------

# CleanEval gold files start with a "URL: http://..." header (after a BOM).
_CLEANEVAL_HEADER = re.compile(r"^\s*URL:\s*\S+[ \t]*\n?")
# The one page without an article carries a comment instead of an empty gold.
_ONLY_COMMENT = re.compile(r"^\s*<!--.*-->\s*$", re.S)


def clean_gold(text: str) -> str:
    """Repair the known defects of gold files; returns the main text.

    * A few dragnet golds are UTF-16 bytes read as latin-1 (``ÿþP\\x00a\\x00``):
      the byte-order mark and NULs are dropped.
    * A leading BOM and CleanEval's ``URL: ...`` header are dropped.
    * A gold that is only an HTML comment ("this page contains no article")
      is empty: every line of that page is boilerplate.
    """
    if text.startswith(("\u00ff\u00fe", "\u00fe\u00ff")) and "\x00" in text:
        text = text[2:].replace("\x00", "")
    text = text.lstrip("\ufeff")
    text = _CLEANEVAL_HEADER.sub("", text, count=1)
    if _ONLY_COMMENT.match(text):
        return ""
    return text


# --- pages -------------------------------------------------------------------

def _natural_key(page_id: str):
    """Numbers compare as numbers: 2 < 10 < R3 (reproducible, human order)."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", page_id)]


def _list_pages(folder: Path) -> list[tuple[str, Path, Path]]:
    pages = []
    for html in folder.glob(f"*{_HTML_SUFFIX}"):
        page_id = html.name[:-len(_HTML_SUFFIX)]
        if page_id.endswith(".annotated"):
            continue
        gold = folder / f"{page_id}{_GOLD_SUFFIX}"
        if gold.is_file():
            pages.append((page_id, html, gold))
    pages.sort(key=lambda p: _natural_key(p[0]))
    return pages


def _process(html_path: str, gold_path: str):
    """Render one page and label its lines: (lines, labels, shares, gold)."""
    with gzip.open(html_path, "rb") as f:
        raw = f.read()
    gold = clean_gold(Path(gold_path).read_bytes().decode("utf-8", errors="replace"))
    lines = render_lines(raw)
    labels, shares = align_labels(lines, gold)
    return lines, labels, [round(s, 4) for s in shares], gold


def _process_chunk(chunk):
    return [_process(h, g) for h, g in chunk]


def _cache_key(source: str, pages) -> str:
    h = hashlib.sha256(f"{RENDER_VERSION}\0{source}".encode())
    for page_id, html, gold in pages:
        for p in (html, gold):
            st = p.stat()
            h.update(f"\0{p.name}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()[:20]


def _cache_path(cache_dir: Path, source: str, key: str) -> Path:
    return cache_dir / f"{source}.v{RENDER_VERSION}.{key}.jsonl.gz"


def _read_cache(path: Path, source: str, key: str) -> list[Document] | None:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            header = json.loads(f.readline())
            if (header.get("render_version") != RENDER_VERSION
                    or header.get("source") != source or header.get("key") != key):
                return None
            docs = []
            for row in f:
                d = json.loads(row)
                docs.append(Document(doc_id=d["doc_id"], source=source, lines=d["lines"],
                                     labels=d["labels"], kinds=None, gold=d["gold"],
                                     meta={"matched": d["matched"]}))
    except FileNotFoundError:
        return None
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable cache %s: %s", path, exc)
        return None
    if len(docs) != header.get("count"):
        log.warning("ignoring truncated cache %s", path)
        return None
    return docs


def _write_cache(path: Path, source: str, key: str, docs: list[Document]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8",
                                                   compresslevel=6) as f:
            header = {"render_version": RENDER_VERSION, "source": source, "key": key,
                      "count": len(docs)}
            f.write(json.dumps(header) + "\n")
            for d in docs:
                f.write(json.dumps({"doc_id": d.doc_id, "lines": d.lines, "labels": d.labels,
                                    "gold": d.gold, "matched": d.meta["matched"]},
                                   ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    # Caches of older render versions of this source are dead weight.
    for old in path.parent.glob(f"{source}.v*.jsonl.gz"):
        if not old.name.startswith(f"{source}.v{RENDER_VERSION}."):
            try:
                old.unlink()
            except OSError:
                pass


def _resolve_cache_dir(cache_dir) -> Path | None:
    if cache_dir is False:
        return None
    if cache_dir is None or cache_dir is True:
        return default_cache_dir()
    return Path(cache_dir).expanduser()


def load_source(root, source: str, *, limit: int | None = None, cache_dir=None,
                n_jobs: int = 1) -> list[Document]:
    """Labelled documents of one source, in a reproducible (natural id) order.

    ``limit`` keeps the first N pages (before pages without lines are
    skipped). ``cache_dir=False`` disables the cache; ``None`` uses the
    default. ``n_jobs`` worker processes render pages (keep it ≤ the cores).
    """
    root = Path(root)
    folder = root / "html" / source
    if not folder.is_dir():
        raise DatasetsNotFoundError(
            f"no source {source!r} in {root}: expected folder {folder}"
            f" (known sources: {', '.join(SOURCES)})")
    all_pages = _list_pages(folder)
    pages = all_pages if limit is None else all_pages[:max(0, limit)]
    cdir = _resolve_cache_dir(cache_dir)

    if cdir is not None:
        full_key = _cache_key(source, all_pages)
        docs = _read_cache(_cache_path(cdir, source, full_key), source, full_key)
        if docs is not None:
            # Skipped pages leave gaps, so slice by page id, not by position.
            if len(pages) < len(all_pages):
                wanted = {f"{source}/{p[0]}" for p in pages}
                docs = [d for d in docs if d.doc_id in wanted]
            log.info("%s: %d documents from cache %s", source, len(docs), cdir)
            return docs
        key = full_key if len(pages) == len(all_pages) else _cache_key(source, pages)
        if key != full_key:
            docs = _read_cache(_cache_path(cdir, source, key), source, key)
            if docs is not None:
                log.info("%s: %d documents from cache %s", source, len(docs), cdir)
                return docs

    t0 = time.perf_counter()
    jobs = [(str(h), str(g)) for _, h, g in pages]
    size = max(1, min(_CHUNK, -(-len(jobs) // (4 * max(1, n_jobs)))))
    chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
    if n_jobs == 1 or len(chunks) <= 1:
        results = [r for c in chunks for r in _process_chunk(c)]
    else:
        from joblib import Parallel, delayed
        results = [r for rs in Parallel(n_jobs=n_jobs)(delayed(_process_chunk)(c) for c in chunks)
                   for r in rs]
    docs, skipped = [], 0
    for (page_id, _, _), (lines, labels, shares, gold) in zip(pages, results):
        if not lines:
            skipped += 1
            continue
        docs.append(Document(doc_id=f"{source}/{page_id}", source=source, lines=lines,
                             labels=labels, kinds=None, gold=gold, meta={"matched": shares}))
    log.info("%s: %d documents rendered and aligned in %.1f s (%d pages skipped: no lines)",
             source, len(docs), time.perf_counter() - t0, skipped)
    if cdir is not None:
        try:
            _write_cache(_cache_path(cdir, source, key), source, key, docs)
        except OSError as exc:
            log.warning("could not write cache in %s: %s", cdir, exc)
    return docs


def load_sources(root, sources=SOURCES, **kw) -> list[Document]:
    """Documents of several sources, one after the other (keywords as load_source)."""
    if isinstance(sources, str):
        sources = [sources]
    docs: list[Document] = []
    for source in sources:
        docs.extend(load_source(root, source, **kw))
    return docs
