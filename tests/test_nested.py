"""Nested leave-one-source-out (training/nested.py, benchmarks/nested.py)."""
from __future__ import annotations

import random

import numpy as np
import pytest

import training.nested as N
from test_inclusive import synthetic_page


def _docs(per_source=6):
    rng = random.Random(3)
    return [synthetic_page(rng, f"{src}/{k}", src, False)[0]
            for src in ("a", "b", "c", "d") for k in range(per_source)]


def test_a_grid_is_every_combination_with_defaults_for_the_rest():
    got = N.parse_grid(["switch_cost=0,0.5", "stage2_trees=5,10"])
    assert len(got) == 4 and {(c["switch_cost"], c["stage2_trees"]) for c in got} == {
        (0.0, 5), (0.0, 10), (0.5, 5), (0.5, 10)}
    assert all(c["threshold"] == N.CANDIDATE_KEYS["threshold"][1] for c in got)
    assert N.parse_grid([]) == [{k: d for k, (_, d, _) in N.CANDIDATE_KEYS.items()}]


@pytest.mark.parametrize("spec, match", [
    ("depth=3", "KEY one of"), ("switch_cost", "KEY one of"), ("switch_cost=-1", "out of range"),
    ("stage2_trees=2.5", "int values"), ("threshold=", "no values"),
])
def test_a_bad_grid_says_what_is_wrong(spec, match):
    with pytest.raises(ValueError, match=match):
        N.parse_grid([spec])


def test_a_candidate_sets_the_keys_it_names_and_defaults_the_rest():
    got = N.parse_candidate("stage1_draws=2  stage2_bags=4")
    shipped = N.parse_grid([])[0]
    assert got == dict(shipped, stage1_draws=2, stage2_bags=4) and got != shipped


@pytest.mark.parametrize("spec, match", [
    ("stage1_draws=2,3", "one value each"), ("depth=3", "KEY one of"), ("stage1_draws", "one value each"),
    ("  ", "no KEY=VALUE"), ("stage1_draws=0", "out of range"), ("stage2_bags=2 stage2_bags=4", "given twice"),
])
def test_a_bad_candidate_says_what_is_wrong(spec, match):
    with pytest.raises(ValueError, match=match):
        N.parse_candidate(spec)


def test_no_fold_ever_trains_on_the_source_it_scores(monkeypatch):
    """Stage 1 of an outer fold never sees the outer source; every inner stage 2 is fitted
    without its inner source's lines; decode-only candidates share their fits."""
    docs = _docs()
    lines_of = {s: sum(len(d.lines) for d in docs if d.source == s) for s in "abcd"}
    stage1_sources, stage2_sizes = [], []
    real1, real2 = N.fit_stage1_oof, N.fit_stage2_bags

    def spy1(train_docs, **kw):
        stage1_sources.append(({d.source for d in train_docs}, kw["n_folds"]))
        return real1(train_docs, **kw)

    def spy2(ctx, y, w, **kw):
        stage2_sizes.append(len(y))
        return real2(ctx, y, w, **kw)

    monkeypatch.setattr(N, "fit_stage1_oof", spy1)
    monkeypatch.setattr(N, "fit_stage2_bags", spy2)
    report = N.nested_evaluate(docs, N.parse_grid(["switch_cost=0,0.5", "stage2_trees=5"]),
                               outer_sources=["a", "b"])
    assert stage1_sources == [({"b", "c", "d"}, 4), ({"a", "c", "d"}, 4)]
    total = sum(lines_of.values())
    # per outer: 3 inner fits (one per inner source) + 1 outer fit, shared by both candidates
    expected = []
    for outer in "ab":
        expected += [total - lines_of[outer] - lines_of[s] for s in "abcd" if s != outer]
        expected.append(total - lines_of[outer])
    assert stage2_sizes == expected
    fold = report["folds"]["a"]
    assert set(fold["inner"][report["candidates"][0]]) == {"b", "c", "d", "mean"}
    assert fold["chosen"] in report["candidates"]
    assert 0.0 <= fold["outer"][fold["chosen"]]["f1"] <= 1.0


