"""training.breakdown: every wrong line gets one kind, and a kind's share of a page is
its words over the page's kept words (kept kinds) or content words (dropped kinds)."""
from __future__ import annotations

import numpy as np
import pytest

from training.breakdown import KEPT_WHOLE, KINDS, breakdown, decode, line_kinds, line_shares, page_shares
from training.labels import BOILERPLATE as B, CONTENT as C, Document

PARA1 = "The council approved the new budget on Tuesday after a long debate."    # 12 words
PARA2 = "Schools and roads get most of the money, the mayor said."                 # 11 words
PAGE = [  # (line, label)
    ("Home | News | Sport", B),                          # 3 words, before the article
    ("Budget passes", C),                                # 2
    (PARA1, C),
    ("Photo: City Hall", B),                             # 3, inside
    (PARA2, C),
    ("", B),                                             # blank: never an error
    ("Great article, thanks for writing it!", B),        # 6, after: a sentence
    ("Share this", B),                                   # 2, after: another line
]


def _doc(rows=PAGE, doc_id="news/1", source="news") -> Document:
    return Document(doc_id=doc_id, source=source, lines=[r[0] for r in rows], labels=[r[1] for r in rows])


def test_each_wrong_line_gets_the_kind_its_place_and_shape_say():
    keep = np.array([1, 1, 1, 1, 0, 1, 1, 0], dtype=bool)
    assert line_kinds(_doc(), keep) == [
        "kept: before the article", None, None, "kept: inside the article", "dropped: sentence", None,
        "kept: after the article, sentence", None]
    keep = np.array([0, 0, 1, 0, 1, 0, 0, 1], dtype=bool)     # headline dropped, "Share this" kept
    assert line_kinds(_doc(), keep) == [
        None, "dropped: other line", None, None, None, None, None, "kept: after the article, other"]


def test_shares_are_words_over_the_page_kept_or_content_words():
    keep = np.array([1, 1, 1, 1, 0, 1, 1, 0], dtype=bool)
    kept_words, content_words = 3 + 2 + 12 + 3 + 6, 2 + 12 + 11
    shares = page_shares(_doc(), keep)
    assert set(shares) == set(KINDS)
    assert shares["kept: before the article"] == pytest.approx(3 / kept_words)
    assert shares["kept: inside the article"] == pytest.approx(3 / kept_words)
    assert shares["kept: after the article, sentence"] == pytest.approx(6 / kept_words)
    assert shares["dropped: sentence"] == pytest.approx(11 / content_words)
    assert shares["kept: after the article, other"] == shares["dropped: article missed"] == 0
    # per line, the same numbers
    hits = line_shares(_doc(), keep)
    assert hits[4] == ("dropped: sentence", pytest.approx(11 / content_words)) and hits[1] is None


@pytest.mark.parametrize("seed", range(5))
def test_kept_kinds_add_up_to_the_word_precision_loss_and_dropped_to_the_recall_loss(seed):
    rng = np.random.default_rng(seed)
    doc = _doc()
    keep = rng.random(len(doc.lines)) < 0.6
    keep[2] = True                                       # the article is found (not a missed page)
    shares = page_shares(doc, keep)
    words = np.array([len(l.replace(",", " ").replace("|", " ").split()) for l in doc.lines])
    content = np.array([lab == C for lab in doc.labels])
    precision = words[keep & content].sum() / words[keep].sum()
    recall = words[keep & content].sum() / words[content].sum()
    assert sum(v for k, v in shares.items() if k.startswith("kept")) == pytest.approx(1 - precision)
    assert sum(v for k, v in shares.items() if k.startswith("dropped")) == pytest.approx(1 - recall)


def test_a_page_that_keeps_almost_none_of_its_article_missed_it():
    keep = np.array([1, 0, 0, 0, 0, 0, 0, 1], dtype=bool)
    kinds = line_kinds(_doc(), keep)
    assert kinds[1] == kinds[2] == kinds[4] == "dropped: article missed"
    assert page_shares(_doc(), keep)["dropped: article missed"] == pytest.approx(1.0)


def test_a_page_kept_whole_counts_its_boilerplate_as_that_kind():
    keep = np.array([bool(l) for l, _ in PAGE])
    kinds = line_kinds(_doc(), keep, kept_whole=True)
    assert {k for k in kinds if k} == {KEPT_WHOLE}
    assert kinds[0] == kinds[3] == kinds[6] == kinds[7] == KEPT_WHOLE


def test_decode_says_when_the_page_fallback_fired():
    lines = [l for l, _ in PAGE]
    whole, fired = decode(lines, np.full(len(lines), 0.9))       # nothing kept: the page is kept whole
    assert fired and whole.tolist() == [bool(l) for l in lines]
    article = [f"{PARA1} Paragraph {i} adds more detail to the story." for i in range(8)]
    probs = np.array([0.95] * 2 + [0.05] * 8)
    keep, fired = decode(["Home", "Menu"] + article, probs)
    assert not fired and keep.tolist() == [False, False] + [True] * 8


def test_breakdown_averages_each_source_over_its_pages():
    a, b = _doc(doc_id="news/1"), _doc(doc_id="news/2")
    other = _doc(doc_id="blog/1", source="blog")
    right = np.array([lab == C for _, lab in PAGE])
    wrong = np.array([1, 1, 1, 1, 0, 1, 1, 0], dtype=bool)
    table = breakdown([a, b, other], [(right, False), (wrong, False), (wrong, False)])
    assert list(table) == ["blog", "news"] and table["news"]["pages"] == 2
    for kind in KINDS:
        assert table["news"][kind] == pytest.approx(page_shares(b, wrong)[kind] / 2)
        assert table["blog"][kind] == pytest.approx(page_shares(other, wrong)[kind])
    with pytest.raises(ValueError, match="decisions for"):
        breakdown([a], [(right[:3], False)])
    with pytest.raises(ValueError, match="documents but"):
        breakdown([a, b], [(right, False)])
