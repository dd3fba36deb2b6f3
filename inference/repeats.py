"""Lines that recur across the pages of a batch: a site's template.

A menu, a footer, a newsletter prompt or a comment form's instructions come back on every
page a site serves; an article's paragraphs do not. One page cannot show this, a crawl can
(C4 drops sentences repeated across its corpus, Gopher and FineWeb drop pages full of
repeated lines). ``repeated_lines`` marks, in every page of a batch, the lines whose
normalised text occurs on at least ``min_pages`` pages of it; ``drop_repeated`` un-keeps
those of them that are short, since a long line on several pages is as often the same
story syndicated, or the same page crawled twice, as it is a template.

This is opt-in (``Model.clean_many(..., repeat_pages=N)``, ``unboil clean --repeats N``):
with it a page's output depends on the other pages of the batch.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np

__all__ = ["REPEAT_PAGES", "REPEAT_WORDS", "normalise_line", "repeated_lines", "drop_repeated"]

# Pages of the batch a line must occur on to count as template, and the most words it may
# have (0: any length). Placeholders until the nested run of session 32 chooses them.
REPEAT_PAGES = 3
REPEAT_WORDS = 12

_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


def normalise_line(line: str) -> str:
    """The form lines are compared in: case folded, whitespace runs one space, digit runs "0"
    ("12 Comments" and "3 Comments" are the same template line)."""
    return _DIGITS.sub("0", _SPACE.sub(" ", line.strip().casefold()))


def repeated_lines(pages: list[list[str]], min_pages: int = REPEAT_PAGES) -> list[np.ndarray]:
    """Per page, a bool per line: its normalised text is on at least ``min_pages`` pages of
    ``pages`` (counting its own; blank lines never). ``min_pages`` < 2 is refused: every line
    is on one page."""
    if min_pages < 2:
        raise ValueError(f"min_pages must be at least 2, got {min_pages}")
    forms = [[normalise_line(l) for l in lines] for lines in pages]
    pages_with = Counter(f for page in forms for f in set(page) if f)
    return [np.array([bool(f) and pages_with[f] >= min_pages for f in page], dtype=bool) for page in forms]


def drop_repeated(pages: list[list[str]], keeps: list[np.ndarray], min_pages: int = REPEAT_PAGES,
                  max_words: int = REPEAT_WORDS) -> list[np.ndarray]:
    """``keeps`` (a bool per line per page) with the repeated lines of at most ``max_words``
    words (0: any length) no longer kept. New arrays; ``keeps`` is not modified."""
    if len(pages) != len(keeps):
        raise ValueError(f"{len(pages)} pages but {len(keeps)} keep masks")
    out = []
    for lines, keep, rep in zip(pages, keeps, repeated_lines(pages, min_pages)):
        keep = np.array(keep, dtype=bool)
        if len(keep) != len(lines):
            raise ValueError(f"a page has {len(lines)} lines but its keep mask {len(keep)}")
        drop = rep & keep
        if max_words > 0:
            drop &= np.array([len(l.split()) <= max_words for l in lines], dtype=bool)
        out.append(keep & ~drop)
    return out
