"""Honest evaluation: grouped cross-validation, never split by line.

* ``loso`` — leave one source out: train on every other source, predict the held-out
  one. This is the number that says how unboil does on a site it has never seen.
* ``doc`` — K folds grouped by document (pages of one source share templates, so
  this is optimistic; it is reported beside LOSO, not instead of it).

Scores per held-out source: text-level shingle P/R/F1 of the kept lines against
the gold text (``training.metrics``) and line-level P/R/F1 per class, with the
keep-everything and C4-rule baselines on the same documents. Where a fold's model
learned both content conventions, unboil is scored in inclusive mode too
("unboil --inclusive").
"""
from __future__ import annotations

import logging
import time

import numpy as np

from .baselines import c4_keep, keep_all
from .labels import BOILERPLATE, CONTENT, Document
from .metrics import shingle_scores
from .train import train

__all__ = ["cross_val_predict", "cross_val_predict_modes", "score_documents", "evaluate", "format_report",
           "SCHEMES", "INCLUSIVE_SYSTEM",
           "save_predictions", "load_predictions"]

log = logging.getLogger(__name__)
SCHEMES = ("loso", "doc")
INCLUSIVE_SYSTEM = "unboil --inclusive"
DOC_FOLDS = 5


def _folds(docs: list[Document], scheme: str, n_splits: int, seed: int):
    """(name, train indices, test indices) per fold."""
    idx = np.arange(len(docs))
    if scheme == "loso":
        sources = sorted({d.source for d in docs})
        if len(sources) < 2:
            raise ValueError("leave-one-source-out needs documents from at least two sources")
        for s in sources:
            test = np.array([d.source == s for d in docs])
            yield s, idx[~test], idx[test]
    elif scheme == "doc":
        from sklearn.model_selection import GroupKFold
        groups = np.array([d.doc_id for d in docs])
        cv = GroupKFold(n_splits=min(n_splits, len(docs)), shuffle=True, random_state=seed)
        for k, (tr, te) in enumerate(cv.split(idx, groups=groups)):
            yield f"fold{k + 1}", tr, te
    else:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {', '.join(SCHEMES)}")


def cross_val_predict(docs: list[Document], scheme: str = "loso", *, n_splits: int = DOC_FOLDS,
                      seed: int = 0, inclusive: bool = False, **train_kw) -> list[np.ndarray]:
    """Out-of-fold P(boilerplate) for every line of every document.

    ``inclusive=True`` predicts in inclusive mode; every fold's model must support it.
    """
    return cross_val_predict_modes(docs, scheme, (inclusive,), n_splits, seed, **train_kw)[inclusive]


def cross_val_predict_modes(docs: list[Document], scheme: str = "loso", modes=(False, True),
                            n_splits: int = DOC_FOLDS, seed: int = 0, *, required: bool = True, **train_kw):
    """``{inclusive: out-of-fold probabilities}`` for each mode, one training per fold.

    With ``required=False`` a document whose fold model has no inclusive mode gets
    None in the inclusive list instead of an error.
    """
    out = {m: [None] * len(docs) for m in modes}
    for name, tr, te in _folds(docs, scheme, n_splits, seed):
        t0 = time.perf_counter()
        model = train([docs[i] for i in tr], seed=seed, **train_kw)
        for mode in modes:
            if mode and not required and not model.supports_inclusive:
                log.info("fold %s: its model has no inclusive mode (no inclusive sources in training)", name)
                continue
            for i, p in zip(te, model.predict_proba([docs[i].lines for i in te], inclusive=mode)):
                out[mode][i] = p
        log.info("fold %s: trained on %d documents, predicted %d (%.0fs)", name, len(tr), len(te),
                 time.perf_counter() - t0)
    return out


