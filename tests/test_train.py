import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inference import features as F
from training.train import MAX_SOURCE_WEIGHT, cpu_kernels, source_weights, train


def test_same_seed_same_model(seed_docs, seed_model):
    again = train(seed_docs, seed=0)
    assert set(again.arrays) == set(seed_model.arrays)
    for name, a in seed_model.arrays.items():
        np.testing.assert_array_equal(again.arrays[name], a, err_msg=name)


def test_sources_weigh_about_equally_with_a_cap():
    w = source_weights(["big"] * 1000 + ["small"] * 10 + ["tiny"] * 1)
    assert abs(w[:1000].sum() - 337) < 1          # 1011 lines / 3 sources
    assert w[1000] == w[1009] and abs(w[1000:1010].sum() - 337) < 1
    assert w[-1] == MAX_SOURCE_WEIGHT             # 337 would swamp the rest: capped


def test_card_records_the_cpu_kernels_that_trained_the_model(seed_model):
    """numpy and OpenBLAS pick SIMD kernels at run time and those round differently, so a
    retrain on another kind of CPU differs; the card says which kernels were used."""
    cpu = seed_model.card["versions"]["cpu"]
    assert cpu["machine"] == platform.machine()
    assert cpu["blas"] and all(isinstance(b, str) for b in cpu["blas"])
    assert cpu["numpy_simd"] == cpu_kernels()["numpy_simd"]


def test_cpu_kernels_follow_what_numpy_and_openblas_were_told_to_use():
    here = cpu_kernels()
    if "X86_V4" not in here["numpy_simd"] or not any(b.startswith("openblas") for b in here["blas"]):
        pytest.skip("needs an AVX-512 x86-64 CPU and OpenBLAS to pin the kernels down to AVX2")
    code = "import scipy.linalg, json; from training.train import cpu_kernels; print(json.dumps(cpu_kernels()))"
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR", "OPENBLAS_CORETYPE": "Haswell"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    pinned = json.loads(out.stdout)
    assert "X86_V4" not in pinned["numpy_simd"] and "X86_V3" in pinned["numpy_simd"]
    assert all(b == "openblas Haswell" for b in pinned["blas"] if b.startswith("openblas"))


def test_card_records_data_parameters_and_versions(seed_model):
    card = seed_model.card
    assert card["data"]["seeds"]["documents"] == 2 and len(card["data"]["seeds"]["sha256"]) == 64
    assert card["parameters"]["seed"] == 0 and "scikit-learn" in card["versions"]
    assert seed_model.header["feature_version"] == F.FEATURE_VERSION
    # the seeds follow one content convention, so the model has no inclusive column
    assert seed_model.header["context_names"] == [n for n in F.context_names() if n != "inclusive"]
    assert card["parameters"]["inclusive_sources"] == ["cleaneval-dev", "cleaneval-final"]


def test_the_feature_version_trained_on_is_recorded_and_an_unknown_one_refused(seed_docs):
    model = train(seed_docs, seed=0, feature_version=1)
    assert model.header["feature_version"] == 1 and model.feature_version == 1
    for bad in (max(F.FEATURE_VERSIONS) + 1, True, "2"):
        with pytest.raises(ValueError, match="feature_version must be one of"):
            train(seed_docs, seed=0, feature_version=bad)


@pytest.mark.parametrize("kw, match", [
    ({"switch_cost": -1.0}, "switch_cost"), ({"switch_cost": float("inf")}, "switch_cost"),
    ({"threshold": 1.5}, "threshold"), ({"threshold": float("nan")}, "threshold"),
    ({"smoothing": True}, "smoothing"), ({"min_article_chars": 2.5}, "min_article_chars"),
    ({"min_article_chars": -1}, "min_article_chars"),
    ({"headline_lines": -1}, "headline_lines"), ({"headline_lines": 2.5}, "headline_lines"),
    ({"inclusive_threshold": -0.1}, "inclusive_threshold"), ({"inclusive_switch_cost": "1"}, "inclusive_switch_cost"),
])
def test_decode_settings_a_model_file_would_refuse_fail_before_training(seed_docs, kw, match):
    # refused up front, not after the training time is spent (load_model refuses them too)
    with pytest.raises(ValueError, match=match):
        train(seed_docs, seed=0, **kw)


def test_numpy_decode_settings_become_plain_header_numbers(seed_docs, tmp_path):
    from inference.model import load_model
    m = train(seed_docs, seed=0, switch_cost=np.float32(1.0), min_article_chars=np.int64(300))
    path = tmp_path / "m.npz"
    m.save(path)
    back = load_model(path)
    assert back.switch_cost == 1.0 and back.min_chars == 300


