"""Fit an unboil model: ``train(documents, seed=...) -> inference.Model``.

Two stages (scikit-learn; the fitted weights are exported as plain arrays):

1. n-grams: hashed TF-IDF of each line alone (``inference.features.ngram_matrix``)
   → logistic regression.
2. context: each line's stage-1 score beside its neighbours' scores, window
   means, position, distance to the article's densest prose and shape
   (``inference.features.context_matrix``) → a small boosted-tree ensemble
   (``export_trees``; evaluated by ``inference.trees``). Stage 2 is fitted on
   *out-of-fold* stage-1 scores (folds grouped by source), so it learns how far
   to trust stage 1 on a site it has not seen — as on a user's data. Which
   sources share a fold is drawn by the seed; with ``stage1_draws`` > 1 the
   stage-2 bags learn from different draws in turn.

The seed also draws the order training reads the documents in (``training_order``), which
otherwise would be whatever order the caller passed them in.

Conventions: sources disagree on what content is (CleanEval's gold keeps user
comments and lists; the news benchmarks keep the article only). The default stage 2
learns from every source as labelled. When the data hold both conventions, a second
stage-2 ensemble (inclusive mode) is fitted with each line's convention as one more
input (``inclusive``, 1 for ``inclusive_sources``) and is asked for convention 1.

Weights: each source counts about the same in total (capped per line, so a
handful of hand-labelled lines is strong but cannot swamp the rest), and stage 1
balances the classes. Identical lines are merged into one weighted row for stage
1, which is exact for logistic regression and shrinks template-heavy data.
"""
from __future__ import annotations

import hashlib
import importlib
import logging
import numbers
import platform
import time
from collections import Counter

import numpy as np
import scipy.sparse as sp

from inference import features as F
from inference.model import (DEFAULT_THRESHOLD, HEADLINE_LINES, INCLUSIVE_PREFIX, INCLUSIVE_SWITCH_COST,
                             INCLUSIVE_THRESHOLD, MIN_ARTICLE_CHARS, MIN_DROPPED_PROSE, SMOOTHING, SWITCH_COST, Model,
                             decode_settings_problem)
from inference.trees import tree_scores

from .datasets import INCLUSIVE_SOURCES
from .labels import BOILERPLATE, Document

__all__ = ["train", "C_NGRAM", "export_trees", "N_FOLDS", "MAX_SOURCE_WEIGHT", "STAGE1_TOL",
           "STAGE2_WORD_WEIGHTS", "fit_stage1", "fit_stage1_oof", "more_stage1_oof", "stage2_inputs",
           "default_columns", "fit_stage2", "fit_stage2_bags", "average_trees", "default_stage2_weight",
           "stage1_design", "design_version", "source_weights", "data_summary", "training_order"]

log = logging.getLogger(__name__)

C_NGRAM = 1.0          # inverse L2 strength, stage 1
# Stage 2: a small boosted-tree ensemble over the context features (measured in
# docs/experiments.md: +0.02 shingle F1 on dragnet over logistic regression).
STAGE2_TREES = 100
# Stage 2 is the mean of this many ensembles, each fitted on its own sample of lines
# (docs/experiments.md, session 14).
STAGE2_BAGS = 2
STAGE2_LEARNING_RATE = 0.2
STAGE2_LEAVES = 31
STAGE2_DEPTH = 6
STAGE2_MAX_LINES = 150_000
# How a line's word count scales its weight in stage 2 (text-level F1 counts words, so a
# long paragraph matters more than a menu item): "log" = 1 + log(1 + words) (shipped),
# "sqrt" = sqrt(1 + words), "linear" = 1 + words. Nested, sqrt scored +0.0001 (session 22) and
# linear +0.0003 over seeds 0 and 1 (session 31), both below the +0.002 a change needs.
STAGE2_WORD_WEIGHT = "log"
STAGE2_WORD_WEIGHTS = ("log", "sqrt", "linear")
N_FOLDS = 4            # folds for the out-of-fold stage-1 scores stage 2 learns from
# How many ways of grouping the sources into those folds stage 2 learns from: bag b of
# stage 2 learns from grouping b % STAGE1_DRAWS (grouping d shuffles the sources with
# seed + d). Which sources share a fold moves the held-out scores by as much as a
# seed does (docs/experiments.md, session 18).
STAGE1_DRAWS = 1
# Cap on one line's weight from source balancing. It binds only for small
# hand-labelled sources (the seeds: 45 lines against ~470k): high enough that a
# few labelled pages teach a site's own boilerplate, low enough not to swamp the rest.
MAX_SOURCE_WEIGHT = 200.0
MAX_ITER = 300
# Stage 1's L-BFGS stops when its projected gradient falls below this. At 1e-4 it stops
# tens of iterations short of the optimum, at an iteration that the CPU's BLAS kernels and
# the order of the documents decide (docs/experiments.md, session 21); run to convergence
# (1e-6, 2.2-2.5x the time) it scored 0.0003 lower nested, so it stays (session 22).
STAGE1_TOL = 1e-4


