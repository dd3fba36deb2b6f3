"""Run unboil on Dask: clean a corpus partition by partition, one model per worker.

Install the engine with the extra: ``pip install 'unboil[dask]'`` (or ``pip install -e '.[dask]'``
from a clone). ``import inference`` never needs Dask or pandas: this module imports them only
inside the functions that use them.

Three entry points, from the most to the least turnkey::

    from inference.distributed import clean_jsonl, clean_dataframe, clean_records

    # 1. a JSONL corpus, end to end: every record keeps all its fields, only "text" is cleaned
    clean_jsonl("crawl/*.jsonl", "cleaned/", text_field="text", model_path=None)
    # -> cleaned/part-00000.jsonl, cleaned/part-00001.jsonl, ... (input order kept)

    # 2. a Dask DataFrame you already have (parquet, SQL, ...): a lazy map_partitions
    import dask.dataframe as dd
    ddf = dd.read_parquet("crawl.parquet")
    out = clean_dataframe(ddf, text_field="body", output_field="body_clean")
    out.to_parquet("cleaned.parquet")

    # 3. a Dask Bag of dict records
    bag = bag.map_partitions(clean_records, text_field="text")

Every partition is cleaned with ONE batched ``Model.clean_many`` (or ``classify_many``) call (the model
featurises a whole batch of lines in one vectorised pass), so a partition costs far less
than a loop over its records.

**The model is loaded once per worker process**, not once per partition or record: the
partition functions receive only the model's *path* (a few bytes in the task graph, never
the arrays) and look the model up in a module-level cache keyed by that path (and the file's
size and modification time, so a retrained model at the same path is picked up). Threads of
one worker share the cached model; a lock makes sure two threads do not both load it.

**On a cluster** the same code runs unchanged; create a ``dask.distributed`` Client first
and every ``compute``/``clean_jsonl`` call runs on it::

    from dask.distributed import Client
    client = Client("tcp://scheduler:8786")          # or Client() for a local cluster
    clean_jsonl("s3://bucket/crawl/*.jsonl", "s3://bucket/cleaned/", model_path="/models/site.npz")

The model file must be readable by every worker: put it on storage every worker mounts at
the same path, or ship it with ``client.upload_file("site.npz")`` and pass the bare file name
(``model_path="site.npz"``): a relative path that does not exist in the worker's working
directory is looked up in the worker's local directory, where ``upload_file`` puts files.
``model_path=None`` uses the default model bundled with unboil, which every worker that has
unboil installed already has. The input and output paths take any fsspec URL (local, s3://,
gs://, hdfs://, ...) that the workers can reach.
"""
from __future__ import annotations

import json
import math
import numbers
import os
import threading
from pathlib import Path

import numpy as np

from .model import Model, default_model_path, join_content, load_model

__all__ = ["clean_partition", "clean_dataframe", "clean_records", "clean_jsonl", "get_model",
           "clear_model_cache", "LABELS_FIELD", "SCORES_FIELD"]

# with_labels=True adds these columns/keys: the label ("content"/"boilerplate") and the
# P(boilerplate) of every line of the input text (lines as ``inference.split_lines`` splits them)
LABELS_FIELD = "unboil_labels"
SCORES_FIELD = "unboil_scores"

_MODELS: dict[tuple, Model] = {}
_LOCK = threading.Lock()


# --- the per-process model cache ---------------------------------------------------------
def _resolve_model_path(model_path) -> Path:
    if model_path is None:
        return default_model_path()
    path = Path(os.fspath(model_path)).expanduser()
    if not path.is_absolute() and not path.exists():
        # a file shipped with dask.distributed's client.upload_file lands in the worker's
        # local directory
        try:
            from distributed import get_worker
            candidate = Path(get_worker().local_directory) / path
        except (ImportError, ValueError, AttributeError):
            candidate = None
        if candidate is not None and candidate.exists():
            return candidate
    return path.absolute()


def get_model(model_path=None) -> Model:
    """The model at ``model_path`` (None: the bundled default), loaded once per process.

    Later calls with the same path return the same ``Model`` object; a file rewritten at
    the same path (other size or modification time) is loaded again.
    """
    path = _resolve_model_path(model_path)
    try:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
    except OSError:
        key = (str(path), None, None)     # load_model below raises the clear error
    model = _MODELS.get(key)
    if model is None:
        with _LOCK:
            model = _MODELS.get(key)
            if model is None:
                model = load_model(None if model_path is None else path)
                for old in [k for k in _MODELS if k[0] == key[0]]:
                    del _MODELS[old]          # an older version of the same file
                _MODELS[key] = model
    return model


