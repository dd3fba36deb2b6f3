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
from typing import Iterable

import numpy as np

__all__ = ["REPEAT_PAGES", "REPEAT_WORDS", "normalise_line", "count_pages", "repeated_lines", "template_lines",
           "drop_repeated"]

# Pages of the batch a line must be on to count as template (what `--repeats` is usually
# given), and the most words it may have (0: any length). Chosen by nested cross-validation,
# each source's pages one batch (session 32, docs/experiments.md): 3 and 12 gained +0.0029 on
# the article sources' inner mean (2 and 5 +0.0028 / +0.0026); any length lost 0.03-0.05,
# because the readability benchmark's test pages share their paragraphs.
REPEAT_PAGES = 3
REPEAT_WORDS = 12

_DIGITS = re.compile(r"\d+")


def normalise_line(line: str) -> str:
    """The form lines are compared in: case folded, whitespace runs one space, digit runs "0"
    ("12 Comments" and "3 Comments" are the same template line)."""
    return _DIGITS.sub("0", " ".join(line.casefold().split()))


def count_pages(pages: Iterable[list[str]]) -> Counter:
    """How many pages each normalised non-blank line is on (a line twice on a page counts once).

    Takes any iterable of pages, so a first pass over a stream of documents can count them;
    memory grows with the number of distinct lines."""
    return _count_forms([normalise_line(l) for l in lines] for lines in pages)


def _count_forms(forms: Iterable[list[str]]) -> Counter:
    counts: Counter = Counter()
    for page in forms:
        counts.update({f for f in page if f})
    return counts


def _template(forms: list[list[str]], counts: Counter, min_pages: int, max_words: int) -> list[np.ndarray]:
    if min_pages < 2:
        raise ValueError(f"min_pages must be at least 2, got {min_pages}")
    # a form's words are its spaces + 1 (whitespace is collapsed; blank forms never count)
    return [np.array([counts.get(f, 0) >= min_pages and (max_words <= 0 or f.count(" ") < max_words)
                      for f in page], dtype=bool) for page in forms]


def _forms_and_counts(pages, counts):
    forms = [[normalise_line(l) for l in lines] for lines in pages]
    return forms, _count_forms(forms) if counts is None else counts


def repeated_lines(pages: list[list[str]], min_pages: int = REPEAT_PAGES,
                   counts: Counter | None = None) -> list[np.ndarray]:
    """Per page, a bool per line: its normalised text is on at least ``min_pages`` pages
    (of ``pages``, or as ``counts`` from ``count_pages`` over a larger batch says; blank
    lines never). ``min_pages`` < 2 is refused: every line is on one page."""
    return _template(*_forms_and_counts(pages, counts), min_pages, 0)


def template_lines(pages: list[list[str]], min_pages: int = REPEAT_PAGES, max_words: int = REPEAT_WORDS,
                   counts: Counter | None = None) -> list[np.ndarray]:
    """``repeated_lines`` of at most ``max_words`` words (0: any length): the lines to drop."""
    return _template(*_forms_and_counts(pages, counts), min_pages, max_words)


def drop_repeated(pages: list[list[str]], keeps: list[np.ndarray], min_pages: int = REPEAT_PAGES,
                  max_words: int = REPEAT_WORDS, counts: Counter | None = None) -> list[np.ndarray]:
    """``keeps`` (a bool per line per page) with the ``template_lines`` no longer kept.
    New arrays; ``keeps`` is not modified."""
    if len(pages) != len(keeps):
        raise ValueError(f"{len(pages)} pages but {len(keeps)} keep masks")
    for lines, keep in zip(pages, keeps):
        if len(keep) != len(lines):
            raise ValueError(f"a page has {len(lines)} lines but its keep mask {len(keep)}")
    drop = template_lines(pages, min_pages, max_words, counts)
    return [np.asarray(keep, dtype=bool) & ~t for keep, t in zip(keeps, drop)]