class Stage1Design:
    """Stage-1 inputs for a set of lines: unique rows, their TF-IDF matrix, shapes, marks."""

    def __init__(self, counts_word, counts_char, unique_of, shape, marks, version):
        self.counts_word = counts_word      # counts of the unique (text) rows
        self.counts_char = counts_char
        self.unique_of = unique_of          # line index -> unique row
        self.shape = shape                  # per line (stage 2's input: stage 1 reads only the counts)
        self.marks = marks                  # per line
        self.version = version              # the feature version of ``shape``


_DESIGN_LINES = 50_000     # distinct lines encoded at a time


def stage1_design(lines: list[str], version: int = F.FEATURE_VERSION) -> Stage1Design:
    """Hash every distinct line once; shapes (of feature ``version``) and comment marks for every line."""
    uniq, unique_of = F.distinct_lines(lines)
    words, chars, shapes = [], [], []
    for enc in _encoded_chunks(uniq):
        w, c = F.count_matrices(enc)
        words.append(w)
        chars.append(c)
        shapes.append(F.shape_matrix(enc, version))
    return Stage1Design(sp.vstack(words, format="csr"), sp.vstack(chars, format="csr"),
                        unique_of, _per_line(shapes, unique_of), F.mark_matrix(uniq)[unique_of], version)


def design_version(design: Stage1Design, lines: list[str], version: int) -> Stage1Design:
    """``design`` (of ``lines``) with the shapes of another feature version: stage 1's
    fits and scores carry over unchanged, as they never read the shapes."""
    if version == design.version:
        return design
    uniq, unique_of = F.distinct_lines(lines)
    shapes = [F.shape_matrix(enc, version) for enc in _encoded_chunks(uniq)]
    return Stage1Design(design.counts_word, design.counts_char, design.unique_of, _per_line(shapes, unique_of),
                        design.marks, version)


def _encoded_chunks(uniq: list[str]):
    """``encode_lines`` of ``_DESIGN_LINES`` distinct lines at a time: memory stays bounded."""
    for i in range(0, len(uniq), _DESIGN_LINES):
        yield F.encode_lines(uniq[i:i + _DESIGN_LINES])


def _per_line(shapes: list[np.ndarray], unique_of: np.ndarray) -> np.ndarray:
    """Every line's shape row from the distinct lines' chunks of rows."""
    shape_u = np.concatenate(shapes) if shapes else np.zeros((0, len(F.SHAPE_NAMES)))
    return shape_u[unique_of]


def _idf(counts: sp.csr_matrix, row_weight: np.ndarray) -> np.ndarray:
    """Smoothed IDF, ln((1 + n) / (1 + df)) + 1, with document frequency over lines."""
    present = counts.copy()
    present.data[:] = 1.0
    df = np.asarray(present.T @ row_weight).ravel()
    n = row_weight.sum()
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def source_weights(sources: list[str], max_weight: float = MAX_SOURCE_WEIGHT) -> np.ndarray:
    """Per-line weight giving each source about equal total weight, capped per line."""
    counts = Counter(sources)
    target = len(sources) / len(counts)
    per_source = {s: min(target / n, max_weight) for s, n in counts.items()}
    return np.array([per_source[s] for s in sources], dtype=np.float64)


def _logreg(C, seed, tol=STAGE1_TOL):
    from sklearn.linear_model import LogisticRegression
    return LogisticRegression(C=C, max_iter=MAX_ITER, tol=tol, random_state=seed)


