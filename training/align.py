"""Label rendered lines by aligning them with a page's gold main text.

The rule (docs/labels.md explains it with its measured noise):

* Tokens are ``\\w+`` runs after NFKD folding with accents stripped and
  lowercasing; CJK ideographs and kana are one token per character.
* The page's whole token stream is aligned with the gold's token stream by
  ``difflib.SequenceMatcher(autojunk=False)``; blocks may cross line boundaries.
* A page token counts as matched only inside a matching block of at least
  ``MIN_BLOCK`` tokens, or inside a shorter block that is a whole line on both
  sides (a one-word headline or list item that the gold also has as a line).
* A line is content if at least ``CONTENT_SHARE`` of its tokens matched;
  lines without tokens are boilerplate. Unmatched number tokens are left out
  of that share when some word of the line matched (``3.7.2 Influences``
  against a gold ``Influences``).
* Gold texts that lost every character above U+00FF to ``?`` (l3s-gn1): the
  page text gets the same damage before tokenizing, so ``Ko?tunica`` meets
  ``Ko?tunica`` rather than ``Kostunica``.
* Long pages are first cut at unique exact 8-token anchors and only the gaps
  go to SequenceMatcher (see :func:`matching_blocks`): same blocks in practice,
  seconds less on the largest pages.
"""
from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

from .labels import BOILERPLATE, CONTENT

__all__ = ["MIN_BLOCK", "CONTENT_SHARE", "tokenize", "align_labels", "match_shares",
           "matching_blocks"]

# Shortest run of consecutive tokens that counts as a match: single common
# words ("the", "home") and pairs match by chance all over a page.
MIN_BLOCK = 3
# A line is content when at least this share of its tokens matched the gold.
CONTENT_SHARE = 0.5
# Token streams (page + gold) up to this length go to SequenceMatcher whole;
# longer ones are cut at anchors first (see matching_blocks).
DIRECT_MAX_TOKENS = 20000
# Length of the exact token runs used as anchors on long pages: long enough
# to be unique and meaningful, short enough to occur in most paragraphs.
ANCHOR_SIZE = 8

# CJK ideographs, kana and CJK compatibility ideographs: written without
# spaces, so each character is one token.
_CJK = ("\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
        "\U00020000-\U0002fa1f")
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
# Characters a latin-1 round trip turns into "?" (everything above U+00FF).
_ABOVE_LATIN1 = re.compile(r"[^\x00-\xff]")


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def tokenize(text: str) -> list[str]:
    """Word tokens: NFKD-folded, accents stripped, lowercased; CJK one per character."""
    return _TOKEN.findall(_fold(text))


def _latin1_damaged(gold: str) -> bool:
    """True if the gold looks like it went through latin-1 with lost characters as '?'."""
    return "?" in gold and _ABOVE_LATIN1.search(gold) is None


def _stream(texts: list[str], damage: bool):
    """All tokens of ``texts`` in order, with each token's text index."""
    tokens: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        if damage:
            text = _ABOVE_LATIN1.sub("?", text)
        toks = tokenize(text)
        tokens.extend(toks)
        owner.extend([i] * len(toks))
    return tokens, owner


def _whole_lines(owner: list[int], start: int, size: int) -> bool:
    """True if tokens start..start+size-1 begin and end at line boundaries."""
    end = start + size - 1
    return ((start == 0 or owner[start - 1] != owner[start])
            and (end == len(owner) - 1 or owner[end + 1] != owner[end]))


def _lis_chain(pairs):
    """Longest chain of (i, j) pairs increasing in both i and j (pairs sorted by i)."""
    tails: list[int] = []  # index into pairs of the smallest tail j for each chain length
    prev = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if pairs[tails[mid]][1] < j:
                lo = mid + 1
            else:
                hi = mid
        if lo:
            prev[k] = tails[lo - 1]
        if lo == len(tails):
            tails.append(k)
        else:
            tails[lo] = k
    chain = []
    k = tails[-1] if tails else -1
    while k >= 0:
        chain.append(pairs[k])
        k = prev[k]
    chain.reverse()
    return chain


