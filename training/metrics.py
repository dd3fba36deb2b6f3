"""Text-level scores of extracted main text against a gold text.

Shingle F1: both texts are cut into lowercased ``\\w+`` tokens and then into
overlapping 4-token shingles (multisets, so a repeated passage counts as often
as it occurs). Per page, tp/fp/fn are the shared, only-predicted and only-gold
shingles; precision and recall are averaged over pages and F1 is taken from
the two averages.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

__all__ = ["SHINGLE_SIZE", "shingles", "shingle_prf", "shingle_scores"]

SHINGLE_SIZE = 4
_WORD = re.compile(r"\w+")


def shingles(text: str, n: int = SHINGLE_SIZE) -> Counter:
    """Multiset of n-token shingles; a text shorter than n tokens is one shingle."""
    tokens = _WORD.findall(text.lower())
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def shingle_prf(predicted_text: str, gold_text: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of one page's predicted text against its gold text.

    Both empty: (1, 1, 1). Nothing predicted for a non-empty gold, or something
    predicted for an empty gold: precision and recall 0 (an empty output is not
    rewarded with a perfect precision).
    """
    pred, gold = shingles(predicted_text), shingles(gold_text)
    if not pred and not gold:
        return 1.0, 1.0, 1.0
    if not pred or not gold:
        return 0.0, 0.0, 0.0
    tp = sum((pred & gold).values())
    fp = sum(pred.values()) - tp
    fn = sum(gold.values()) - tp
    # Normalised so that tp + fp + fn = 1: each page weighs the same whatever its length.
    total = tp + fp + fn
    tp, fp, fn = tp / total, fp / total, fn / total
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, _f1(p, r)


def shingle_scores(pairs: Iterable[tuple[str, str]]) -> dict:
    """Average over pages of (predicted_text, gold_text) pairs.

    Returns ``{"precision", "recall", "f1", "pages"}``; F1 is computed from the
    averaged precision and recall, not averaged itself.
    """
    ps, rs = [], []
    for predicted, gold in pairs:
        p, r, _ = shingle_prf(predicted, gold)
        ps.append(p)
        rs.append(r)
    if not ps:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0, "pages": 0}
    p, r = sum(ps) / len(ps), sum(rs) / len(rs)
    return {"precision": p, "recall": r, "f1": _f1(p, r), "pages": len(ps)}
