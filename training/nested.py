"""Nested leave-one-source-out: choose a setting without looking at the source it is scored on.

Plain leave-one-source-out (``training.evaluate``) reports how a model does on a
source it never saw; choosing a setting by those numbers would tune on the reported
data. Here, for each *outer* held-out source:

1. stage 1 is fitted on the other sources, with out-of-fold scores, as ``train`` does
   (with the documents in ``train``'s order, ``training_order``, so the shipped candidate's
   outer score is what ``unboil evaluate`` reports for that source, up to the saved
   model's float32 rounding);
2. for each candidate setting, an *inner* leave-one-source-out over those training
   sources fits the default stage 2 without the inner source and scores it; the
   candidate with the best mean inner shingle F1 is the one this fold would choose;
3. each candidate's stage 2 is then fitted on all the training sources and scored on
   the outer source: reported, never used to choose.

A candidate sets any of ``CANDIDATE_KEYS``. Candidates with the same ``stage1_folds``,
``stage1_draws`` and ``stage1_tol`` (the folds of stage 1's out-of-fold scores, which stage 2
learns from, how many groupings of the sources into those folds, and where stage 1's L-BFGS
stops) share their stage 1, whatever their
``feature_version`` (it changes only stage 2's features, which stage 1 never reads);
when the grid holds several values of them, every candidate's inner source is scored from one
stage 1 fitted without that source (one source per fold; with the candidate's own
``stage1_tol``, which changes that stage 1 too), since each candidate's own
out-of-fold scores would hand the inner source a weaker or stronger stage 1 than the
shipped model gives a new source, and the inner means would rank that, not the candidate
(docs/experiments.md, session 15); candidates that differ only in how labels are decoded
(threshold, switch and re-entry costs, page fallback, its retry, its sentence test and what it
keeps, headline search) share their stage-2 fits too, so a grid over the decode costs one set of
fits; candidates that differ only in ``stage2_bags`` share their bags (bag b is the same fit
whatever the count), so a grid over it fits the largest count once and the pair differs by the
extra bags alone. The repository's own choices (``docs/experiments.md``) were made this way.
"""
from __future__ import annotations

import functools
import itertools
import logging
import time

import numpy as np

from inference import features as F
from inference.model import (CJK_WORDS, DEFAULT_THRESHOLD, FALLBACK_SENTENCES, HEADLINE_LINES, MIN_ARTICLE_CHARS,
                             MIN_DROPPED_PROSE, REENTRY_COST, RETRY_THRESHOLD, SWITCH_COST, keep_mask)
from inference.repeats import REPEAT_WORDS, drop_repeated
from inference.trees import tree_scores

from .datasets import INCLUSIVE_SOURCES
from .evaluate import score_documents
from .labels import Document
from .train import (N_FOLDS, STAGE1_DRAWS, STAGE1_TOL, STAGE2_BAGS, STAGE2_TREES, STAGE2_WORD_WEIGHT,
                    STAGE2_WORD_WEIGHTS, _stage1_logits, average_trees, default_columns,
                    design_version, fit_stage1_oof, fit_stage2_bags, more_stage1_oof, stage1_design,
                    stage2_inputs, training_order)

__all__ = ["CANDIDATE_KEYS", "MIN_SOURCE_DOCS", "parse_grid", "parse_candidate", "nested_evaluate", "format_nested",
           "candidate_name", "current_name", "ADDED_KEYS", "combine_seeds", "format_seeds", "short_names"]

log = logging.getLogger(__name__)