def _anchors(a, b):
    """Non-overlapping exact matches of ANCHOR_SIZE tokens unique on both sides, in order."""
    k = ANCHOR_SIZE
    seen_a: dict = {}
    for i in range(len(a) - k + 1):
        key = tuple(a[i:i + k])
        seen_a[key] = -1 if key in seen_a else i
    seen_b: dict = {}
    for j in range(len(b) - k + 1):
        key = tuple(b[j:j + k])
        if key in seen_a:
            seen_b[key] = -1 if key in seen_b else j
    pairs = sorted((seen_a[key], j) for key, j in seen_b.items()
                   if j >= 0 and seen_a[key] >= 0)
    anchors = []
    end_a = end_b = -1
    for i, j in _lis_chain(pairs):
        # Overlapping anchors on the same diagonal are one longer match, which
        # growing the first one recovers; on another diagonal they conflict.
        if i >= end_a and j >= end_b:
            anchors.append((i, j))
            end_a, end_b = i + k, j + k
    return anchors


def matching_blocks(a: list, b: list) -> list[tuple[int, int, int]]:
    """Matching blocks (i, j, n) of two token lists, as SequenceMatcher finds them.

    Small inputs go to ``SequenceMatcher`` directly. Its cost grows with the
    length of the page times the repeats of common tokens in the gold, which
    takes seconds on the largest pages; above ``DIRECT_MAX_TOKENS`` the two
    streams are first cut at exact ``ANCHOR_SIZE``-token runs that occur once
    on each side (the longest chain of them in order), and only the gaps
    between anchors go to ``SequenceMatcher``. Adjacent blocks on one
    diagonal are merged, so a match running into an anchor keeps its length.
    """
    if len(a) + len(b) <= DIRECT_MAX_TOKENS:
        blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
        return [tuple(m) for m in blocks if m[2]]
    k = ANCHOR_SIZE
    raw: list[tuple[int, int, int]] = []
    pos_a = pos_b = 0
    for i, j in _anchors(a, b) + [(len(a), len(b))]:
        if i < pos_a or j < pos_b:
            continue  # inside the previous anchor, grown past this one
        n = k
        if i < len(a):
            # Grow the anchor both ways while the tokens still agree, so that a
            # heading right before a paragraph joins it rather than being
            # matched to an earlier copy of itself (a table of contents) in the gap.
            while i > pos_a and j > pos_b and a[i - 1] == b[j - 1]:
                i, j, n = i - 1, j - 1, n + 1
            while i + n < len(a) and j + n < len(b) and a[i + n] == b[j + n]:
                n += 1
        if i > pos_a and j > pos_b:
            sm = SequenceMatcher(None, a[pos_a:i], b[pos_b:j], autojunk=False)
            raw.extend((pos_a + x, pos_b + y, m) for x, y, m in sm.get_matching_blocks() if m)
        if i < len(a):
            raw.append((i, j, n))
            pos_a, pos_b = i + n, j + n
    merged: list[tuple[int, int, int]] = []
    for i, j, n in raw:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            pi, pj, pn = merged[-1]
            merged[-1] = (pi, pj, pn + n)
        else:
            merged.append((i, j, n))
    return merged


def match_shares(lines: list[str], gold: str) -> list[float]:
    """Share of each line's tokens that the alignment with the gold matched."""
    damage = _latin1_damaged(gold)
    a, a_owner = _stream(lines, damage)
    b, b_owner = _stream(gold.splitlines(), False)
    hit = [False] * len(a)
    if a and b:
        for i, j, n in matching_blocks(a, b):
            if n < MIN_BLOCK and not (_whole_lines(a_owner, i, n)
                                      and _whole_lines(b_owner, j, n)):
                continue
            hit[i:i + n] = [True] * n
    matched = [0] * len(lines)
    counts = [0] * len(lines)
    words_hit = [False] * len(lines)
    numbers_missed = [0] * len(lines)
    for token, line, h in zip(a, a_owner, hit):
        counts[line] += 1
        if h:
            matched[line] += 1
            if not token.isdigit():
                words_hit[line] = True
        elif token.isdigit():
            numbers_missed[line] += 1
    shares = []
    for m, c, w, nm in zip(matched, counts, words_hit, numbers_missed):
        # Numbers the gold lacks do not count against a line whose words
        # matched: section numbers ("3.7.2 Influences") and timestamps that
        # the annotator dropped or reformatted.
        if w:
            c -= nm
        shares.append(m / c if c else 0.0)
    return shares


def align_labels(lines: list[str], gold: str) -> tuple[list[str], list[float]]:
    """Label each line content/boilerplate by its matched share against the gold text.

    Returns the labels and each line's matched share (0..1).
    """
    shares = match_shares(lines, gold)
    labels = [CONTENT if s >= CONTENT_SHARE else BOILERPLATE for s in shares]
    return labels, shares
