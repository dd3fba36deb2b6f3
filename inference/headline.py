"""The article's headline: the short line just above the article that repeats its key words.

A headline looks like a menu item or another story's teaser (short, title case, no
full stop), so the line scores drop it on most news pages: on 72% of l3s-gn1's pages
in a leave-one-source-out run. What sets it apart is text it shares with the article
below it: "Sri Lankan cricket chief resigns" above "Colombo - Sri Lanka's cricket chief
Jayantha Dharmadasa on Monday ...". Teasers of other stories and menu items share
little with the article.

After the page's labels are decoded, the dropped lines a few lines above the
article's first kept line are candidates; the one whose words recur most in the
article's first kept lines is kept, if enough of them do. Chosen by nested
cross-validation (docs/experiments.md, session 14).
"""
from __future__ import annotations

import re

import numpy as np

__all__ = ["HEADLINE_LINES", "HEADLINE_OVERLAP", "find_headline"]

# How many (non-blank) lines above the article's first kept line the headline may be:
# bylines, dates, photos and their captions often sit between the two. 0 turns the
# search off. Trained models record it; a model file without it does not search.
HEADLINE_LINES = 10
# The share of a candidate's words that must recur in the article's first lines.
HEADLINE_OVERLAP = 0.4
# The article's first kept lines, whose words a candidate is compared with.
ARTICLE_LINES = 5
# A headline has a few words; a long line that ends a sentence is prose (a caption,
# a standfirst), not a headline.
MIN_WORDS, MAX_WORDS, MAX_SENTENCE_WORDS = 3, 25, 12
# Words shorter than this ("the", "of", "in") and numbers say nothing about the topic.
MIN_WORD_CHARS = 4
_WORD = re.compile(r"\w+")
_SENTENCE_END = (".", "!", "?")


def _topic_words(line: str) -> set[str]:
    return {w for w in _WORD.findall(line.lower()) if len(w) >= MIN_WORD_CHARS and not w.isdigit()}


def find_headline(lines: list[str], keep: np.ndarray, max_lines: int = HEADLINE_LINES) -> int | None:
    """The index of the dropped line to keep as the headline of the kept article, or None.

    ``lines`` are one document's lines and ``keep`` their decoded labels (True =
    content). Only the ``max_lines`` non-blank lines right above the first kept line
    are candidates (blank lines between paragraphs do not count); the one with the
    largest share of its words among the words of the first ``ARTICLE_LINES`` kept
    lines wins (the nearest on ties) if that share is at least ``HEADLINE_OVERLAP``.
    """
    kept = np.flatnonzero(keep)
    if max_lines <= 0 or not len(kept) or int(kept[0]) == 0:
        return None
    first = int(kept[0])
    article = set().union(*(_topic_words(lines[i]) for i in kept[:ARTICLE_LINES].tolist()))
    best, best_share, seen = None, 0.0, 0
    for i in range(first - 1, -1, -1):
        line = lines[i].strip()
        if not line:
            continue
        seen += 1
        if seen > max_lines:
            break
        n_words = len(line.split())
        if not MIN_WORDS <= n_words <= MAX_WORDS or (line.endswith(_SENTENCE_END)
                                                     and n_words > MAX_SENTENCE_WORDS):
            continue
        words = _topic_words(line)
        if len(words) < 2:
            continue
        share = len(words & article) / len(words)
        if share > best_share:
            best, best_share = i, share
    return best if best_share >= HEADLINE_OVERLAP else None