# name -> (type, default, check): what a candidate may set
CANDIDATE_KEYS = {
    "stage1_folds": (int, N_FOLDS, lambda v: v >= 2),
    "stage2_trees": (int, STAGE2_TREES, lambda v: v >= 1),
    "stage2_bags": (int, STAGE2_BAGS, lambda v: v >= 1),
    "threshold": (float, DEFAULT_THRESHOLD, lambda v: 0.0 <= v <= 1.0),
    "switch_cost": (float, SWITCH_COST, lambda v: 0.0 <= v < float("inf")),
    "min_chars": (int, MIN_ARTICLE_CHARS, lambda v: v >= 0),
    "headline_lines": (int, HEADLINE_LINES, lambda v: v >= 0),
    "min_dropped_prose": (int, MIN_DROPPED_PROSE, lambda v: v >= 0),
    "cjk_words": (int, int(CJK_WORDS), lambda v: v in (0, 1)),
    "retry_threshold": (float, RETRY_THRESHOLD, lambda v: 0.0 <= v <= 1.0),
    "reentry_cost": (float, REENTRY_COST, lambda v: 0.0 <= v < float("inf")),
    "fallback_sentences": (int, int(FALLBACK_SENTENCES), lambda v: v in (0, 1)),
    "stage1_draws": (int, STAGE1_DRAWS, lambda v: v >= 1),
    "stage1_tol": (float, STAGE1_TOL, lambda v: 0.0 < v < float("inf")),
    "stage2_word_weight": (str, STAGE2_WORD_WEIGHT, lambda v: v in STAGE2_WORD_WEIGHTS),
    "feature_version": (int, F.FEATURE_VERSION, F.is_feature_version),
    # the opt-in batch mode (inference/repeats.py): 0 pages = off; the batch is the scored source's pages
    "repeat_pages": (int, 0, lambda v: v == 0 or v >= 2),
    "repeat_words": (int, REPEAT_WORDS, lambda v: v >= 0),
}
# A source with fewer documents (the two hand-labelled seeds) is trained on but not
# scored: one page's F1 says nothing about a setting.
MIN_SOURCE_DOCS = 5


def _values(what: str, spec: str, key: str, values: str) -> list:
    """The checked values of one ``KEY=V1,V2`` item of the ``what`` (grid, candidate) ``spec``."""
    key = key.strip()
    if key not in CANDIDATE_KEYS:
        raise ValueError(f"bad {what} {spec!r}: expected KEY=VALUES with KEY one of {', '.join(CANDIDATE_KEYS)}")
    kind, _, ok = CANDIDATE_KEYS[key]
    try:
        vals = [kind(v) for v in values.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"bad {what} {spec!r}: {key} takes {kind.__name__} values") from None
    bad = [v for v in vals if not ok(v)]
    if not vals or bad:
        raise ValueError(f"bad {what} {spec!r}: {'no values' if not vals else f'{bad[0]!r} is out of range'}")
    return vals


def _defaults() -> dict:
    return {k: d for k, (_, d, _) in CANDIDATE_KEYS.items()}


def parse_grid(specs: list[str]) -> list[dict]:
    """``["switch_cost=0,0.5", "stage2_trees=60,100"]`` -> every combination, as dicts.

    Keys not given take their defaults; no spec gives the one default candidate.
    """
    axes = {}
    for spec in specs:
        key, sep, values = spec.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError(f"bad grid {spec!r}: expected KEY=V1,V2,... with KEY one of "
                             f"{', '.join(CANDIDATE_KEYS)}")
        vals = _values("grid", spec, key, values)
        if key in axes:
            raise ValueError(f"bad grid: {key} given twice")
        axes[key] = vals
    return [dict(_defaults(), **dict(zip(axes, combo))) for combo in itertools.product(*axes.values())]


def parse_candidate(spec: str) -> dict:
    """``"stage1_draws=2 stage2_bags=4"`` -> one candidate (one value per key; the rest default).

    For comparing a few chosen combinations where a grid's full product would cost too much.
    """
    cand = _defaults()
    seen = set()
    for item in spec.split():
        key, sep, value = item.partition("=")
        vals = _values("candidate", spec, key, value) if sep else []
        if len(vals) != 1:
            raise ValueError(f"bad candidate {spec!r}: expected KEY=VALUE items, one value each")
        if key in seen:
            raise ValueError(f"bad candidate {spec!r}: {key} given twice")
        seen.add(key)
        cand[key] = vals[0]
    if not seen:
        raise ValueError(f"bad candidate {spec!r}: no KEY=VALUE items")
    return cand


def candidate_name(cand: dict) -> str:
    """A candidate as the name its reports use: every key=value, in CANDIDATE_KEYS order."""
    return " ".join(f"{k}={cand[k]}" for k in CANDIDATE_KEYS)


# Keys added to CANDIDATE_KEYS since nested reports record their seed, each with the value that
# does what the code did before the key existed: a report's name without one is read with it.
ADDED_KEYS = {"retry_threshold": 0.0, "reentry_cost": 0.0, "fallback_sentences": 0, "repeat_pages": 0,
              "repeat_words": REPEAT_WORDS}