def test_candidates_with_other_stage1_folds_get_their_own_stage1(monkeypatch):
    docs = _docs(5)
    folds = []
    real = N.fit_stage1_oof

    def spy(train_docs, **kw):
        folds.append(kw["n_folds"])
        return real(train_docs, **kw)

    monkeypatch.setattr(N, "fit_stage1_oof", spy)
    report = N.nested_evaluate(docs, N.parse_grid(["stage1_folds=2,5", "stage2_trees=5",
                                                   "headline_lines=0,10"]), outer_sources=["a"])
    # one stage 1 per value, shared by the decode candidates, and one with a source per fold
    # (the training sources b, c, d) that scores every candidate's inner sources
    assert folds == [2, 3, 5]
    assert len(report["folds"]["a"]["outer"]) == 4


def test_candidates_differing_in_stage1_folds_are_scored_on_the_same_inner_input(monkeypatch):
    """Each inner source is scored from a stage 1 fitted without it, whatever the candidate's folds."""
    docs = _docs(5)
    scored = []
    real = N.tree_scores

    def spy(x, arrays):
        scored.append(x.copy())
        return real(x, arrays)

    monkeypatch.setattr(N, "tree_scores", spy)
    N.nested_evaluate(docs, N.parse_grid(["stage1_folds=2,5", "stage2_trees=5"]), outer_sources=["a"])
    inner, outer = 3, 1                      # inner sources b, c, d, then the outer source, per value
    assert len(scored) == 2 * (inner + outer)
    first, second = scored[:inner], scored[inner + outer:2 * inner + outer]
    assert all(np.array_equal(u, v) for u, v in zip(first, second))


def test_candidates_differing_in_stage1_draws_share_the_inner_input_and_not_their_stage2(monkeypatch):
    """stage1_draws 2 learns from a second grouping of the folds; both candidates' inner sources
    are scored from the one-source-per-fold stage 1, and their stage 2 fits see their own groupings."""
    docs = _docs(5)
    draws, scored, fitted = [], [], []
    real_more, real_scores, real_fit = N.more_stage1_oof, N.tree_scores, N.fit_stage2_bags

    def spy_more(*a, **kw):
        draws.append((kw["n_folds"], kw["draws"]))
        return real_more(*a, **kw)

    def spy_scores(x, arrays):
        scored.append(x.copy())
        return real_scores(x, arrays)

    def spy_fit(ctx, y, w, **kw):
        fitted.append(len(ctx))
        return real_fit(ctx, y, w, **kw)

    monkeypatch.setattr(N, "more_stage1_oof", spy_more)
    monkeypatch.setattr(N, "tree_scores", spy_scores)
    monkeypatch.setattr(N, "fit_stage2_bags", spy_fit)
    report = N.nested_evaluate(docs, N.parse_grid(["stage1_draws=1,2", "stage2_trees=5"]), outer_sources=["a"])
    # (4 folds, 1 grouping), the one-source-per-fold input (3 training sources), (4 folds, 2 groupings)
    assert draws == [(4, 1), (3, 1), (4, 2)]
    inner, outer = 3, 1
    assert fitted == [1] * (inner + outer) + [2] * (inner + outer)
    first, second = scored[:inner], scored[inner + outer:2 * inner + outer]
    assert all(np.array_equal(u, v) for u, v in zip(first, second))
    names = report["candidates"]
    assert [f"stage1_draws={k}" in n.split() for n, k in zip(names, (1, 2))] == [True, True]