def clear_model_cache() -> None:
    """Forget the models this process has loaded."""
    with _LOCK:
        _MODELS.clear()


# --- the shared core -----------------------------------------------------------------------
def _check_threshold(threshold) -> None:
    if threshold is None:
        return
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise TypeError(f"threshold must be a number between 0 and 1, got {threshold!r}")
    if not 0.0 <= float(threshold) <= 1.0:     # also refuses NaN
        raise ValueError(f"threshold must be between 0 and 1, got {threshold!r}")


def _check_inclusive(inclusive) -> bool:
    # numpy's bool too, as Model accepts it (a flag read from an array)
    if not isinstance(inclusive, (bool, np.bool_)):
        raise TypeError(f"inclusive must be True or False, got {inclusive!r}")
    return bool(inclusive)


def _check_min_chars(min_chars) -> None:
    if min_chars is None:
        return
    if isinstance(min_chars, bool) or not isinstance(min_chars, numbers.Integral):
        raise TypeError(f"min_chars must be a whole number >= 0, got {min_chars!r}")
    if min_chars < 0:
        raise ValueError(f"min_chars must be 0 or more, got {min_chars!r}")


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float):               # also numpy.float64
        return math.isnan(value)
    if isinstance(value, np.floating):        # float32, float16
        return bool(np.isnan(value))
    return type(value).__name__ in ("NAType", "NaTType")    # pandas.NA, pandas.NaT


def _texts(values, field: str, where) -> list[str]:
    """The values as texts: missing values become "", anything else that is not a str raises."""
    texts = []
    for i, v in enumerate(values):
        if isinstance(v, str):
            texts.append(v)
        elif _is_missing(v):
            texts.append("")
        else:
            raise TypeError(f"text field {field!r}: {where(i)} holds a {type(v).__name__} "
                            f"({str(v)[:60]!r}), expected a str or a missing value")
    return texts


def _clean_texts(texts: list[str], model_path, threshold, with_labels: bool, min_chars=None,
                 inclusive: bool = False):
    """One batched call; the cleaned texts and, with labels, lines' labels/scores."""
    model = get_model(model_path)
    if not with_labels:
        return model.clean_many(texts, threshold, min_chars, inclusive=inclusive), None, None
    results = model.classify_many(texts, threshold, min_chars, inclusive=inclusive)
    cleaned = [join_content(r) for r in results]
    labels = [[r.label for r in doc] for doc in results]
    scores = [[r.score for r in doc] for doc in results]
    return cleaned, labels, scores


# --- pandas / dask.dataframe -----------------------------------------------------------------
def _text_dtype(source_dtype):
    import pandas as pd
    # keep pandas' string dtypes (pandas 3 "str", string[pyarrow], ...); else plain objects
    return source_dtype if isinstance(source_dtype, pd.StringDtype) else object


def _check_columns(columns, text_field, output_field, with_labels) -> None:
    if text_field not in columns:
        raise KeyError(f"no column {text_field!r} to clean; the columns are {list(columns)}")
    if with_labels:
        for name in (LABELS_FIELD, SCORES_FIELD):
            if name in (text_field, output_field):
                raise ValueError(f"{name!r} is the with_labels column; pick another field name")


