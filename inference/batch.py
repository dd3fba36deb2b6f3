"""Cleaning many documents: streamed inputs, batched scoring, optional worker processes.

Inputs are streamed, never loaded whole: text files (one document each; a folder
is walked recursively with a glob), JSONL records (one document per record, every
other field passed through) or WARC records (``inference.warc``: text records are
documents, the others pass through). gzip- and zstd-compressed inputs are read through a
decompressing stream. Documents are scored ``DOCS_PER_BATCH`` at a time in one
vectorised call; with ``n_jobs > 1`` batches go to worker processes (joblib), each
loading the model once, and results come back in input order.
"""
from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .model import join_content, load_model, split_lines
from .allocator import keep_freed_memory
from .textio import InputError, read_text_file

__all__ = ["DOCS_PER_BATCH", "Item", "expand_paths", "iter_jsonl", "render",
           "clean_items", "batched", "OutputSink", "read_text_item"]

DOCS_PER_BATCH = 64


@dataclass
class Item:
    """One document on its way through: where it came from and where its result goes.

    ``lines`` is None when the document could not be read; ``error`` then says why.
    ``record`` is the JSONL record it came from (None for text files); ``warc`` the
    WARC record (``inference.warc.Record``), which is written out cleaned or unchanged.
    """

    name: str
    lines: list[str] | None = None
    record: dict | None = None
    target: Path | None = None
    error: str | None = None
    raw: str | None = None      # a JSONL line that is not a record: passed through as it was
    warc: object | None = None
    template: object | None = None     # a bool per line: boilerplate whatever its score (--repeats)


def expand_paths(paths: list[str], pattern: str = "*") -> Iterator[tuple[str, str]]:
    """(path, relative name) for each input; folders are walked recursively, sorted,
    keeping files whose name matches ``pattern``. '-' (stdin) passes through."""
    for p in paths:
        if p != "-" and os.path.isdir(p):
            root = Path(p)
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames.sort()
                for f in sorted(filenames):
                    if fnmatch.fnmatch(f, pattern):
                        full = Path(dirpath) / f
                        yield str(full), str(full.relative_to(root))
        else:
            yield p, Path(p).name


def iter_jsonl(stream, name: str, text_field: str) -> Iterator[Item]:
    """One Item per JSONL record; a bad record becomes an Item with ``error`` set
    (the record is passed through unchanged rather than lost)."""
    for n, raw in enumerate(stream, 1):
        if not raw.strip():
            continue
        where = f"{name}:{n}"
        try:
            record = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            yield Item(where, raw=raw.decode("utf-8", "replace").rstrip("\r\n"),
                       error=f"not a JSON record ({exc.__class__.__name__})")
            continue
        if not isinstance(record, dict):
            yield Item(where, raw=raw.decode("utf-8", "replace").rstrip("\r\n"), error="not a JSON object")
            continue
        text = record.get(text_field)
        if not isinstance(text, str):
            what = "missing" if text_field not in record else f"a {type(text).__name__}, not a string"
            yield Item(where, record=record, error=f"field {text_field!r} is {what}")
            continue
        yield Item(where, lines=split_lines(text), record=record)


def read_text_item(path: str, name: str) -> Item:
    """A whole text file as one document, or an Item that says why it could not be read."""
    try:
        return Item(name, lines=split_lines(read_text_file(path)))
    except InputError as exc:
        hint = " (use -r to read folders)" if os.path.isdir(path) else ""
        return Item(name, error=f"{exc}{hint}")


def render(fmt: str, item: Item, results, text_field: str = "text") -> str:
    """The output of one document in ``fmt`` (text, tsv, jsonl, or warc: the cleaned
    text alone, which becomes the WARC record's new block). ``results`` is the
    document's list of LineResult, or just its cleaned text where no format needs more."""
    if item.raw is not None:
        return item.raw + "\n"
    text = results if isinstance(results, str) or results is None else join_content(results)
    if item.record is not None:
        record = item.record
        if text is not None:
            record = dict(record)
            record[text_field] = text
        return json.dumps(record, ensure_ascii=False) + "\n"
    if fmt == "warc":
        return text
    if fmt == "text":
        return text + "\n" if text else ""
    if fmt == "tsv":
        return "".join(f"{r.label}\t{r.score:.4f}\t{r.text}\n" for r in results)
    record = {"file": item.name, "text": text, "labels": [r.label for r in results],
              "scores": [round(r.score, 4) for r in results]}
    return json.dumps(record, ensure_ascii=False) + "\n"