def current_name(name: str) -> str:
    """A candidate name from a report in today's form (``ADDED_KEYS`` filled in, CANDIDATE_KEYS
    order), so reports written before a key was added combine with today's names."""
    given = dict(item.partition("=")[::2] for item in name.split())
    missing = set(CANDIDATE_KEYS) - set(given)
    if not missing or not missing <= set(ADDED_KEYS) or not set(given) <= set(CANDIDATE_KEYS):
        return name
    given.update({k: str(ADDED_KEYS[k]) for k in missing})
    return " ".join(f"{k}={given[k]}" for k in CANDIDATE_KEYS)


def _f1(docs, probs, cand) -> dict:
    keep = [keep_mask(d.lines, p, cand["threshold"], cand["min_chars"], cand["switch_cost"], cand["headline_lines"],
                      cand["min_dropped_prose"], bool(cand["cjk_words"]), cand["retry_threshold"],
                      cand["reentry_cost"], bool(cand["fallback_sentences"]))
            for d, p in zip(docs, probs)]
    if cand["repeat_pages"]:
        keep = drop_repeated([d.lines for d in docs], keep, cand["repeat_pages"], cand["repeat_words"])
    return score_documents(docs, keep)["shingle"]


def nested_evaluate(docs: list[Document], candidates: list[dict], *, seed: int = 0,
                    outer_sources=None) -> dict:
    """Inner and outer shingle scores of every candidate, per outer source (see the module doc).

    Returns ``{"candidates": [names], "seed": seed, "folds": {outer: {"inner": {name: {source: f1, "mean": m}},
    "outer": {name: {"f1", "precision", "recall"}}, "chosen": name}}}``.
    """
    docs = [d for d in docs if d.lines]
    if not candidates:
        raise ValueError("no candidates to compare")
    counts = {}
    for d in docs:
        counts[d.source] = counts.get(d.source, 0) + 1
    scored = sorted(s for s, n in counts.items() if n >= MIN_SOURCE_DOCS)
    outer_sources = scored if outer_sources is None else list(outer_sources)
    unknown = [s for s in outer_sources if s not in counts]
    if unknown:
        raise ValueError(f"no documents from source {unknown[0]!r}")
    if len(scored) < 3:
        raise ValueError(f"nested leave-one-source-out needs at least 3 sources with >= {MIN_SOURCE_DOCS} "
                         f"documents; got {len(scored)}")
    names = [candidate_name(c) for c in candidates]
    report = {"candidates": names, "seed": seed, "folds": {}}
    for outer in outer_sources:
        t0 = time.perf_counter()
        train_docs = training_order([d for d in docs if d.source != outer], seed)    # as train() reads them
        test_docs = [d for d in docs if d.source == outer]
        line_src = np.array([d.source for d in train_docs for _ in d.lines])
        inner_sources = [s for s in scored if s != outer]
        fold = {"inner": {n: {} for n in names}, "outer": {}}
        test_design = stage1_design([l for d in test_docs for l in d.lines])    # shared by every stage 1
        # stage 1 depends on its folds, groupings and tolerance; the feature version changes only stage 2's features
        stage1 = functools.lru_cache(maxsize=None)(
            lambda n_folds, draws, tol: _stage1_fit(train_docs, seed, n_folds, draws, tol))
        inputs = functools.lru_cache(maxsize=None)(
            lambda n_folds, draws, tol, version: _stage2_inputs(train_docs, test_docs, test_design,
                                                                stage1(n_folds, draws, tol), version))
        settings = sorted({_stage1_key(c) for c in candidates})
        one_stage1 = len({s[:3] for s in settings}) == 1
        for n_folds, draws, tol, version in settings:
            ctxs, y, weights, test_ctx, stage2_names = inputs(n_folds, draws, tol, version)
            # Candidates that differ in stage 1's folds or groupings would otherwise score each
            # inner source from their own out-of-fold stage-1 scores: with fewer folds, from a
            # stage 1 that also missed other training sources, which is not what the shipped model
            # gives a new source (a stage 1 fitted on every training source); with more groupings,
            # from which one? One source per fold is the faithful input, the same for every candidate
            # (with the candidate's own tolerance: that changes the fitted stage 1 itself).
            inner_ctx = ctxs[0] if one_stage1 else inputs(len({d.source for d in train_docs}), 1, tol, version)[0][0]
            mine = [(n, c) for n, c in zip(names, candidates) if _stage1_key(c) == (n_folds, draws, tol, version)]
            # candidates that differ only in their number of bags share the bags: bag b is the
            # same fit whatever the count (fit_stage2_bags), so the largest count is fitted once
            for trees, ww in sorted({_stage2_key(c) for _, c in mine}):
                group = [(n, c) for n, c in mine if _stage2_key(c) == (trees, ww)]
                most = max(c["stage2_bags"] for _, c in group)
                for inner in inner_sources:
                    held_in = line_src == inner
                    parts = fit_stage2_bags([m[~held_in] for m in ctxs], y[~held_in], [w[~held_in] for w in weights],
                                            seed=seed, trees=trees, bags=most, names=stage2_names, word_weight=ww)
                    inner_docs = [d for d in train_docs if d.source == inner]
                    for bags in sorted({c["stage2_bags"] for _, c in group}):
                        probs = _split(_sigmoid(tree_scores(inner_ctx[held_in], average_trees(parts[:bags]))),
                                       inner_docs)
                        for n, c in group:
                            if c["stage2_bags"] == bags:
                                fold["inner"][n][inner] = _f1(inner_docs, probs, c)["f1"]
                parts = fit_stage2_bags(ctxs, y, weights, seed=seed, trees=trees, bags=most, names=stage2_names,
                                        word_weight=ww)
                for bags in sorted({c["stage2_bags"] for _, c in group}):
                    probs = _split(_sigmoid(tree_scores(test_ctx, average_trees(parts[:bags]))), test_docs)
                    for n, c in group:
                        if c["stage2_bags"] == bags:
                            fold["outer"][n] = {k: v for k, v in _f1(test_docs, probs, c).items() if k != "pages"}
        for n in names:
            fold["inner"][n]["mean"] = float(np.mean([fold["inner"][n][s] for s in inner_sources]))
        fold["chosen"] = max(names, key=lambda n: fold["inner"][n]["mean"])   # first on ties
        report["folds"][outer] = fold
        log.info("outer %s: %d inner sources, %d candidates (%.0fs)", outer, len(inner_sources),
                 len(names), time.perf_counter() - t0)
    return report