def clean_partition(df, *, text_field: str = "text", model_path=None, threshold: float | None = None,
                    output_field: str | None = None, with_labels: bool = False,
                    min_chars: int | None = None, inclusive: bool = False):
    """Clean the text column of one pandas DataFrame (one Dask partition).

    All texts of the partition go through one batched ``clean_many`` call. The cleaned
    text replaces ``text_field`` (or goes to a new column ``output_field``); every other
    column, and the index, pass through unchanged. ``with_labels=True`` adds the columns
    ``unboil_labels`` and ``unboil_scores``: per text, the list of its lines' labels and of
    their P(boilerplate). A missing text (None, NaN, pandas.NA) gives "" (and empty lists);
    any other non-str value raises ``TypeError`` naming the column and the row.
    ``inclusive=True`` counts comments, lists and tables as content (``Model.predict_proba``).
    The model comes from the per-process cache (``get_model``). Returns a new DataFrame.
    """
    import pandas as pd

    output_field = text_field if output_field is None else output_field
    _check_columns(df.columns, text_field, output_field, with_labels)
    _check_threshold(threshold)
    _check_min_chars(min_chars)
    inclusive = _check_inclusive(inclusive)
    column = df[text_field]
    if isinstance(column, pd.DataFrame):
        raise ValueError(f"more than one column is named {text_field!r}")
    index = df.index
    texts = _texts(column.tolist(), text_field, lambda i: f"row {index[i]!r}")
    cleaned, labels, scores = _clean_texts(texts, model_path, threshold, with_labels, min_chars, inclusive)
    out = df.copy(deep=False)
    out[output_field] = pd.Series(cleaned, index=index, dtype=_text_dtype(column.dtype))
    if with_labels:
        out[LABELS_FIELD] = pd.Series(labels, index=index, dtype=object)
        out[SCORES_FIELD] = pd.Series(scores, index=index, dtype=object)
    return out


def _meta(meta, text_field, output_field, with_labels):
    """The (empty) DataFrame clean_partition returns for a partition shaped like ``meta``."""
    import pandas as pd

    out = meta.copy(deep=False)
    out[output_field] = pd.Series([], index=meta.index, dtype=_text_dtype(meta[text_field].dtype))
    if with_labels:
        out[LABELS_FIELD] = pd.Series([], index=meta.index, dtype=object)
        out[SCORES_FIELD] = pd.Series([], index=meta.index, dtype=object)
    return out


def clean_dataframe(ddf, *, text_field: str = "text", model_path=None, threshold: float | None = None,
                    output_field: str | None = None, with_labels: bool = False,
                    min_chars: int | None = None, inclusive: bool = False):
    """A lazy Dask DataFrame: ``ddf`` with its text column cleaned (see ``clean_partition``).

    ``ddf.map_partitions(clean_partition, ...)`` with the output schema given as ``meta``, so
    Dask never runs the model on made-up data to guess it. Nothing is computed until you
    call ``.compute()``, ``.to_parquet(...)`` and the like.
    """
    output_field = text_field if output_field is None else output_field
    _check_columns(ddf.columns, text_field, output_field, with_labels)
    _check_threshold(threshold)
    _check_min_chars(min_chars)
    inclusive = _check_inclusive(inclusive)
    return ddf.map_partitions(clean_partition, text_field=text_field, model_path=model_path,
                              threshold=threshold, output_field=output_field,
                              with_labels=with_labels, min_chars=min_chars, inclusive=inclusive,
                              meta=_meta(ddf._meta, text_field, output_field, with_labels))


# --- dict records / dask.bag / JSONL --------------------------------------------------------
def clean_records(records, *, text_field: str = "text", model_path=None,
                  threshold: float | None = None, output_field: str | None = None,
                  with_labels: bool = False, min_chars: int | None = None, inclusive: bool = False,
                  _where=None) -> list[dict]:
    """Clean the ``text_field`` of a batch of dict records (one Dask Bag partition).

    Returns new dicts (the inputs are not changed) with every key and value as it was,
    in the same order, except ``output_field`` (default: ``text_field``, replaced in place),
    which holds the cleaned text, and with ``with_labels`` the keys ``unboil_labels`` and
    ``unboil_scores``. A record without ``text_field``, or with None/NaN there, gives "".
    """
    records = list(records)
    output_field = text_field if output_field is None else output_field
    _check_threshold(threshold)
    _check_min_chars(min_chars)
    inclusive = _check_inclusive(inclusive)
    if with_labels:
        _check_columns([text_field], text_field, output_field, with_labels)
    for i, r in enumerate(records):
        if not isinstance(r, dict):
            raise TypeError(f"record {i} is a {type(r).__name__}, expected a dict")
    where = _where or (lambda i: f"record {i}")
    texts = _texts([r.get(text_field) for r in records], text_field, where)
    cleaned, labels, scores = _clean_texts(texts, model_path, threshold, with_labels, min_chars, inclusive)
    out = []
    for k, r in enumerate(records):
        r = dict(r)
        r[output_field] = cleaned[k]
        if with_labels:
            r[LABELS_FIELD] = labels[k]
            r[SCORES_FIELD] = scores[k]
        out.append(r)
    return out


