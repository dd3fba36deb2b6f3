"""Where the loss is: every wrong line of a page, by kind, as a share of that page.

The shingle metric (``training.metrics``) averages precision and recall over pages,
so a 50-word page weighs as much as a 5,000-word one. The breakdown weighs lines
the same way: on each page, a kept boilerplate line costs its share of the page's
kept words (precision) and a dropped content line its share of the page's content
words (recall); each kind's shares are summed per page and averaged over pages.
Words are the metric's tokens (runs of word characters), so the ``kept`` kinds of
one source add up to its page-averaged word precision loss and the ``dropped``
kinds to its word recall loss: close to, not equal to, the shingle losses.

Where a line sits comes from the labels: the article runs from a page's first to
its last content line. Kinds (``KINDS``), in the order of a page:

* ``kept: page kept whole`` — the page fallback fired (the decode kept too little,
  so every line was kept; ``inference.model.keep_mask``);
* ``kept: before the article``, ``kept: inside the article``;
* ``kept: after the article, sentence`` / ``kept: after the article, other`` —
  comments, author notes and teasers; "sentence" is the C4 rule's test (terminal
  punctuation and at least 3 words, ``training.baselines.c4_keep``);
* ``dropped: article missed`` — the page kept less than ``MISSED_SHARE`` of its
  content words (a missed page's every dropped content line is this kind);
* ``dropped: sentence`` / ``dropped: other line`` (headings, bylines, list items) —
  from an article that was found.

    >>> table = breakdown(docs, [decode(d.lines, p) for d, p in zip(docs, probs)])
    >>> table["dragnet"]["kept: after the article, sentence"]
"""
from __future__ import annotations

import numpy as np

from .baselines import c4_keep
from .labels import CONTENT, Document
from .metrics import _WORD     # the shingle metric's own tokens, so shares count what it counts

__all__ = ["KINDS", "MISSED_SHARE", "decode", "line_kinds", "line_shares", "page_shares", "breakdown"]

KEPT_WHOLE = "kept: page kept whole"
KINDS = (
    KEPT_WHOLE,
    "kept: before the article",
    "kept: inside the article",
    "kept: after the article, sentence",
    "kept: after the article, other",
    "dropped: article missed",
    "dropped: sentence",
    "dropped: other line",
)
MISSED_SHARE = 0.1      # a page that keeps less than this share of its content words missed its article


def decode(lines: list[str], probs) -> tuple[np.ndarray, bool]:
    """The lines ``unboil clean`` keeps (default decode), and whether the page fallback fired."""
    from inference.model import keep_mask
    keep = keep_mask(lines, probs)
    # Without the fallback the decode is the same but for it, so a difference is the fallback.
    return keep, bool((keep != keep_mask(lines, probs, min_chars=0)).any())


def _page(doc: Document, keep) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``keep`` as bools, and per line: is it content, how many words (the metric's tokens)."""
    content = np.array([lab == CONTENT for lab in doc.labels], dtype=bool)
    words = np.array([len(_WORD.findall(l)) for l in doc.lines], dtype=np.int64)
    return np.asarray(keep, dtype=bool), content, words


def line_kinds(doc: Document, keep, kept_whole: bool = False) -> list[str | None]:
    """The error kind of each line of ``doc`` under ``keep`` (None: right, or no words)."""
    return _kinds(doc, *_page(doc, keep), kept_whole)


def _kinds(doc, keep, content, words, kept_whole) -> list[str | None]:
    sentence = c4_keep(doc.lines)
    where = np.flatnonzero(content)
    first, last = (where[0], where[-1]) if len(where) else (len(doc.lines), -1)
    missed = words[content].sum() > 0 and words[content & keep].sum() < MISSED_SHARE * words[content].sum()
    kinds: list[str | None] = []
    for i in range(len(doc.lines)):
        if words[i] == 0 or keep[i] == content[i]:
            kinds.append(None)
        elif content[i]:
            kinds.append("dropped: article missed" if missed else
                         "dropped: sentence" if sentence[i] else "dropped: other line")
        elif kept_whole:
            kinds.append(KEPT_WHOLE)
        elif i < first:
            kinds.append("kept: before the article")
        elif i <= last:
            kinds.append("kept: inside the article")
        else:
            kinds.append("kept: after the article, sentence" if sentence[i] else "kept: after the article, other")
    return kinds


def line_shares(doc: Document, keep, kept_whole: bool = False) -> list[tuple[str, float] | None]:
    """Per line, its error kind and its share of the page: of the page's kept words for
    ``kept`` kinds, of its content words for ``dropped`` kinds (None: a right line)."""
    keep, content, words = _page(doc, keep)
    totals = {"kept": words[keep].sum(), "dropped": words[content].sum()}
    return [None if kind is None else (kind, w / totals[kind.split(":")[0]])
            for kind, w in zip(_kinds(doc, keep, content, words, kept_whole), words.tolist())]


def page_shares(doc: Document, keep, kept_whole: bool = False) -> dict[str, float]:
    """Each kind's share of the page (the sum of its lines' ``line_shares``)."""
    shares = dict.fromkeys(KINDS, 0.0)
    for hit in line_shares(doc, keep, kept_whole):
        if hit is not None:
            shares[hit[0]] += hit[1]
    return shares


def breakdown(docs: list[Document], decoded: list[tuple[np.ndarray, bool]]) -> dict[str, dict[str, float]]:
    """``{source: {kind: mean share over its pages, "pages": n}}`` for ``decoded[i] = (keep, kept_whole)``."""
    if len(docs) != len(decoded):
        raise ValueError(f"{len(docs)} documents but {len(decoded)} decoded pages")
    sums: dict[str, dict[str, float]] = {}
    for doc, (keep, whole) in zip(docs, decoded):
        if len(keep) != len(doc.lines):
            raise ValueError(f"{doc.doc_id}: {len(keep)} decisions for {len(doc.lines)} lines")
        acc = sums.setdefault(doc.source, dict.fromkeys(KINDS, 0.0) | {"pages": 0})
        for kind, share in page_shares(doc, keep, whole).items():
            acc[kind] += share
        acc["pages"] += 1
    return {src: {k: (v if k == "pages" else v / acc["pages"]) for k, v in acc.items()}
            for src, acc in sorted(sums.items())}