def fit_stage1(design: Stage1Design, y: np.ndarray, weight: np.ndarray, lines_mask: np.ndarray,
               C: float, seed: int, tol: float = STAGE1_TOL):
    """Fit stage 1 on the lines in ``lines_mask``; returns (idf_w, idf_c, coef, intercept)."""
    u = design.unique_of[lines_mask]
    n_u = design.counts_word.shape[0]
    # merge identical lines: one row per (text, label) with the summed weight
    w_b = np.bincount(u, weights=weight[lines_mask] * (y[lines_mask] == 1), minlength=n_u)
    w_c = np.bincount(u, weights=weight[lines_mask] * (y[lines_mask] == 0), minlength=n_u)
    rows = np.concatenate([np.flatnonzero(w_b), np.flatnonzero(w_c)])
    yy = np.concatenate([np.ones(np.count_nonzero(w_b)), np.zeros(np.count_nonzero(w_c))])
    ww = np.concatenate([w_b[w_b > 0], w_c[w_c > 0]])
    # balance the classes (boilerplate lines outnumber content lines about 4:1)
    for cls in (0, 1):
        ww[yy == cls] *= 0.5 * ww.sum() / ww[yy == cls].sum()
    present = np.zeros(n_u)
    present[u] = 1.0
    idf_w = _idf(design.counts_word, present)
    idf_c = _idf(design.counts_char, present)
    x = sp.hstack([F.weigh_counts(design.counts_word[rows], idf_w),
                   F.weigh_counts(design.counts_char[rows], idf_c)], format="csr")
    clf = _logreg(C, seed, tol).fit(x, yy, sample_weight=ww / ww.mean())
    pos = list(clf.classes_).index(1.0)
    sign = 1.0 if pos == 1 else -1.0
    return idf_w, idf_c, sign * clf.coef_[0], sign * clf.intercept_[0]


def _stage1_logits(design: Stage1Design, params, mask=None) -> np.ndarray:
    idf_w, idf_c, coef, b = params
    n_w = F.N_WORD_FEATURES
    u = design.unique_of if mask is None else design.unique_of[mask]
    uniq, inv = np.unique(u, return_inverse=True)
    s = (F.weigh_counts(design.counts_word[uniq], idf_w) @ coef[:n_w]
         + F.weigh_counts(design.counts_char[uniq], idf_c) @ coef[n_w:] + b)
    return s[inv]


def _fold_groups(docs: list[Document], n_folds: int) -> np.ndarray:
    sources = sorted({d.source for d in docs})
    if len(sources) >= n_folds:
        keys = [d.source for d in docs]
    else:
        if len(sources) > 1:
            # folds by document let a page's out-of-fold score come from a stage 1 that saw its
            # site's other pages: stage 2 then learns from scores better than a new site gets
            log.warning("stage 1: %d folds but %d sources: folds are grouped by document, not by source",
                        n_folds, len(sources))
        keys = [d.doc_id for d in docs]
    names = {k: i for i, k in enumerate(sorted(set(keys)))}
    return np.array([names[k] for k in keys])


def _doc_key(d: Document) -> tuple:
    """Everything training reads from a document, as a sort key."""
    return d.source, d.doc_id, d.lines, d.labels


# the permutation's own random stream, apart from stage 2's samples (default_rng(seed + b))
_ORDER_STREAM = 23


def training_order(docs: list[Document], seed: int = 0) -> list[Document]:
    """The documents in the order training reads them: sorted by what they hold, then
    shuffled by ``seed``, so the order depends only on which documents they are and the seed.

    Why: the order decides which lines stage 2's sample draws and where stage 1's
    L-BFGS stops, so it moves the model as much as a seed does (readability's
    leave-one-source-out F1 0.905 with the seeds' labels read first, 0.913 with them
    read last; docs/experiments.md, session 23). Without this, the same label folders
    given in another order would train another model.
    """
    ranked = sorted(docs, key=_doc_key)
    perm = np.random.default_rng([seed, _ORDER_STREAM]).permutation(len(ranked))
    return [ranked[i] for i in perm]


def data_summary(docs: list[Document]) -> dict:
    """Per source: documents, lines, content share and a hash of lines + labels (of the
    documents sorted as ``training_order`` sorts them: the same data, the same hash)."""
    out = {}
    for src in sorted({d.source for d in docs}):
        ds = sorted((d for d in docs if d.source == src), key=_doc_key)
        h = hashlib.sha256()
        for d in ds:
            h.update(d.doc_id.encode() + b"\0")
            for line, label in zip(d.lines, d.labels):
                h.update(label.encode() + b"\t" + line.encode("utf-8", "surrogatepass") + b"\n")
        n = sum(len(d.lines) for d in ds)
        out[src] = {"documents": len(ds), "lines": n,
                    "content_share": round(sum(l != BOILERPLATE for d in ds for l in d.labels) / max(n, 1), 4),
                    "sha256": h.hexdigest()}
    return out