def _clean_jsonl_block(block, **kw) -> list[str]:
    """One partition of ``read_text(..., include_path=True)``: (line, path) pairs → JSON lines."""
    records, origin = [], []
    for line, path in block:
        s = line.strip()
        if not s:
            continue                           # blank lines between records
        try:
            rec = json.loads(s)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not a JSON line ({exc.msg}): {s[:80]!r}") from None
        if not isinstance(rec, dict):
            raise TypeError(f"{path}: a JSONL record must be a JSON object, got "
                            f"{type(rec).__name__}: {s[:80]!r}")
        records.append(rec)
        origin.append((path, s))
    out = clean_records(records, _where=lambda i: f"the record {origin[i][1][:80]!r} in "
                                                  f"{origin[i][0]}", **kw)
    return [json.dumps(r, ensure_ascii=False) for r in out]


def _part_name(i: int) -> str:
    return f"part-{i:05d}"


def clean_jsonl(inputs, output_dir, *, text_field: str = "text", model_path=None,
                threshold: float | None = None, output_field: str | None = None,
                with_labels: bool = False, min_chars: int | None = None, inclusive: bool = False,
                blocksize="64MB", scheduler=None,
                num_workers: int | None = None, storage_options: dict | None = None) -> list[str]:
    """Clean a JSONL corpus end to end; returns the paths of the files written.

    ``inputs``: a path, glob or list of paths/URLs of JSON-lines files (one JSON object per
    line; ``.gz``/``.bz2``/``.xz`` files are read whole, uncompressed ones in ``blocksize``
    pieces). ``output_dir`` receives ``part-00000.jsonl``, ``part-00001.jsonl``, ...: one
    file per partition, numbered in input order, records in input order within each, so
    reading the parts in name order gives the input records in order.

    Each record keeps every field and value exactly (it is parsed with ``json`` and written
    back, never through a DataFrame, so no type guessing turns "007" into 7, a date string
    into a timestamp or a nested object into a string); only ``output_field`` (default
    ``text_field``, replaced in place) holds the cleaned text. Missing/null texts give "".

    ``scheduler``/``num_workers`` go to Dask's ``compute`` (default: the active
    dask.distributed Client if there is one, else Dask's default for bags, a process pool).
    Refuses an ``output_dir`` that already holds ``part-*.jsonl`` files.
    """
    import dask.bag as db
    import fsspec
    from fsspec.utils import infer_compression

    _check_threshold(threshold)
    _check_min_chars(min_chars)
    inclusive = _check_inclusive(inclusive)
    if with_labels:
        _check_columns([text_field], text_field,
                       text_field if output_field is None else output_field, with_labels)
    storage_options = storage_options or {}
    fs, out_root = fsspec.core.url_to_fs(os.fspath(output_dir), **storage_options)
    if fs.exists(out_root) and fs.glob(out_root.rstrip("/") + "/part-*.jsonl"):
        raise FileExistsError(f"{output_dir} already holds part-*.jsonl files; "
                              "choose an empty or new folder")
    paths = [os.fspath(p) for p in inputs] if isinstance(inputs, (list, tuple)) \
        else os.fspath(inputs)
    in_fs, _, in_paths = fsspec.get_fs_token_paths(paths, mode="rb", storage_options=storage_options)
    if not in_paths:
        raise FileNotFoundError(f"no input files match {inputs!r}")
    if any(infer_compression(p) for p in in_paths):
        blocksize = None                       # compressed files cannot be split
    lines = db.read_text(paths, blocksize=blocksize, encoding="utf-8", include_path=True,
                         storage_options=storage_options)
    cleaned = lines.map_partitions(_clean_jsonl_block, text_field=text_field,
                                   model_path=model_path, threshold=threshold,
                                   output_field=output_field, with_labels=with_labels,
                                   min_chars=min_chars, inclusive=inclusive)
    compute_kw = {}
    if scheduler is not None:
        compute_kw["scheduler"] = scheduler
    if num_workers is not None:
        compute_kw["num_workers"] = num_workers
    sep = "" if os.fspath(output_dir).endswith("/") else "/"
    return cleaned.to_textfiles(os.fspath(output_dir) + sep + "*.jsonl", name_function=_part_name,
                                encoding="utf-8", last_endline=True,
                                storage_options=storage_options, **compute_kw)