def _stage1_key(c: dict) -> tuple:
    """What a candidate's stage-1 fit and stage-2 inputs depend on."""
    return c["stage1_folds"], c["stage1_draws"], c["stage1_tol"], c["feature_version"]


def _stage2_key(c: dict) -> tuple:
    """What a candidate's stage-2 bags depend on, beyond its stage 1 (``_stage1_key``); its number
    of bags only says how many of them it averages."""
    return c["stage2_trees"], c["stage2_word_weight"]


def _stage1_fit(train_docs, seed, n_folds, draws, tol=STAGE1_TOL):
    """Stage 1 fitted on the training documents, with out-of-fold scores in ``n_folds`` folds
    under ``draws`` groupings of the sources, L-BFGS stopping at ``tol``, as ``train`` does:
    (params, oofs, design, y, weight)."""
    params, oof, design, y, weight = fit_stage1_oof(train_docs, seed=seed, n_folds=n_folds, stage1_tol=tol)
    oofs = [oof] + more_stage1_oof(train_docs, design, y, weight, seed=seed, n_folds=n_folds, draws=draws,
                                   stage1_tol=tol)
    return params, oofs, design, y, weight


def _stage2_inputs(train_docs, test_docs, test_design, stage1, version):
    """The default stage 2's inputs from a ``_stage1_fit`` result, with the shapes of feature
    ``version``: (training contexts and weights, one per grouping; labels; test context; the
    names of their columns: every context feature of the version but the convention column).
    ``test_design`` is ``stage1_design`` of the test documents' lines."""
    params, oofs, design, y, weight = stage1
    design = design_version(design, [l for d in train_docs for l in d.lines], version)
    test_lines = [l for d in test_docs for l in d.lines]
    held = _stage1_logits(test_design, params)
    test_design = design_version(test_design, test_lines, version)
    policy = np.array([d.source in INCLUSIVE_SOURCES for d in train_docs for _ in d.lines], dtype=np.float64)
    ctxs, weights = stage2_inputs(train_docs, oofs, design, y, weight, policy)     # as train() builds them
    test_ctx = F.context_matrix(held, test_design.shape, F.doc_offsets([len(d.lines) for d in test_docs]),
                                test_design.marks, version=version)
    names, cols = default_columns(version)
    return [c[:, cols] for c in ctxs], y, weights, test_ctx[:, cols], names


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def _split(p: np.ndarray, docs: list[Document]) -> list[np.ndarray]:
    off = F.doc_offsets([len(d.lines) for d in docs])
    return [p[off[k]:off[k + 1]] for k in range(len(docs))]