def test_candidates_differing_in_feature_version_share_stage1_and_get_their_own_shapes(monkeypatch):
    """Stage 1 never reads the shapes, so it is fitted once; each version's stage 2 learns and is
    scored from that version's shapes, training and test lines alike."""
    docs = _docs(5)
    for d in docs[::4]:                                  # some Chinese lines, where the versions differ
        d.lines[0] = "市议会周一批准了这座新桥的建设计划，预计明年春天开工。"
    stage1, versions, fitted = [], [], []
    real1, real_shape, real_fit = N.fit_stage1_oof, N.F.shape_matrix, N.fit_stage2_bags

    def spy1(train_docs, **kw):
        stage1.append(kw["n_folds"])
        return real1(train_docs, **kw)

    def spy_shape(enc, version=N.F.FEATURE_VERSION):
        versions.append(version)
        return real_shape(enc, version)

    def spy_fit(ctx, y, w, **kw):
        fitted.append(ctx[0])
        return real_fit(ctx, y, w, **kw)

    monkeypatch.setattr(N, "fit_stage1_oof", spy1)
    monkeypatch.setattr(N.F, "shape_matrix", spy_shape)
    monkeypatch.setattr(N, "fit_stage2_bags", spy_fit)
    report = N.nested_evaluate(docs, N.parse_grid(["feature_version=2,3", "stage2_trees=5"]), outer_sources=["a"])
    assert stage1 == [4]
    assert versions.count(3) == 2                          # the training lines' shapes, the test lines'
    v2, v3 = report["candidates"]
    assert "feature_version=2" in v2.split() and "feature_version=3" in v3.split()
    inner, outer = 3, 1                      # stage-2 fits per version: one per inner source, one outer
    assert len(fitted) == 2 * (inner + outer)
    # same lines and labels, other shapes: the Chinese lines' word counts
    assert fitted[0].shape == fitted[inner + outer].shape
    assert not np.array_equal(fitted[0], fitted[inner + outer])


def test_the_same_seed_gives_the_same_report():
    docs = _docs(5)
    grid = N.parse_grid(["stage2_trees=5"])
    report = N.nested_evaluate(docs, grid, outer_sources=["c"])
    assert report == N.nested_evaluate(docs, grid, outer_sources=["c"])
    assert report["seed"] == 0 and N.nested_evaluate(docs, grid, seed=3, outer_sources=["c"])["seed"] == 3


def test_too_few_sources_or_an_unknown_one_is_refused():
    docs = [d for d in _docs() if d.source in ("a", "b")]
    with pytest.raises(ValueError, match="at least 3 sources"):
        N.nested_evaluate(docs, N.parse_grid([]))
    with pytest.raises(ValueError, match="no documents from source 'z'"):
        N.nested_evaluate(_docs(), N.parse_grid([]), outer_sources=["z"])


def test_candidates_differing_in_stage1_tol_get_their_own_stage1_and_inner_input(monkeypatch):
    """The tolerance changes the fitted stage 1 itself, so each candidate's inner sources are
    scored from a one-source-per-fold stage 1 fitted with its own tolerance."""
    docs = _docs(5)
    fits, scored = [], []
    real1, real_scores = N.fit_stage1_oof, N.tree_scores

    def spy1(train_docs, **kw):
        fits.append((kw["n_folds"], kw["stage1_tol"]))
        return real1(train_docs, **kw)

    def spy_scores(x, arrays):
        scored.append(x.copy())
        return real_scores(x, arrays)

    monkeypatch.setattr(N, "fit_stage1_oof", spy1)
    monkeypatch.setattr(N, "tree_scores", spy_scores)
    report = N.nested_evaluate(docs, N.parse_grid(["stage1_tol=1e-4,1e-9", "stage2_trees=5"]), outer_sources=["a"])
    assert fits == [(4, 1e-9), (3, 1e-9), (4, 1e-4), (3, 1e-4)]
    inner, outer = 3, 1
    assert len(scored) == 2 * (inner + outer)
    first, second = scored[:inner], scored[inner + outer:2 * inner + outer]
    assert not all(np.array_equal(u, v) for u, v in zip(first, second))
    assert len(report["folds"]["a"]["outer"]) == 2