def _versions() -> dict:
    import scipy
    import sklearn
    import inference
    return {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__, "unboil": inference.__version__, "cpu": cpu_kernels()}


def cpu_kernels() -> dict:
    """The CPU and the SIMD kernels numpy and OpenBLAS picked for it at run time.

    Why: they round differently (AVX-512 against AVX2), so the same seed, data and
    library versions give a different model on another kind of CPU (docs/experiments.md,
    session 21); the card says which kind trained it.
    """
    from threadpoolctl import threadpool_info    # ours in pyproject; scikit-learn needs it too
    blas = sorted({f"{i.get('internal_api')} {i.get('architecture')}"
                   for i in threadpool_info() if i.get("user_api") == "blas"})
    simd = []
    # numpy has no public accessor (show_runtime() only prints these); numpy 1.x names it .core
    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            umath = importlib.import_module(name)
            simd = [f for f in umath.__cpu_dispatch__ if umath.__cpu_features__.get(f)]
            break
        except (ImportError, AttributeError):
            continue
    return {"machine": platform.machine(), "numpy_simd": simd, "blas": blas}


def fit_stage1_oof(docs: list[Document], *, seed: int = 0, c_ngram: float = C_NGRAM,
                   n_folds: int = N_FOLDS, max_source_weight: float = MAX_SOURCE_WEIGHT,
                   feature_version: int = F.FEATURE_VERSION, stage1_tol: float = STAGE1_TOL):
    """Stage 1 on all documents, plus out-of-fold stage-1 logits for every line.

    Returns ``(params, oof_logits, design, y, weight)``; folds are grouped by source
    (by document when there are fewer sources than folds). The design's shapes are
    of ``feature_version``.
    """
    t0 = time.perf_counter()
    lines = [l for d in docs for l in d.lines]
    y = np.array([lab == BOILERPLATE for d in docs for lab in d.labels], dtype=np.float64)
    if y.min() == y.max():
        raise ValueError("training data has only one class; label some content and some boilerplate lines")
    weight = source_weights([d.source for d in docs for _ in d.lines], max_source_weight)
    design = stage1_design(lines, feature_version)
    log.info("features: %d lines (%d distinct) in %.1fs", len(lines),
             design.counts_word.shape[0], time.perf_counter() - t0)
    oof = _oof_logits(docs, design, y, weight, seed=seed, c_ngram=c_ngram, n_folds=n_folds, tol=stage1_tol, t0=t0)
    params = fit_stage1(design, y, weight, np.ones(len(lines), dtype=bool), c_ngram, seed, stage1_tol)
    if oof is None:
        oof = _stage1_logits(design, params)
    log.info("stage 1 done (%.1fs)", time.perf_counter() - t0)
    return params, oof, design, y, weight


def more_stage1_oof(docs: list[Document], design: "Stage1Design", y: np.ndarray, weight: np.ndarray, *,
                    seed: int = 0, c_ngram: float = C_NGRAM, n_folds: int = N_FOLDS,
                    draws: int = STAGE1_DRAWS, stage1_tol: float = STAGE1_TOL) -> list[np.ndarray]:
    """Out-of-fold stage-1 logits under ``draws - 1`` more groupings of the sources into
    folds (grouping d shuffles with ``seed + d``; ``fit_stage1_oof`` gives grouping 0).

    With fewer sources than folds the folds hold documents, and every grouping is drawn
    the same way. Too few documents for two folds: no groupings (stage 2 then learns
    from the in-sample logits, as with one).
    """
    out = [_oof_logits(docs, design, y, weight, seed=seed + d, c_ngram=c_ngram, n_folds=n_folds, tol=stage1_tol)
           for d in range(1, draws)]
    return [o for o in out if o is not None]


