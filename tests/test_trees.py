"""The two tree evaluators (lock-step and bitvector) give bit-identical scores."""
import numpy as np
import pytest

from inference import load_model
from inference.trees import bitvector_scores, compile_trees, tree_scores


def _inputs(n_features, rows=3000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, n_features)) * 3
    x[::11, 0] = np.nan                       # missing values go right in both
    return x


def _with_threshold_ties(x, a):
    # rows that sit exactly on split thresholds: "x <= threshold" goes left in both
    split = np.flatnonzero(a["tree_feature"] >= 0)[:200]
    x = x.copy()
    x[: len(split), :] = 0.0
    x[np.arange(len(split)), a["tree_feature"][split]] = a["tree_threshold"][split]
    return x


@pytest.mark.parametrize("which", ["bundled", "seed"])
def test_bitvector_scores_equal_lockstep_scores(which, seed_model):
    a = load_model().arrays if which == "bundled" else seed_model.arrays
    compiled = compile_trees(a)
    assert compiled is not None
    n_features = int(a["tree_feature"].max()) + 1
    x = _with_threshold_ties(_inputs(n_features), a)
    np.testing.assert_array_equal(bitvector_scores(x, compiled), tree_scores(x, a))


def test_model_predictions_use_the_same_scores_either_way(seed_model):
    from inference import features as F
    lines = ["Home", "A sentence of the article, with words.", "Read more", "Another paragraph here."]
    s1, shape, marks = seed_model.stage1_scores(lines)
    ctx = F.context_matrix(s1, shape, F.doc_offsets([len(lines)]), marks)
    np.testing.assert_array_equal(seed_model._tree_scores(ctx), tree_scores(ctx, seed_model.arrays))


def _stump_forest(n_leaves_first_tree):
    """One tree: a left-leaning chain with ``n_leaves_first_tree`` leaves."""
    feature, threshold, left, right, value = [], [], [], [], []
    n_splits = n_leaves_first_tree - 1
    for i in range(n_splits):
        feature.append(0)
        threshold.append(float(i))
        left.append(i + 1 if i + 1 < n_splits else n_splits + i + 1)
        right.append(n_splits + i)
        value.append(0.0)
    for j in range(n_leaves_first_tree):
        node = n_splits + j
        feature.append(-1)
        threshold.append(0.0)
        left.append(node)
        right.append(node)
        value.append(float(j))
    # leaves are nodes n_splits .. 2 * n_splits; the last split's left child is the last leaf
    left[n_splits - 1] = 2 * n_splits
    return {"tree_feature": np.array(feature), "tree_threshold": np.array(threshold),
            "tree_left": np.array(left), "tree_right": np.array(right),
            "tree_value": np.array(value), "tree_roots": np.array([0]),
            "tree_baseline": np.array([0.5]), "tree_depth": np.array([n_splits])}


def test_a_small_handmade_tree_compiles_and_agrees():
    a = _stump_forest(5)
    x = np.linspace(-1, 5, 50)[:, None]
    compiled = compile_trees(a)
    assert compiled is not None
    np.testing.assert_array_equal(bitvector_scores(x, compiled), tree_scores(x, a))


def test_trees_with_more_than_32_leaves_fall_back_to_lockstep():
    assert compile_trees(_stump_forest(33)) is None


def test_a_node_reached_twice_is_not_compiled():
    a = _stump_forest(5)
    a["tree_right"] = a["tree_right"].copy()
    a["tree_right"][1] = 0                       # a cycle back to the root
    assert compile_trees(a) is None


def test_rows_past_one_search_chunk_and_one_block_agree(seed_model):
    # more rows than one binary-search chunk, ending in a partial block of rows
    from inference import trees
    a = seed_model.arrays
    n_features = int(a["tree_feature"].max()) + 1
    x = _inputs(n_features, rows=trees._SEARCH_ROWS + trees._BITVECTOR_ROWS + 7, seed=3)
    np.testing.assert_array_equal(bitvector_scores(x, compile_trees(a)), tree_scores(x, a))


def test_equal_thresholds_of_a_feature_are_kept_once():
    from inference import features as F
    a = load_model().arrays
    compiled = compile_trees(a)
    f = F.context_names().index("ends_terminal")       # a 0/1 feature: every split is at 0.5
    assert (a["tree_feature"] == f).sum() > 1
    j = compiled.features.index(f)
    assert len(compiled.thresholds[j]) == 1 and len(compiled.masks[j]) == 2
    for t, m in zip(compiled.thresholds, compiled.masks):
        assert np.all(np.diff(t) > 0) and len(m) == len(t) + 1
