"""training.metrics: shingle precision/recall/F1."""
from __future__ import annotations

import pytest

from training.metrics import shingle_prf, shingle_scores, shingles


def test_shingles_are_lowercased_word_4grams_with_multiplicity():
    s = shingles("A b, c d! a B c d")
    assert s[("a", "b", "c", "d")] == 2
    assert sum(s.values()) == 5


def test_short_text_is_one_shingle():
    assert shingles("two words") == {("two", "words"): 1}
    assert not shingles(" ... ")


def test_identical_texts_score_one():
    text = "The quick brown fox jumps over the lazy dog."
    assert shingle_prf(text, text.upper()) == (1.0, 1.0, 1.0)


def test_disjoint_texts_score_zero():
    assert shingle_prf("one two three four five", "six seven eight nine ten") == (0.0, 0.0, 0.0)


def test_extra_text_costs_precision_missing_text_costs_recall():
    gold = "a b c d"
    p, r, f = shingle_prf("a b c d e", gold)  # shingles abcd, bcde: tp 1, fp 1
    assert (p, r) == (0.5, 1.0)
    assert f == pytest.approx(2 / 3)
    p, r, _ = shingle_prf("a b c d", "a b c d e")
    assert (p, r) == (1.0, 0.5)


def test_empty_cases():
    assert shingle_prf("", "") == (1.0, 1.0, 1.0)
    assert shingle_prf("", "some gold text here") == (0.0, 0.0, 0.0)
    assert shingle_prf("some output text here", "") == (0.0, 0.0, 0.0)


def test_scores_average_precision_and_recall_then_take_f1():
    pairs = [("a b c d", "a b c d"),        # p 1,   r 1
             ("a b c d e", "a b c d")]      # p 0.5, r 1
    s = shingle_scores(pairs)
    assert s["precision"] == pytest.approx(0.75)
    assert s["recall"] == pytest.approx(1.0)
    assert s["f1"] == pytest.approx(2 * 0.75 / 1.75)
    assert s["pages"] == 2


def test_pages_weigh_the_same_whatever_their_length():
    long_gold = " ".join(f"w{i}" for i in range(1000))
    pairs = [(long_gold, long_gold), ("x y z q", "a b c d")]
    assert shingle_scores(pairs)["precision"] == pytest.approx(0.5)


def test_no_pages():
    assert shingle_scores([]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "pages": 0}