def format_nested(report: dict) -> str:
    """One row per candidate: inner mean averaged over the outer folds, how often each fold
    chose it, and its outer F1 per source (reported, not used to choose)."""
    names, folds = report["candidates"], report["folds"]
    outers = list(folds)
    rows = ["| candidate | inner mean (avg over folds) | chosen in folds | "
            + " | ".join(f"outer {s}" for s in outers) + " |",
            "|---" * (3 + len(outers)) + "|"]
    for n in names:
        inner = np.mean([folds[s]["inner"][n]["mean"] for s in outers])
        chosen = sum(folds[s]["chosen"] == n for s in outers)
        rows.append(f"| {n} | {inner:.4f} | {chosen}/{len(outers)} | "
                    + " | ".join(f"{folds[s]['outer'][n]['f1']:.3f}" for s in outers) + " |")
    return "\n".join(rows)


def combine_seeds(reports: list[dict], baseline: str | None = None, sources=None) -> dict:
    """Several nested reports (any split into files by seed and outer fold) as one
    decision statistic per candidate: its inner mean averaged over the outer folds,
    per seed, and its *paired* difference with ``baseline`` (a candidate name; default:
    the shipped settings if compared, else the first candidate) in the same seed,
    averaged over the seeds with their sample standard deviation.

    ``sources``: the inner mean of each fold over these inner sources only (those of
    them the fold scored; the outer source never is one), e.g. the sources of one
    content convention (``ARTICLE_SOURCES``); ``None``: every inner source, as the
    reports' own ``mean``.

    One seed's inner mean moves by up to 0.009 with the seed alone (docs/experiments.md,
    session 24); candidates of one run share that seed's stage 1 and sample draws, so
    their difference moves less, and its spread over seeds says by how much. Every seed
    must cover the same outer folds and every report the same candidates: a statistic
    over unequal folds would compare sources, not settings.

    Returns ``{"candidates", "baseline", "seeds", "outers", "inner": {name: {seed: m}},
    "diff": {name: {seed: d}}, "fold_diff": {name: {seed: {outer: d}}}, "mean_diff": {name: m},
    "sd_diff": {name: s or None for one seed}, "outer": {name: {seed: mean outer F1}}, "sources": sources}``.
    """
    if not reports:
        raise ValueError("no nested reports given")
    names = None
    folds: dict[int, dict] = {}
    for k, r in enumerate(reports):
        if not isinstance(r, dict) or not {"candidates", "folds", "seed"} <= set(r):
            raise ValueError(f"report {k + 1} is not a nested.py report with its seed "
                             "(candidates, seed, folds); reports before the seed was recorded cannot be combined")
        mine_names = [current_name(n) for n in r["candidates"]]
        if names is None:
            names = mine_names
        elif set(mine_names) != set(names):
            raise ValueError(f"report {k + 1} compares other candidates than report 1")
        mine = folds.setdefault(int(r["seed"]), {})
        for outer, fold in r["folds"].items():
            if outer in mine:
                raise ValueError(f"seed {r['seed']}, outer fold {outer!r} is given twice")
            mine[outer] = {part: {current_name(n): v for n, v in fold[part].items()} for part in ("inner", "outer")}
    seeds = sorted(folds)
    outers = sorted(folds[seeds[0]])
    for s in seeds:
        if sorted(folds[s]) != outers:
            missing = sorted(set(outers) ^ set(folds[s]))
            raise ValueError(f"seed {s} and seed {seeds[0]} cover different outer folds ({', '.join(missing)}); "
                             "every seed needs the same folds")
    if baseline is None:
        shipped = candidate_name(_defaults())
        baseline = shipped if shipped in names else names[0]
    if baseline not in names:
        raise ValueError(f"baseline {baseline!r} is not among the compared candidates")
    sources = None if sources is None else list(sources)
    # each candidate's inner mean per seed and fold, computed once: the per-seed means and the
    # per-fold differences are both read from it
    by_fold = {n: {s: {o: _inner_mean(folds[s][o]["inner"][n], sources) for o in outers} for s in seeds} for n in names}
    inner = {n: {s: float(np.mean(list(by_fold[n][s].values()))) for s in seeds} for n in names}
    outer_f1 = {n: {s: float(np.mean([folds[s][o]["outer"][n]["f1"] for o in outers])) for s in seeds} for n in names}
    fold_diff = {n: {s: {o: by_fold[n][s][o] - by_fold[baseline][s][o] for o in outers} for s in seeds} for n in names}
    diff = {n: {s: inner[n][s] - inner[baseline][s] for s in seeds} for n in names}
    mean_diff = {n: float(np.mean(list(diff[n].values()))) for n in names}
    # one seed has no spread to measure: None (JSON null), not NaN, which JSON cannot hold
    sd_diff = {n: float(np.std(list(diff[n].values()), ddof=1)) if len(seeds) > 1 else None for n in names}
    return {"candidates": names, "baseline": baseline, "seeds": seeds, "outers": outers, "inner": inner,
            "diff": diff, "fold_diff": fold_diff, "mean_diff": mean_diff, "sd_diff": sd_diff, "outer": outer_f1,
            "sources": sources}