def _oof_logits(docs, design, y, weight, *, seed, c_ngram, n_folds, tol=STAGE1_TOL, t0=None):
    """Every line's stage-1 logit from a stage 1 fitted without its fold (None: no folds)."""
    from sklearn.model_selection import GroupKFold

    t0 = time.perf_counter() if t0 is None else t0
    doc_len = np.array([len(d.lines) for d in docs])
    line_doc = np.repeat(np.arange(len(docs)), doc_len)
    groups = _fold_groups(docs, n_folds)
    n_splits = min(n_folds, len(set(groups)))
    if n_splits < 2:
        return None
    oof = np.zeros(len(y))
    cv = GroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for k, (tr, te) in enumerate(cv.split(np.zeros(len(docs)), groups=groups)):
        tr_mask = np.isin(line_doc, tr)
        if np.unique(y[tr_mask]).size < 2:
            raise ValueError("a cross-validation fold has only one class; add more labelled documents")
        params = fit_stage1(design, y, weight, tr_mask, c_ngram, seed, tol)
        te_mask = np.isin(line_doc, te)
        oof[te_mask] = _stage1_logits(design, params, te_mask)
        log.info("stage 1 fold %d/%d done (%.1fs)", k + 1, n_splits, time.perf_counter() - t0)
    return oof


def default_stage2_weight(ctx: np.ndarray, names: list[str], y: np.ndarray, weight: np.ndarray,
                          policy: np.ndarray) -> np.ndarray:
    """Line weights for the default (article) mode's stage 2.

    The inclusive sources' gold keeps reader comments. Their content lines below a
    comment header after the article's core (``log_comment_headers_since_core`` > 0)
    would teach the article mode that comments are content, against every other
    source, so they get weight 0 there; the inclusive mode still learns from them.
    Nested cross-validation: docs/experiments.md, session 12.
    """
    since = ctx[:, names.index("log_comment_headers_since_core")]
    w = np.array(weight, dtype=np.float64)
    w[(np.asarray(policy) > 0) & (since > 0) & (y == 0)] = 0.0
    return w


def default_columns(version: int = F.FEATURE_VERSION) -> tuple[list[str], list[int]]:
    """The default (article) mode's stage-2 columns: every context feature of feature
    ``version`` but the convention column ``inclusive`` (names, and their indices in
    ``context_names(version)``)."""
    all_names = F.context_names(version)
    cols = [i for i, n in enumerate(all_names) if n != "inclusive"]
    return [all_names[i] for i in cols], cols