def test_candidates_differing_in_stage2_word_weight_share_stage1_not_their_stage2(monkeypatch):
    docs = _docs(5)
    stage1, fitted = [], []
    real1, real_fit = N.fit_stage1_oof, N.fit_stage2_bags

    def spy1(train_docs, **kw):
        stage1.append(kw["n_folds"])
        return real1(train_docs, **kw)

    def spy_fit(ctx, y, w, **kw):
        fitted.append(kw["word_weight"])
        return real_fit(ctx, y, w, **kw)

    monkeypatch.setattr(N, "fit_stage1_oof", spy1)
    monkeypatch.setattr(N, "fit_stage2_bags", spy_fit)
    report = N.nested_evaluate(docs, N.parse_grid(["stage2_word_weight=log,sqrt", "stage2_trees=5"]),
                               outer_sources=["a"])
    assert stage1 == [4]
    inner, outer = 3, 1
    assert fitted == ["log"] * (inner + outer) + ["sqrt"] * (inner + outer)
    assert len(report["folds"]["a"]["outer"]) == 2
    with pytest.raises(ValueError, match="stage2_word_weight"):
        N.parse_grid(["stage2_word_weight=cubic"])


def test_a_grid_over_bags_fits_the_largest_count_once_and_scores_as_each_alone(monkeypatch):
    """stage2_bags=1,2 fits 2 bags per fit, and each count scores exactly as when run alone."""
    docs = _docs(5)
    bags, averaged, real_fit, real_avg = [], [], N.fit_stage2_bags, N.average_trees

    def spy_fit(ctx, y, w, **kw):
        bags.append(kw["bags"])
        return real_fit(ctx, y, w, **kw)

    def spy_avg(parts):
        averaged.append(len(parts))
        return real_avg(parts)

    monkeypatch.setattr(N, "fit_stage2_bags", spy_fit)
    monkeypatch.setattr(N, "average_trees", spy_avg)
    both = N.nested_evaluate(docs, N.parse_grid(["stage2_bags=1,2", "stage2_trees=5"]), outer_sources=["a"])
    inner, outer = 3, 1
    assert bags == [2] * (inner + outer)
    assert averaged == [1, 2] * (inner + outer)     # each count scored from its first bags
    monkeypatch.setattr(N, "fit_stage2_bags", real_fit)
    monkeypatch.setattr(N, "average_trees", real_avg)
    for k, name in zip((1, 2), both["candidates"]):
        alone = N.nested_evaluate(docs, N.parse_grid([f"stage2_bags={k}", "stage2_trees=5"]), outer_sources=["a"])
        assert alone["candidates"] == [name]
        assert alone["folds"]["a"]["inner"][name] == both["folds"]["a"]["inner"][name]
        assert alone["folds"]["a"]["outer"][name] == both["folds"]["a"]["outer"][name]


def test_an_outer_fold_trains_on_its_documents_in_train_s_order(monkeypatch):
    """The outer fit is train()'s on the same documents: same order (``training_order``),
    so the shipped candidate's outer score is what ``unboil evaluate`` measures."""
    from training.train import training_order
    docs = _docs(5)
    seen = []
    real = N.fit_stage1_oof

    def spy(train_docs, **kw):
        seen.append([d.doc_id for d in train_docs])
        return real(train_docs, **kw)

    monkeypatch.setattr(N, "fit_stage1_oof", spy)
    N.nested_evaluate(docs[::-1], N.parse_grid(["stage2_trees=5"]), outer_sources=["a"], seed=2)
    assert seen == [[d.doc_id for d in training_order([d for d in docs if d.source != "a"], 2)]]


def _report(seed, inner_by_outer, candidates=None):
    """A nested report by hand: {outer: {name: inner mean}} (outer F1 = inner mean + 0.01)."""
    names = candidates or list(next(iter(inner_by_outer.values())))
    return {"candidates": names, "seed": seed,
            "folds": {o: {"inner": {n: {"mean": m} for n, m in by.items()},
                          "outer": {n: {"f1": m + 0.01} for n, m in by.items()},
                          "chosen": max(by, key=by.get)} for o, by in inner_by_outer.items()}}


SHIPPED = N.candidate_name(N._defaults())
FOUR = N.candidate_name(N.parse_candidate("stage2_bags=4"))