def test_default_stage2_weight_drops_only_the_inclusive_sources_comments():
    """CleanEval-convention content lines below a comment header after the core do not
    train the default trees; every other line keeps its weight."""
    from inference import features as F
    from training.train import default_stage2_weight
    names = F.context_names()
    ctx = np.zeros((6, len(names)))
    ctx[[1, 2, 4, 5], names.index("log_comment_headers_since_core")] = np.log(2)
    y = np.array([0, 0, 1, 0, 0, 1.0])              # 1 = boilerplate
    policy = np.array([1, 1, 1, 0, 0, 0.0])         # the first three lines are CleanEval's
    weight = np.arange(1.0, 7.0)
    w = default_stage2_weight(ctx, names, y, weight, policy)
    assert w.tolist() == [1.0, 0.0, 3.0, 4.0, 5.0, 6.0]       # only line 1: CleanEval, content, below
    assert weight.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]     # the input is not modified


def test_stage2_bags_average_their_ensembles_and_bag_0_is_the_single_ensemble():
    from inference.trees import bitvector_scores, compile_trees, tree_scores
    from training.train import average_trees, fit_stage2
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 4))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(size=3000) > 0).astype(float)
    x[:, 3] = rng.integers(0, 5, size=3000)                    # "log_words" column
    names = ["a", "b", "c", "log_words"]
    w = np.ones(3000)
    one = fit_stage2(x, y, w, trees=5, bags=1, max_lines=2000, names=names)
    two = fit_stage2(x, y, w, trees=5, bags=2, max_lines=2000, names=names)
    other = fit_stage2(x, y, w, seed=1, trees=5, bags=1, max_lines=2000, names=names)
    assert len(two["tree_roots"]) == 10
    np.testing.assert_allclose(tree_scores(x, two), (tree_scores(x, one) + tree_scores(x, other)) / 2,
                               atol=1e-12)
    # the merged arrays are an ordinary ensemble: both evaluators agree bit for bit
    np.testing.assert_array_equal(bitvector_scores(x, compile_trees(two)), tree_scores(x, two))
    assert average_trees([one]) is one
    # reproducible: the same seed gives the same arrays
    again = fit_stage2(x, y, w, trees=5, bags=2, max_lines=2000, names=names)
    assert all(np.array_equal(two[k], again[k]) for k in two)


def test_the_first_k_bags_of_a_larger_fit_are_the_fit_with_k_bags():
    """nested.py compares bag counts by fitting the largest only: that must be exact."""
    from training.train import average_trees, fit_stage2, fit_stage2_bags
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3000, 4))
    y = (x[:, 0] - x[:, 2] + rng.normal(size=3000) > 0).astype(float)
    x[:, 3] = rng.integers(0, 5, size=3000)
    names = ["a", "b", "c", "log_words"]
    parts = fit_stage2_bags(x, y, np.ones(3000), seed=7, trees=5, bags=3, max_lines=2000, names=names)
    assert len(parts) == 3
    for k in (1, 2, 3):
        direct = fit_stage2(x, y, np.ones(3000), seed=7, trees=5, bags=k, max_lines=2000, names=names)
        merged = average_trees(parts[:k])
        assert direct.keys() == merged.keys()
        assert all(np.array_equal(direct[key], merged[key]) for key in direct)
    assert not np.array_equal(parts[0]["tree_value"], parts[1]["tree_value"])    # each bag its own sample


def test_a_bag_whose_exported_trees_disagree_with_scikit_learn_is_refused(monkeypatch):
    """A scikit-learn whose tree layout export_trees misreads must stop training, not ship wrong scores."""
    import training.train as T
    rng = np.random.default_rng(3)
    x = rng.normal(size=(500, 4))
    y = (x[:, 0] > 0).astype(float)
    x[:, 3] = rng.integers(0, 5, size=500)
    real = T.export_trees

    def misread(clf):
        arrays = real(clf)
        return dict(arrays, tree_value=arrays["tree_value"] * 1.5)

    monkeypatch.setattr(T, "export_trees", misread)
    with pytest.raises(RuntimeError, match="disagree with scikit-learn"):
        T.fit_stage2_bags(x, y, np.ones(500), trees=3, bags=1, names=["a", "b", "c", "log_words"])