def stage2_inputs(docs: list[Document], oofs: list[np.ndarray], design: "Stage1Design", y: np.ndarray,
                  weight: np.ndarray, policy: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Stage 2's training inputs, one per grouping of stage 1's folds: the full context
    matrices (every column of ``context_names(design.version)``, the inclusive mode's input)
    and the default mode's line weights (``default_stage2_weight``)."""
    offsets = F.doc_offsets([len(d.lines) for d in docs])
    all_names = F.context_names(design.version)
    ctxs = [F.context_matrix(o, design.shape, offsets, design.marks, policy, version=design.version) for o in oofs]
    return ctxs, [default_stage2_weight(c, all_names, y, weight, policy) for c in ctxs]


def fit_stage2(ctx, y: np.ndarray, weight, *, seed: int = 0,
               trees: int = STAGE2_TREES, bags: int = STAGE2_BAGS, max_lines: int = STAGE2_MAX_LINES,
               names=None, word_weight: str = STAGE2_WORD_WEIGHT) -> dict:
    """Boosted trees over the context features; returns the model's tree arrays.

    Lines are weighted by their source weight times a function of their word count
    (``word_weight``, one of ``STAGE2_WORD_WEIGHTS``; default 1 + log words): text-level F1
    counts words, so a long paragraph matters more than a menu item. Each of ``bags``
    ensembles of ``trees`` trees is fitted on its own seeded sample of at most
    ``max_lines`` lines (bag b uses seed + b, so bag 0 is the single ensemble of
    ``bags=1``), and the model's score is their mean: one sample's luck matters less.
    ``ctx`` and ``weight`` may be lists, one per grouping of stage 1's folds
    (``STAGE1_DRAWS``): bag b then learns from ``ctx[b % len(ctx)]`` with its weights.
    ``names`` lists the columns of ``ctx`` (default: ``context_names()``).
    """
    return average_trees(fit_stage2_bags(ctx, y, weight, seed=seed, trees=trees, bags=bags,
                                         max_lines=max_lines, names=names, word_weight=word_weight))


def fit_stage2_bags(ctx, y: np.ndarray, weight, *, seed: int = 0,
                    trees: int = STAGE2_TREES, bags: int = STAGE2_BAGS, max_lines: int = STAGE2_MAX_LINES,
                    names=None, word_weight: str = STAGE2_WORD_WEIGHT) -> list[dict]:
    """``fit_stage2``'s ensembles one by one, each exported to tree arrays: the first k of them
    are the bags of ``bags=k``, so ``average_trees(parts[:k])`` is ``fit_stage2(..., bags=k)``
    and a comparison of bag counts fits the largest only (``training/nested.py``)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    ctxs = list(ctx) if isinstance(ctx, (list, tuple)) else [ctx]
    weights = list(weight) if isinstance(weight, (list, tuple)) else [weight] * len(ctxs)
    if len(weights) != len(ctxs):
        raise ValueError(f"{len(ctxs)} context matrices but {len(weights)} weight vectors")
    if word_weight not in STAGE2_WORD_WEIGHTS:
        raise ValueError(f"word_weight must be one of {STAGE2_WORD_WEIGHTS}, got {word_weight!r}")
    words = (names or F.context_names()).index("log_words")
    parts, check = [], ctxs[0][: min(len(y), 2000)]
    for b in range(bags):
        c = ctxs[b % len(ctxs)]
        w_all = weights[b % len(ctxs)] * _word_factor(c[:, words], word_weight)
        if len(y) > max_lines:
            idx = np.sort(np.random.default_rng(seed + b).permutation(len(y))[:max_lines])
            x, yy, w = c[idx], y[idx], w_all[idx]
        else:
            x, yy, w = c, y, w_all
        clf = HistGradientBoostingClassifier(
            max_iter=trees, learning_rate=STAGE2_LEARNING_RATE, max_leaf_nodes=STAGE2_LEAVES,
            max_depth=STAGE2_DEPTH, early_stopping=False, random_state=seed + b)
        clf.fit(x, yy, sample_weight=w / w.mean())
        if list(clf.classes_) != [0.0, 1.0]:
            raise RuntimeError("stage 2 needs both classes in its sample")
        part = export_trees(clf)
        # the exported arrays must reproduce scikit-learn's own scores exactly
        if not np.allclose(tree_scores(check, part), clf.decision_function(check), atol=1e-6):
            raise RuntimeError("exported trees disagree with scikit-learn; this scikit-learn's tree layout "
                               "is not supported by training/train.py:export_trees")
        parts.append(part)
    return parts


def _word_factor(log_words: np.ndarray, how: str) -> np.ndarray:
    """A line's weight factor from its ``log_words`` column, log(1 + words)."""
    if how == "log":
        return 1.0 + log_words
    n = np.expm1(log_words)
    return np.sqrt(1.0 + n) if how == "sqrt" else 1.0 + n


def average_trees(parts: list[dict]) -> dict:
    """One ensemble whose score is the mean of the given ensembles' scores: their trees
    side by side, leaf values and baselines divided by their number."""
    if len(parts) == 1:
        return parts[0]
    out = {k: [] for k in parts[0]}
    offset = 0
    for a in parts:
        n_nodes = len(a["tree_feature"])
        out["tree_feature"].append(a["tree_feature"])
        out["tree_threshold"].append(a["tree_threshold"])
        out["tree_left"].append(a["tree_left"] + np.int32(offset))
        out["tree_right"].append(a["tree_right"] + np.int32(offset))
        out["tree_value"].append(a["tree_value"] / len(parts))
        out["tree_roots"].append(a["tree_roots"] + np.int32(offset))
        offset += n_nodes
    arrays = {k: np.concatenate(v) for k, v in out.items() if k not in ("tree_baseline", "tree_depth")}
    arrays["tree_baseline"] = np.mean([a["tree_baseline"] for a in parts], axis=0)
    arrays["tree_depth"] = np.max([a["tree_depth"] for a in parts], axis=0)
    return arrays


def export_trees(clf) -> dict:
    """A fitted binary HistGradientBoostingClassifier as the flat arrays ``inference.trees`` reads.

    Reads scikit-learn's fitted predictor nodes (private, but checked against
    ``decision_function`` by the caller), so only training depends on its layout.
    """
    feature, threshold, left, right, value, roots, depth = [], [], [], [], [], [], 0
    offset = 0
    for (pred,) in clf._predictors:
        nodes = pred.nodes
        if nodes["is_categorical"].any():
            raise RuntimeError("categorical splits are not supported")
        leaf = nodes["is_leaf"].astype(bool)
        idx = np.arange(len(nodes)) + offset
        feature.append(np.where(leaf, -1, nodes["feature_idx"]).astype(np.int32))
        threshold.append(np.where(leaf, 0.0, nodes["num_threshold"]).astype(np.float64))
        left.append(np.where(leaf, idx, nodes["left"] + offset).astype(np.int32))
        right.append(np.where(leaf, idx, nodes["right"] + offset).astype(np.int32))
        value.append(np.where(leaf, nodes["value"], 0.0).astype(np.float64))
        roots.append(offset)
        depth = max(depth, int(nodes["depth"].max()))
        offset += len(nodes)
    return {"tree_feature": np.concatenate(feature), "tree_threshold": np.concatenate(threshold),
            "tree_left": np.concatenate(left), "tree_right": np.concatenate(right),
            "tree_value": np.concatenate(value), "tree_roots": np.array(roots, dtype=np.int32),
            "tree_baseline": np.asarray(clf._baseline_prediction, dtype=np.float64).ravel()[:1],
            "tree_depth": np.array([depth], dtype=np.int32)}


def train(docs: list[Document], *, seed: int = 0, c_ngram: float = C_NGRAM,
          n_folds: int = N_FOLDS, stage1_draws: int = STAGE1_DRAWS, stage1_tol: float = STAGE1_TOL,
          stage2_word_weight: str = STAGE2_WORD_WEIGHT,
          max_source_weight: float = MAX_SOURCE_WEIGHT, threshold: float = DEFAULT_THRESHOLD,
          min_article_chars: int = MIN_ARTICLE_CHARS, smoothing: float = SMOOTHING,
          switch_cost: float = SWITCH_COST, headline_lines: int = HEADLINE_LINES,
          min_dropped_prose: int = MIN_DROPPED_PROSE, inclusive_sources=INCLUSIVE_SOURCES,
          inclusive_threshold: float = INCLUSIVE_THRESHOLD, inclusive_switch_cost: float = INCLUSIVE_SWITCH_COST,
          feature_version: int = F.FEATURE_VERSION) -> Model:
    """Train a two-stage model on labelled documents; reproducible for a given seed on one kind of
    CPU (another CPU's SIMD kernels round differently: the card's ``versions.cpu`` says which).

    Documents whose source is in ``inclusive_sources`` teach the inclusive convention
    (``Model.predict_proba(..., inclusive=True)``); all others teach the default one.
    ``threshold`` and ``switch_cost`` decode the default mode, ``inclusive_threshold`` and
    ``inclusive_switch_cost`` the inclusive one.
    ``feature_version`` (one of ``FEATURE_VERSIONS``) is recorded in the model, which
    then computes its features the same way.
    """
    if not F.is_feature_version(feature_version):
        raise ValueError(f"feature_version must be one of {F.FEATURE_VERSIONS}, got {feature_version!r}")
    if isinstance(stage1_draws, bool) or not isinstance(stage1_draws, (int, np.integer)) or stage1_draws < 1:
        raise ValueError(f"stage1_draws must be a whole number >= 1, got {stage1_draws!r}")
    if isinstance(stage1_tol, bool) or not isinstance(stage1_tol, numbers.Real) or not 0 < stage1_tol < float("inf"):
        raise ValueError(f"stage1_tol must be a positive number, got {stage1_tol!r}")
    if stage2_word_weight not in STAGE2_WORD_WEIGHTS:
        raise ValueError(f"stage2_word_weight must be one of {STAGE2_WORD_WEIGHTS}, got {stage2_word_weight!r}")
    problem = decode_settings_problem({"threshold": threshold, "min_article_chars": min_article_chars,
                                       "smoothing": smoothing, "switch_cost": switch_cost,
                                       "headline_lines": headline_lines, "min_dropped_prose": min_dropped_prose,
                                       "inclusive_threshold": inclusive_threshold,
                                       "inclusive_switch_cost": inclusive_switch_cost})
    if problem:     # refused now, not by load_model after the training time is spent
        key, value, says = problem
        raise ValueError(f"{key} must be {says}, got {value!r}")
    # plain Python numbers: the header is JSON, and numpy scalars do not all serialise
    threshold, smoothing, switch_cost = float(threshold), float(smoothing), float(switch_cost)
    inclusive_threshold, inclusive_switch_cost = float(inclusive_threshold), float(inclusive_switch_cost)
    min_article_chars, headline_lines = int(min_article_chars), int(headline_lines)
    min_dropped_prose = int(min_dropped_prose)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2 ** 32:
        raise ValueError(f"seed must be a whole number from 0 to 2**32 - 1, got {seed!r}")
    seed = int(seed)
    docs = training_order([d for d in docs if d.lines], seed)
    if not docs:
        raise ValueError("no labelled lines to train on")
    t0 = time.perf_counter()
    params, oof, design, y, weight = fit_stage1_oof(
        docs, seed=seed, c_ngram=c_ngram, n_folds=n_folds, max_source_weight=max_source_weight,
        feature_version=feature_version, stage1_tol=stage1_tol)
    inclusive_sources = sorted(set(inclusive_sources))
    policy = np.array([d.source in inclusive_sources for d in docs for _ in d.lines], dtype=np.float64)
    oofs = [oof] + more_stage1_oof(docs, design, y, weight, seed=seed, c_ngram=c_ngram, n_folds=n_folds,
                                   draws=stage1_draws, stage1_tol=stage1_tol)
    ctxs, default_weights = stage2_inputs(docs, oofs, design, y, weight, policy)
    all_names = F.context_names(feature_version)
    names, cols = default_columns(feature_version)
    idf_w, idf_c, coef1, b1 = params
    n_w = F.N_WORD_FEATURES
    arrays = {
        "idf_word": idf_w, "idf_char": idf_c,
        "coef_word": coef1[:n_w].astype(np.float32), "coef_char": coef1[n_w:].astype(np.float32),
        "intercept1": np.array([b1]),
        **fit_stage2([c[:, cols] for c in ctxs], y, default_weights, seed=seed, names=names,
                     word_weight=stage2_word_weight),
    }
    both = policy.min() != policy.max()
    if both:
        # with one convention only the column would be constant and the mode a no-op:
        # such a model has no inclusive mode and refuses to pretend
        for k, a in fit_stage2(ctxs, y, [weight] * len(ctxs), seed=seed, names=all_names,
                               word_weight=stage2_word_weight).items():
            arrays[INCLUSIVE_PREFIX + k] = a
    seconds = time.perf_counter() - t0
    log.info("trained in %.1fs", seconds)
    header = {
        "feature_version": feature_version,
        "threshold": threshold,
        "min_article_chars": min_article_chars,
        "smoothing": smoothing,
        "switch_cost": switch_cost,
        "headline_lines": headline_lines,
        "min_dropped_prose": min_dropped_prose,
        "context_names": names,
        **({"inclusive_context_names": all_names, "inclusive_threshold": inclusive_threshold,
            "inclusive_switch_cost": inclusive_switch_cost} if both else {}),
        "card": {
            "data": data_summary(docs),
            "parameters": {"seed": seed, "c_ngram": c_ngram, "stage2_trees": STAGE2_TREES,
                           "stage2_bags": STAGE2_BAGS,
                           "stage2_learning_rate": STAGE2_LEARNING_RATE, "stage2_leaves": STAGE2_LEAVES,
                           "stage2_depth": STAGE2_DEPTH, "stage2_max_lines": STAGE2_MAX_LINES,
                           "n_folds": n_folds, "stage1_draws": int(stage1_draws),
                           "stage1_tol": float(stage1_tol), "stage2_word_weight": stage2_word_weight,
                           "max_source_weight": max_source_weight,
                           "threshold": threshold, "min_article_chars": min_article_chars,
                           "smoothing": smoothing, "switch_cost": switch_cost,
                           "headline_lines": headline_lines, "min_dropped_prose": min_dropped_prose,
                           "inclusive_sources": inclusive_sources,
                           "inclusive_threshold": inclusive_threshold,
                           "inclusive_switch_cost": inclusive_switch_cost,
                           "char_ngrams": list(F.CHAR_NGRAMS),
                           "word_ngrams": [1, 2], "n_word_features": F.N_WORD_FEATURES,
                           "n_char_features": F.N_CHAR_FEATURES,
                           "max_feature_chars": F.MAX_FEATURE_CHARS},
            "versions": _versions(),
            "training_seconds": round(seconds, 1),
        },
    }
    return Model(arrays, header)