def test_seeds_combine_into_paired_differences_with_the_shipped_baseline():
    # seed 0 in one file per fold, seed 1 in one file; the baseline is the shipped setting
    reports = [_report(0, {"x": {FOUR: 0.90, SHIPPED: 0.89}}), _report(0, {"y": {FOUR: 0.80, SHIPPED: 0.82}}),
               _report(1, {"x": {FOUR: 0.95, SHIPPED: 0.91}, "y": {FOUR: 0.85, SHIPPED: 0.85}})]
    s = N.combine_seeds(reports)
    assert s["baseline"] == SHIPPED and s["seeds"] == [0, 1] and s["outers"] == ["x", "y"]
    assert s["inner"][FOUR] == pytest.approx({0: 0.85, 1: 0.90})
    assert s["inner"][SHIPPED] == pytest.approx({0: 0.855, 1: 0.88})
    assert s["diff"][FOUR] == pytest.approx({0: -0.005, 1: 0.02})
    assert s["fold_diff"][FOUR][0] == pytest.approx({"x": 0.01, "y": -0.02})
    assert s["mean_diff"][FOUR] == pytest.approx(0.0075)
    assert s["sd_diff"][FOUR] == pytest.approx(np.std([-0.005, 0.02], ddof=1))
    assert s["mean_diff"][SHIPPED] == 0.0
    assert s["outer"][FOUR] == pytest.approx({0: 0.86, 1: 0.91})
    text = N.format_seeds(s)
    row = next(l for l in text.splitlines() if l.startswith("| stage2_bags=4 |"))
    assert "0.8500 / 0.9000" in row and "-0.0050 / +0.0200" in row and "+0.0075" in row and "| 2/4 |" in row
    assert "| stage2_bags=2 (baseline) |" in text
    assert "| 0 | +0.0100 | -0.0200 | -0.0050 |" in text        # per fold, seed 0
    # another baseline: the differences change sign
    assert N.combine_seeds(reports, FOUR)["mean_diff"][SHIPPED] == pytest.approx(-0.0075)


def test_seeds_combine_over_chosen_inner_sources_only():
    # each fold's inner scores per source: the statistic over "a" and "b" ignores "c" (and the
    # report's own all-source mean); a fold where neither was an inner source is refused
    def rep(seed, by_outer):
        return {"candidates": [SHIPPED, FOUR], "seed": seed,
                "folds": {o: {"inner": {n: {**sc, "mean": 0.5} for n, sc in by.items()},
                              "outer": {n: {"f1": 0.9} for n in by}, "chosen": SHIPPED} for o, by in by_outer.items()}}
    reports = [rep(0, {"a": {SHIPPED: {"b": 0.8, "c": 0.9}, FOUR: {"b": 0.84, "c": 0.1}},
                       "c": {SHIPPED: {"a": 0.6, "b": 0.7}, FOUR: {"a": 0.7, "b": 0.7}}})]
    s = N.combine_seeds(reports, sources=["a", "b"])
    assert s["sources"] == ["a", "b"]
    assert s["fold_diff"][FOUR][0] == pytest.approx({"a": 0.04, "c": 0.05})
    assert s["inner"][SHIPPED][0] == pytest.approx((0.8 + 0.65) / 2)
    assert s["mean_diff"][FOUR] == pytest.approx(0.045)
    assert "inner mean over a, b," in N.format_seeds(s)
    assert N.combine_seeds(reports)["mean_diff"][FOUR] == 0.0       # all sources: the reports' own means
    assert "over every inner source" in N.format_seeds(N.combine_seeds(reports))
    with pytest.raises(ValueError, match="none of the sources d"):
        N.combine_seeds(reports, sources=["d"])


