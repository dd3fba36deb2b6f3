"""Evaluate a boosted tree ensemble stored as plain arrays (no pickle, no scikit-learn).

The optional stage-2 tree ensemble is kept as flat node arrays over all trees:
``tree_feature`` (-1 marks a leaf), ``tree_threshold`` (go left when x <= threshold),
``tree_left``/``tree_right`` (absolute node indices), ``tree_value`` (leaf values,
learning rate already applied), ``tree_roots`` (each tree's root) and
``tree_baseline``. The raw score is ``baseline + sum of the reached leaves``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["TREE_ARRAYS", "tree_scores"]

TREE_ARRAYS = ("tree_feature", "tree_threshold", "tree_left", "tree_right", "tree_value",
               "tree_roots", "tree_baseline")


def tree_scores(x: np.ndarray, a: dict) -> np.ndarray:
    """Raw (logit) scores of the ensemble for the rows of ``x``."""
    feature, threshold = a["tree_feature"], a["tree_threshold"]
    left, right, value = a["tree_left"], a["tree_right"], a["tree_value"]
    out = np.full(len(x), float(a["tree_baseline"][0]))
    rows = np.arange(len(x))
    for root in a["tree_roots"]:
        node = np.full(len(x), root, dtype=np.int64)
        active = rows
        while len(active):
            f = feature[node[active]]
            inner = f >= 0
            active = active[inner]
            if not len(active):
                break
            n = node[active]
            go_left = x[active, feature[n]] <= threshold[n]
            node[active] = np.where(go_left, left[n], right[n])
        out += value[node]
    return out