def _inner_mean(inner: dict, sources=None) -> float:
    """One candidate's inner mean in one fold: the report's own, or over ``sources`` alone."""
    if sources is None:
        return inner["mean"]
    scored = [inner[s] for s in sources if s in inner]
    if not scored:
        raise ValueError(f"a fold scored none of the sources {', '.join(sources)} as an inner source")
    return float(np.mean(scored))


def short_names(names: list[str]) -> dict[str, str]:
    """Each candidate named by the keys whose values differ between the candidates; a name
    that is not a list of KEY=V (a report written by another script) stays as it is."""
    parsed = {}
    for n in names:
        items = n.split()
        if items and all("=" in item for item in items):
            parsed[n] = dict(item.split("=", 1) for item in items)
    keys = [k for k in CANDIDATE_KEYS if len({p.get(k) for p in parsed.values()}) > 1]
    shipped = candidate_name(_defaults())
    return {n: (" ".join(f"{k}={parsed[n].get(k)}" for k in keys) if n in parsed else n)
            or ("shipped" if n == shipped else n) for n in names}


def format_seeds(summary: dict) -> str:
    """Two tables: per candidate, its inner mean per seed and its paired difference with the
    baseline (mean, sd over seeds, folds gained); then each candidate's difference per fold and seed."""
    seeds, outers, base = summary["seeds"], summary["outers"], summary["baseline"]
    short = short_names(summary["candidates"])
    head = " / ".join(f"s{s}" for s in seeds)
    over = "every inner source" if summary.get("sources") is None else ", ".join(summary["sources"])
    rows = [f"{len(seeds)} seeds x {len(outers)} outer folds; inner = each fold's inner mean over {over}, averaged "
            f"over the outer folds; difference = minus {short[base]} in the same seed", "",
            f"| candidate | inner mean ({head}) | mean | minus baseline ({head}) | mean difference | sd over seeds "
            "| folds gained | outer mean, reported only |",
            "|---" * 8 + "|"]
    for n in summary["candidates"]:
        gained = sum(summary["fold_diff"][n][s][o] > 0 for s in seeds for o in outers)
        rows.append(f"| {short[n]}{' (baseline)' if n == base else ''} | "
                    + " / ".join(f"{summary['inner'][n][s]:.4f}" for s in seeds)
                    + f" | {np.mean(list(summary['inner'][n].values())):.4f} | "
                    + " / ".join(f"{summary['diff'][n][s]:+.4f}" for s in seeds)
                    + f" | {summary['mean_diff'][n]:+.4f} | "
                    + ("n/a" if summary["sd_diff"][n] is None else f"{summary['sd_diff'][n]:.4f}") + " | "
                    + f"{gained}/{len(seeds) * len(outers)} | "
                    + f"{np.mean(list(summary['outer'][n].values())):.4f} |")
    for n in summary["candidates"]:
        if n == base:
            continue
        rows += ["", f"{short[n]} minus {short[base]}, inner mean per outer fold:", "",
                 "| seed | " + " | ".join(outers) + " | mean |", "|---" * (len(outers) + 2) + "|"]
        for s in seeds:
            d = summary["fold_diff"][n][s]
            rows.append(f"| {s} | " + " | ".join(f"{d[o]:+.4f}" for o in outers) + f" | {summary['diff'][n][s]:+.4f} |")
    return "\n".join(rows)