def test_stage2_bags_take_turns_over_the_groupings_they_are_given():
    """With one context per grouping of stage 1's folds, bag b learns from grouping b % n:
    two bags over two groupings are bag 0 on the first and bag 1 (seed + 1) on the second."""
    from inference.trees import tree_scores
    from training.train import fit_stage2
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3000, 4))
    y = (x[:, 0] + rng.normal(size=3000) > 0).astype(float)
    x[:, 3] = rng.integers(0, 5, size=3000)
    x2 = x.copy()
    x2[:, 0] += rng.normal(scale=0.5, size=3000)       # another grouping's stage-1 scores
    w, w2 = np.ones(3000), rng.uniform(0.5, 2.0, size=3000)
    names = ["a", "b", "c", "log_words"]
    both = fit_stage2([x, x2], y, [w, w2], trees=5, bags=2, max_lines=2000, names=names)
    first = fit_stage2(x, y, w, trees=5, bags=1, max_lines=2000, names=names)
    second = fit_stage2(x2, y, w2, seed=1, trees=5, bags=1, max_lines=2000, names=names)
    np.testing.assert_allclose(tree_scores(x, both), (tree_scores(x, first) + tree_scores(x, second)) / 2,
                               atol=1e-12)
    # a list of one is the plain call
    one = fit_stage2([x], y, [w], trees=5, bags=2, max_lines=2000, names=names)
    plain = fit_stage2(x, y, w, trees=5, bags=2, max_lines=2000, names=names)
    assert all(np.array_equal(one[k], plain[k]) for k in plain)
    with pytest.raises(ValueError, match="2 context matrices but 1 weight"):
        fit_stage2([x, x2], y, [w], trees=5, bags=2, names=names)


def test_more_groupings_of_stage1_folds(seed_docs):
    """Grouping d shuffles the folds with seed + d: other folds, other out-of-fold scores."""
    import dataclasses
    from training.train import fit_stage1_oof, more_stage1_oof
    # 6 documents of one source: folds by document
    docs = [dataclasses.replace(d, doc_id=f"{d.doc_id}#{k}") for k, d in enumerate(seed_docs * 3)]
    _, oof, design, y, weight = fit_stage1_oof(docs, seed=0, n_folds=3)
    assert more_stage1_oof(docs, design, y, weight, seed=0, n_folds=3, draws=1) == []
    (other,) = more_stage1_oof(docs, design, y, weight, seed=0, n_folds=3, draws=2)
    assert other.shape == oof.shape and not np.array_equal(other, oof)
    # grouping 1 of seed 0 is grouping 0 of seed 1
    np.testing.assert_array_equal(other, fit_stage1_oof(docs, seed=1, n_folds=3)[1])


@pytest.mark.parametrize("draws", [0, 1.5, True])
def test_stage1_draws_must_be_a_whole_number_of_at_least_one(seed_docs, draws):
    with pytest.raises(ValueError, match="stage1_draws"):
        train(seed_docs, seed=0, stage1_draws=draws)


def test_stage1_draws_is_recorded_and_leaves_stage1_alone(seed_docs, seed_model):
    two = train(seed_docs, seed=0, stage1_draws=2)
    assert two.card["parameters"]["stage1_draws"] == 2 and seed_model.card["parameters"]["stage1_draws"] == 1
    for name in ("idf_word", "idf_char", "coef_word", "coef_char", "intercept1"):
        np.testing.assert_array_equal(two.arrays[name], seed_model.arrays[name], err_msg=name)


@pytest.mark.parametrize("tol", [0, -1e-4, float("nan"), float("inf"), True, "1e-4"])
def test_stage1_tol_must_be_a_positive_number(seed_docs, tol):
    with pytest.raises(ValueError, match="stage1_tol"):
        train(seed_docs, seed=0, stage1_tol=tol)


def test_stage1_tol_reaches_every_stage1_fit_and_is_recorded(seed_docs, seed_model, monkeypatch):
    import training.train as T
    tols, real = [], T._logreg

    def spy(C, seed, tol=T.STAGE1_TOL):
        tols.append(tol)
        return real(C, seed, tol)

    monkeypatch.setattr(T, "_logreg", spy)
    tight = train(seed_docs, seed=0, stage1_tol=1e-8)
    assert tols and set(tols) == {1e-8}          # the out-of-fold fits and the final one
    assert tight.card["parameters"]["stage1_tol"] == 1e-8
    assert seed_model.card["parameters"]["stage1_tol"] == T.STAGE1_TOL
    # L-BFGS runs on past the default's stopping point, so stage 1 lands elsewhere
    assert not np.array_equal(tight.arrays["coef_char"], seed_model.arrays["coef_char"])


