"""The headline search (inference/headline.py) and its place in the decode (keep_mask)."""
import numpy as np
import pytest

from inference.headline import HEADLINE_OVERLAP, find_headline
from inference.model import Model, keep_mask

ARTICLE = [
    "Home",
    "Sport",
    "Rain delays the tram line opening again",                 # another story's teaser
    "Council approves new harbour bridge after decade of delays",   # the headline
    "By Anna Becker",
    "The city council approved the new harbour bridge on Monday, ending a decade of delays "
    "over its cost and route.",
    "Construction of the bridge starts in spring, the council said.",
    "Read more",
]
KEEP = np.array([False, False, False, False, False, True, True, False])


def test_the_line_that_repeats_the_articles_words_is_the_headline():
    assert find_headline(ARTICLE, KEEP) == 3


def test_a_teaser_that_shares_too_few_words_is_not_taken():
    lines = ARTICLE[:3] + ["Weather: storms expected across the coast tonight"] + ARTICLE[4:]
    assert find_headline(lines, KEEP) is None


def test_only_lines_close_above_the_article_are_searched_and_blank_lines_do_not_count():
    assert find_headline(ARTICLE, KEEP, max_lines=1) is None          # only the byline
    assert find_headline(ARTICLE, KEEP, max_lines=2) == 3
    spaced = ARTICLE[:4] + ["", "", ""] + ARTICLE[4:]
    keep = np.array([False] * 7 + list(KEEP[4:]))
    assert find_headline(spaced, keep, max_lines=2) == 3
    assert find_headline(ARTICLE, KEEP, max_lines=0) is None


def test_long_sentences_and_one_word_lines_are_not_headlines():
    caption = ("The council approved the new harbour bridge on Monday after a decade of delays "
               "over its cost.")                     # > 12 words and a full stop: a caption
    lines = ARTICLE[:3] + [caption] + ARTICLE[4:]
    assert find_headline(lines, KEEP) is None
    lines = ARTICLE[:3] + ["Bridge"] + ARTICLE[4:]
    assert find_headline(lines, KEEP) is None


def test_nothing_to_search_when_nothing_is_kept_or_the_article_starts_the_page():
    assert find_headline(ARTICLE, np.zeros(len(ARTICLE), dtype=bool)) is None
    assert find_headline(ARTICLE[3:], KEEP[3:] | (np.arange(5) == 0)) is None
    assert find_headline([], np.zeros(0, dtype=bool)) is None


def test_the_share_must_reach_the_floor():
    # 2 of 5 topic words ("harbour", "bridge") recur: 0.4, just at the floor
    line = "Harbour bridge: mayor praises volunteers"
    lines = ARTICLE[:3] + [line] + ARTICLE[4:]
    assert HEADLINE_OVERLAP == 0.4 and find_headline(lines, KEEP) == 3
    lines[3] = "Harbour views: mayor praises volunteers"   # 1 of 5
    assert find_headline(lines, KEEP) is None


def test_keep_mask_adds_the_headline_unless_the_search_is_off_or_the_page_is_kept_whole():
    probs = np.array([0.9, 0.9, 0.9, 0.8, 0.7, 0.05, 0.1, 0.95])
    with_head = keep_mask(ARTICLE, probs, 0.5, 0, 0.5, 10)
    without = keep_mask(ARTICLE, probs, 0.5, 0, 0.5, 0)
    assert without.tolist() == KEEP.tolist()
    assert with_head.tolist() == (KEEP | (np.arange(8) == 3)).tolist()
    # too little article and prose dropped: the page fallback keeps every line
    assert keep_mask(ARTICLE, probs, 0.5, 10_000, 0.5, 10, 0).all()
    # too little article but nothing like a sentence dropped: a short article, headline added
    assert keep_mask(ARTICLE, probs, 0.5, 10_000, 0.5, 10, 300).tolist() == with_head.tolist()


def test_a_model_file_without_the_setting_does_not_search(seed_model):
    assert seed_model.headline_lines == 10
    old = Model(seed_model.arrays, {k: v for k, v in seed_model.header.items() if k != "headline_lines"})
    assert old.headline_lines == 0
    text = "\n".join(ARTICLE)
    probs = old.predict_proba([text])[0]
    assert [r.is_content for r in old.classify(text, min_chars=0)] == keep_mask(
        ARTICLE, probs, old.threshold, 0, old.switch_cost, 0).tolist()
    assert [r.is_content for r in seed_model.classify(text, min_chars=0)] == keep_mask(
        ARTICLE, probs, seed_model.threshold, 0, seed_model.switch_cost, 10).tolist()