def batched(items: Iterable[Item], size: int = DOCS_PER_BATCH) -> Iterator[list[Item]]:
    batch = []
    for it in items:
        batch.append(it)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _render_batch(model, batch: list[Item], fmt: str, threshold, text_field: str,
                  min_chars=None, inclusive: bool = False) -> list[str]:
    ok = [it for it in batch if it.lines is not None]
    # per-line labels and scores only where the output shows them; otherwise the
    # cleaned text alone (no result object per line: a tenth of the run time)
    per_line = fmt == "tsv" or (fmt == "jsonl" and any(it.record is None for it in ok))
    docs = [it.lines for it in ok]
    templates = [it.template for it in ok] if any(it.template is not None for it in ok) else None
    results = iter(model._classify_lines(docs, threshold, min_chars, inclusive, templates) if per_line
                   else model._clean_lines(docs, threshold, min_chars, inclusive, templates))
    return [render(fmt, it, next(results) if it.lines is not None else None, text_field)
            if (it.lines is not None or it.record is not None or it.raw is not None) else ""
            for it in batch]


_WORKER_MODELS: dict = {}


def _worker(model_path, batch, fmt, threshold, text_field, min_chars=None, inclusive=False):
    """Runs in a worker process: the model is loaded once per process, then cached."""
    model = _WORKER_MODELS.get(model_path)
    if model is None:
        keep_freed_memory()     # as the parent process does (see allocator.py)
        model = _WORKER_MODELS[model_path] = load_model(model_path)
    return _render_batch(model, batch, fmt, threshold, text_field, min_chars, inclusive)


def clean_items(batches: Iterable[list[Item]], *, model=None, model_path=None, fmt: str = "text",
                threshold=None, text_field: str = "text", n_jobs: int = 1, min_chars=None,
                inclusive: bool = False) -> Iterator[tuple[list[Item], list[str]]]:
    """(batch, rendered outputs) for each batch, in input order.

    With ``n_jobs > 1`` batches are scored in worker processes (each loads the model
    from ``model_path`` once); at most a few batches per worker are in flight, so
    memory stays bounded however long the input stream is.
    """
    if n_jobs <= 1:
        for batch in batches:
            yield batch, _render_batch(model, batch, fmt, threshold, text_field, min_chars, inclusive)
        return
    from joblib import Parallel, delayed
    pending: list = []

    def tagged():
        for batch in batches:
            pending.append(batch)
            yield delayed(_worker)(model_path, [_strip(it, text_field) for it in batch], fmt, threshold,
                                   text_field, min_chars, inclusive)

    runner = Parallel(n_jobs=n_jobs, return_as="generator", pre_dispatch="2*n_jobs")
    for outputs in runner(tagged()):
        yield pending.pop(0), outputs


def _strip(item: Item, text_field: str) -> Item:
    """What a worker needs of an item: not its output target, nor a WARC record's bytes
    (the worker only cleans the lines; records are written in this process), nor a JSONL
    record's text a second time (it travels as ``lines``; the cleaned text takes the
    field's place, so the record keeps its field order)."""
    record = item.record
    if record is not None and item.lines is not None:
        record = dict(record)
        record[text_field] = None
    return Item(item.name, item.lines, record, None, item.error, item.raw, template=item.template)


class OutputSink:
    """Writes results in order: to stdout, or to one file per input under ``-o``.

    Each output file is written to a temporary file and renamed into place when its
    input is done (all records of a JSONL or WARC input go to one file), so an
    interrupted run leaves no half-written output. With ``binary`` the data are bytes
    (WARC output) and files are opened in binary mode.
    """

    def __init__(self, write_stdout, binary: bool = False):
        self.write_stdout = write_stdout
        self.binary = binary
        self.target = None
        self.ctx = None
        self.fh = None
        self.folder = None      # the last output folder made: most files share it

    def write(self, target, data) -> None:
        if target is None:
            self.write_stdout(data)
            return
        if target != self.target:
            self.commit()
            from .textio import atomic_open
            if target.parent != self.folder:
                target.parent.mkdir(parents=True, exist_ok=True)
                self.folder = target.parent
            self.ctx = atomic_open(target, "wb" if self.binary else "w")
            self.fh = self.ctx.__enter__()
            self.target = target
        self.fh.write(data)

    def commit(self) -> None:
        if self.ctx is not None:
            ctx, self.ctx, self.target, self.fh = self.ctx, None, None, None
            ctx.__exit__(None, None, None)

    def abort(self, exc: BaseException) -> None:
        if self.ctx is not None:
            ctx, self.ctx, self.target, self.fh = self.ctx, None, None, None
            try:
                ctx.__exit__(type(exc), exc, exc.__traceback__)
            except BaseException:
                pass