def _line_prf(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    out = {}
    for name, cls in ((CONTENT, False), (BOILERPLATE, True)):
        tp = np.sum((y_pred == cls) & (y_true == cls))
        fp = np.sum((y_pred == cls) & (y_true != cls))
        fn = np.sum((y_pred != cls) & (y_true == cls))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        out[name] = {"precision": float(p), "recall": float(r),
                     "f1": float(2 * p * r / (p + r)) if p + r else 0.0}
    return out


def score_documents(docs: list[Document], keep: list[np.ndarray]) -> dict:
    """Text-level and line-level scores of keeping ``keep[i]`` (bool per line) in ``docs[i]``."""
    pairs = [("\n".join(l for l, k in zip(d.lines, kp) if k), d.gold_text()) for d, kp in zip(docs, keep)]
    y_true = np.concatenate([np.array([lab == BOILERPLATE for lab in d.labels]) for d in docs])
    y_pred = np.concatenate([~np.asarray(kp, dtype=bool) for kp in keep])
    return {"shingle": shingle_scores(pairs), "lines": _line_prf(y_true, y_pred),
            "documents": len(docs), "n_lines": int(len(y_true))}


def evaluate(docs: list[Document], scheme: str = "loso", *, threshold: float | None = None,
             min_chars: int | None = None, seed: int = 0, n_splits: int = DOC_FOLDS, **train_kw) -> dict:
    """Scores per source (and overall) for unboil and the baselines, from out-of-fold predictions.

    Lines are kept as ``unboil clean`` keeps them (``inference.model.keep_mask``).
    """
    from inference.model import (DEFAULT_THRESHOLD, HEADLINE_LINES, INCLUSIVE_SWITCH_COST, INCLUSIVE_THRESHOLD,
                                 MIN_ARTICLE_CHARS, MIN_DROPPED_PROSE, SWITCH_COST, keep_mask)
    # the fold models' own decode, per mode, as clean would use it; an explicit threshold sets both modes'
    t = DEFAULT_THRESHOLD if threshold is None else threshold
    ti = train_kw.get("inclusive_threshold", INCLUSIVE_THRESHOLD) if threshold is None else threshold
    m = MIN_ARTICLE_CHARS if min_chars is None else min_chars
    c = train_kw.get("switch_cost", SWITCH_COST)
    ci = train_kw.get("inclusive_switch_cost", INCLUSIVE_SWITCH_COST)
    h = train_kw.get("headline_lines", HEADLINE_LINES)
    dp = train_kw.get("min_dropped_prose", MIN_DROPPED_PROSE)
    by_mode = cross_val_predict_modes(docs, scheme, (False, True), n_splits, seed, required=False,
                                       **train_kw)
    probs, probs_incl = by_mode[False], by_mode[True]
    systems = {
        "unboil": [keep_mask(d.lines, p, t, m, c, h, dp) for d, p in zip(docs, probs)],
        INCLUSIVE_SYSTEM: [None if p is None else keep_mask(d.lines, p, ti, m, ci, h, dp)
                           for d, p in zip(docs, probs_incl)],
        "keep-all": [keep_all(d.lines) for d in docs],
        "c4-rule": [c4_keep(d.lines) for d in docs],
    }
    report = {"scheme": scheme, "threshold": t, "min_chars": m, "switch_cost": c, "headline_lines": h,
              "inclusive_threshold": ti, "inclusive_switch_cost": ci,
              "min_dropped_prose": dp,
              "seed": seed, "sources": {},
              "probabilities": probs, "probabilities_inclusive": probs_incl}
    for src in sorted({d.source for d in docs}):
        idx = [i for i, d in enumerate(docs) if d.source == src]
        # a source is scored in inclusive mode only when all its pages have that mode's predictions
        report["sources"][src] = {name: score_documents([docs[i] for i in idx], [keep[i] for i in idx])
                                  for name, keep in systems.items()
                                  if all(keep[i] is not None for i in idx)}
    return report


def format_report(report: dict) -> str:
    """A plain-text table: one row per source, shingle P/R/F1 and line F1 per system."""
    systems = list(dict.fromkeys(s for res in report["sources"].values() for s in res))
    width = {s: max(12, len(s) + 3) for s in systems}
    head = f"{'source':<16} {'docs':>5} " + " ".join(
        f"{s + ' F1':>{width[s]}} {'P':>6} {'R':>6}" for s in systems) + f" {'line F1 c/b':>12}"
    rows = [f"scheme: {report['scheme']}   threshold: {report['threshold']}   "
            f"min chars: {report.get('min_chars', 0)}   switch cost: {report.get('switch_cost', 0.0)}   "
            f"headline lines: {report.get('headline_lines', 0)}   "
            f"dropped prose: {report.get('min_dropped_prose', 0)}   seed: {report['seed']}"
            # reports before session 26 decoded both modes alike
            + (f"   inclusive: threshold {report['inclusive_threshold']}, switch cost {report['inclusive_switch_cost']}"
               if "inclusive_threshold" in report else ""),
            head, "-" * len(head)]
    means = {s: [] for s in systems}
    for src, res in report["sources"].items():
        cells = []
        for s in systems:
            if s not in res:        # no inclusive mode in this source's fold
                cells.append(f"{'-':>{width[s]}} {'':>6} {'':>6}")
                continue
            sh = res[s]["shingle"]
            means[s].append(sh["f1"])
            cells.append(f"{sh['f1']:>{width[s]}.3f} {sh['precision']:>6.3f} {sh['recall']:>6.3f}")
        ln = res["unboil"]["lines"]
        rows.append(f"{src:<16} {res['unboil']['documents']:>5} " + " ".join(cells)
                    + f" {ln[CONTENT]['f1']:>6.3f}/{ln[BOILERPLATE]['f1']:.3f}")
    rows.append("-" * len(head))
    # a mean over only some sources would not compare with the others: "-"
    rows.append(f"{'mean of sources':<22} " + " ".join(
        (f"{np.mean(means[s]):>{width[s]}.3f}" if len(means[s]) == len(report["sources"]) else f"{'-':>{width[s]}}")
        + f" {'':>6} {'':>6}" for s in systems))
    return "\n".join(rows)


def save_predictions(path, docs: list[Document], probs: list[np.ndarray],
                     probs_inclusive: list | None = None) -> None:
    """Out-of-fold P(boilerplate) per line, keyed by document id (plain arrays, no pickle).

    Inclusive-mode probabilities are saved beside (NaN for documents without them).
    """
    from inference.textio import atomic_open
    arrays = {"doc_ids": np.array([d.doc_id for d in docs]),
              "offsets": np.concatenate(([0], np.cumsum([len(p) for p in probs]))),
              "probs": np.concatenate(probs) if probs else np.zeros(0)}
    if probs_inclusive is not None and any(p is not None for p in probs_inclusive):
        arrays["probs_inclusive"] = np.concatenate(
            [np.full(len(p), np.nan) if q is None else q for p, q in zip(probs, probs_inclusive)])
    with atomic_open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def load_predictions(path, inclusive: bool = False) -> dict[str, np.ndarray]:
    """``{doc_id: P(boilerplate) per line}`` from ``save_predictions``; with
    ``inclusive``, the inclusive-mode ones (documents without them are left out).

    OSError if the file cannot be read; ValueError, with one line that says so, if it
    is not a predictions file (it is read with ``allow_pickle=False``: no code runs)."""
    key = "probs_inclusive" if inclusive else "probs"
    not_predictions = ValueError(f"{path} is not a predictions file; write one with "
                                 "`unboil evaluate --predictions FILE`")
    try:
        z = np.load(path, allow_pickle=False)
    except OSError:
        raise
    except Exception as exc:    # a text or pickle file
        raise not_predictions from exc
    if not isinstance(z, np.lib.npyio.NpzFile):     # a lone .npy array
        raise not_predictions
    with z:
        if not {"offsets", "doc_ids", "probs"} <= set(z.files):
            raise not_predictions
        if key not in z.files:
            raise ValueError(f"{path} holds no inclusive-mode predictions")
        try:
            off, doc_ids, probs = z["offsets"], z["doc_ids"], z[key]
        except Exception as exc:    # a damaged member
            raise not_predictions from exc
    if len(off) != len(doc_ids) + 1 or off[-1] != len(probs):
        raise not_predictions
    out = {str(d): probs[off[k]:off[k + 1]] for k, d in enumerate(doc_ids)}
    return {d: p for d, p in out.items() if not (len(p) and np.isnan(p[0]))}