def test_without_the_shipped_setting_the_first_candidate_is_the_baseline():
    a, b = N.candidate_name(N.parse_candidate("switch_cost=1")), N.candidate_name(N.parse_candidate("switch_cost=2"))
    s = N.combine_seeds([_report(5, {"x": {a: 0.5, b: 0.6}})])
    assert s["baseline"] == a and s["mean_diff"][b] == pytest.approx(0.1) and s["sd_diff"][b] is None
    assert "| +0.1000 | n/a |" in N.format_seeds(s)
    assert N.short_names([a, b]) == {a: "switch_cost=1.0", b: "switch_cost=2.0"}
    assert N.short_names([SHIPPED]) == {SHIPPED: "shipped"}
    # a report from another script may name a candidate freely: kept as it is, not a traceback
    assert N.short_names([SHIPPED, "views", "a=b c"]) == {SHIPPED: "shipped", "views": "views", "a=b c": "a=b c"}


@pytest.mark.parametrize("reports, message", [
    ([], "no nested reports"),
    ([{"candidates": [SHIPPED], "folds": {}}], "with its seed"),
    ([_report(0, {"x": {SHIPPED: 0.9}}), _report(0, {"x": {SHIPPED: 0.8}})], "given twice"),
    ([_report(0, {"x": {SHIPPED: 0.9}}), _report(1, {"y": {SHIPPED: 0.8}})], "different outer folds"),
    ([_report(0, {"x": {SHIPPED: 0.9}}), _report(1, {"x": {FOUR: 0.8}})], "other candidates"),
])
def test_reports_that_cannot_be_paired_are_refused(reports, message):
    with pytest.raises(ValueError, match=message):
        N.combine_seeds(reports)


def test_an_unknown_baseline_is_refused():
    with pytest.raises(ValueError, match="not among"):
        N.combine_seeds([_report(0, {"x": {SHIPPED: 0.9}})], FOUR)


def test_reports_from_before_a_decode_key_was_added_combine_with_today_s_names():
    # a report written before retry_threshold and reentry_cost existed names its candidates without
    # them; read with their "off" values (what that code did), it pairs with today's names
    def older(name):
        return " ".join(item for item in name.split() if item.partition("=")[0] not in N.ADDED_KEYS)
    old_shipped, old_four = older(SHIPPED), older(FOUR)
    assert old_shipped != SHIPPED and N.current_name(old_shipped) == SHIPPED
    assert N.current_name(SHIPPED) == SHIPPED
    assert N.current_name("foo=1 threshold=0.5") == "foo=1 threshold=0.5"      # not a report name: as is
    old = _report(0, {"x": {old_four: 0.90, old_shipped: 0.89}})
    new = _report(1, {"x": {FOUR: 0.93, SHIPPED: 0.91}})
    s = N.combine_seeds([old, new], baseline=SHIPPED)
    assert s["candidates"] == [FOUR, SHIPPED] and s["diff"][FOUR] == pytest.approx({0: 0.01, 1: 0.02})
    # a candidate that differs from today's defaults in an added key is still told apart
    retry = N.candidate_name(N.parse_candidate("retry_threshold=0.5"))
    assert N.combine_seeds([_report(0, {"x": {old_shipped: 0.9, retry: 0.8}})])["diff"][retry][0] == pytest.approx(-0.1)


def test_a_feature_version_with_more_columns_trains_and_scores_its_stage_2_on_them(monkeypatch):
    """Version 7 has three more context columns than version 2: its stage-2 fits (inner and
    outer) get them, version 2's do not, and both share one stage 1."""
    docs = _docs(5)
    widths = []
    real_fit = N.fit_stage2_bags

    def spy_fit(ctx, y, w, **kw):
        widths.append((ctx[0].shape[1], tuple(kw["names"][-3:])))
        return real_fit(ctx, y, w, **kw)

    monkeypatch.setattr(N, "fit_stage2_bags", spy_fit)
    report = N.nested_evaluate(docs, N.parse_grid(["feature_version=2,7", "stage2_trees=5"]), outer_sources=["a"])
    n2 = len(N.F.context_names(2)) - 1                    # the default mode: no convention column
    assert sorted(set(widths)) == sorted({(n2, tuple(N.F.context_names(2)[-4:-1])),
                                          (n2 + 3, tuple(N.F.TEXTURE_NAMES))})
    assert len(widths) == 2 * (3 + 1)                    # per version: 3 inner fits, 1 outer
    assert len(report["folds"]["a"]["outer"]) == 2
