"""Reference line rules that unboil is measured against.

``c4_keep`` is the line filter of the C4 web corpus (Raffel et al., 2020), as far
as it concerns single lines: keep a line that ends in terminal punctuation and
has at least ``C4_MIN_WORDS`` words. Its document-level rules (minimum sentences,
bad words, "lorem ipsum", curly braces) drop whole pages and are left out, since
every page here has an article.
"""
from __future__ import annotations

import numpy as np

__all__ = ["keep_all", "c4_keep", "C4_MIN_WORDS", "C4_TERMINAL"]

C4_MIN_WORDS = 3
C4_TERMINAL = (".", "!", "?", '"')


def keep_all(lines: list[str]) -> np.ndarray:
    return np.ones(len(lines), dtype=bool)


def c4_keep(lines: list[str]) -> np.ndarray:
    """C4's line rule: terminal punctuation and >= 3 words; also drops 'javascript' lines."""
    out = np.zeros(len(lines), dtype=bool)
    for i, line in enumerate(lines):
        s = line.strip()
        out[i] = (s.endswith(C4_TERMINAL) and len(s.split()) >= C4_MIN_WORDS
                  and "javascript" not in s.lower())
    return out