def test_stage2_word_weight_is_checked_recorded_and_moves_only_stage2(seed_docs, seed_model):
    with pytest.raises(ValueError, match="stage2_word_weight"):
        train(seed_docs, seed=0, stage2_word_weight="cubic")
    sq = train(seed_docs, seed=0, stage2_word_weight="sqrt")
    assert sq.card["parameters"]["stage2_word_weight"] == "sqrt"
    assert seed_model.card["parameters"]["stage2_word_weight"] == "log"
    np.testing.assert_array_equal(sq.arrays["coef_char"], seed_model.arrays["coef_char"])
    assert not all(np.array_equal(sq.arrays[k], seed_model.arrays[k])
                   for k in seed_model.arrays if k.startswith("tree_"))


def test_stage2_word_weights_scale_with_words():
    from training.train import _word_factor
    words = np.array([0.0, 1.0, 9.0, 99.0])
    lw = np.log1p(words)
    np.testing.assert_allclose(_word_factor(lw, "log"), 1.0 + lw)
    np.testing.assert_allclose(_word_factor(lw, "sqrt"), np.sqrt(1.0 + words))
    np.testing.assert_allclose(_word_factor(lw, "linear"), 1.0 + words)


def _four_sources():
    from test_inclusive import synthetic_docs
    return synthetic_docs(seed=5, per_source=4, sources=[(src, False) for src in "abcd"])


def test_the_order_of_the_documents_does_not_change_the_model():
    """Which lines stage 2 samples and which documents share a stage-1 fold follow the
    order training reads the documents in; train() fixes that order from the documents
    and the seed, so label folders given in another order train the same model."""
    from training.train import training_order
    docs = _four_sources()
    shuffled = list(docs)
    np.random.default_rng(1).shuffle(shuffled)
    assert [d.doc_id for d in training_order(shuffled, 3)] == [d.doc_id for d in training_order(docs, 3)]
    assert [d.doc_id for d in training_order(docs, 3)] != [d.doc_id for d in training_order(docs, 4)]
    a, b = train(docs, seed=0), train(shuffled[::-1], seed=0)
    for name, arr in a.arrays.items():
        np.testing.assert_array_equal(b.arrays[name], arr, err_msg=name)
    assert a.card["data"] == b.card["data"]


def test_a_seed_out_of_range_is_refused_before_training(seed_docs):
    for bad in (-1, 2 ** 32, 1.5, True, "0"):
        with pytest.raises(ValueError, match="seed must be a whole number"):
            train(seed_docs, seed=bad)


def test_evaluation_does_not_depend_on_the_order_of_the_documents():
    """``unboil evaluate --scheme doc``'s out-of-fold predictions per document are the same
    whatever order the documents come in: GroupKFold draws the folds from the sorted ids, and
    every fold's train() puts its documents in ``training_order``. (Without it, these
    predictions differ; leave-one-source-out folds are sources, so train()'s own test covers them.)"""
    from training.evaluate import cross_val_predict
    docs = _four_sources()
    shuffled = list(docs)
    np.random.default_rng(2).shuffle(shuffled)
    a = dict(zip((d.doc_id for d in docs), cross_val_predict(docs, "doc", n_splits=4)))
    b = dict(zip((d.doc_id for d in shuffled), cross_val_predict(shuffled, "doc", n_splits=4)))
    for doc_id, p in a.items():
        np.testing.assert_array_equal(b[doc_id], p, err_msg=doc_id)


@pytest.mark.parametrize("version", sorted(F.EXTRA_NAMES))
def test_a_model_of_a_version_with_more_columns_learns_them_and_scores_the_same_saved_and_batched(
        seed_docs, tmp_path, version):
    from inference.model import Model, ModelFileError, load_model
    m = train(seed_docs, seed=0, feature_version=version)
    assert m.header["context_names"] == [n for n in F.context_names(version) if n != "inclusive"]
    extra = list(F.EXTRA_NAMES[version])
    assert m.header["context_names"][-3:] == extra
    path = tmp_path / "v.npz"
    m.save(path)
    back = load_model(path)
    pages = [d.lines for d in seed_docs]
    together = back.predict_proba(pages)
    for page, p in zip(pages, together):
        np.testing.assert_array_equal(back.predict_proba([page])[0], p)
        assert len(p) == len(page)
    np.testing.assert_array_equal(np.concatenate(m.predict_proba(pages)), np.concatenate(together))
    # a version-2 header cannot name the other version's columns: refused, not misread
    Model(dict(m.arrays), dict(m.header, feature_version=2)).save(tmp_path / "bad.npz")
    with pytest.raises(ModelFileError, match=f"does not compute for feature version 2 .*{extra[0]}"):
        load_model(tmp_path / "bad.npz")
