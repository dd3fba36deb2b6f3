"""Lines → features. Everything the model sees about a line is computed here.

Two groups:

* ``ngram_matrix(lines)`` — stage 1: hashed TF-IDF of the line's word 1–2-grams and
  character 3–5-grams (sublinear tf, IDF weights learned in training, each block
  L2-normalised). Character n-grams carry other languages and short button words.
* ``shape_matrix(lines)``, ``mark_matrix(lines)`` and ``context_matrix(...)`` —
  stage 2: cheap line shape (length, punctuation, digits, capitals), marks of a
  comment section ("42 Comments", "Reply", "5 hours ago"), and where the line sits
  among its neighbours' stage-1 scores (windows, rolling means, distance to prose).

The n-gram hashing is vectorised over a whole batch of lines with numpy: the batch
becomes one array of code points, n-gram hashes are rolling polynomial hashes over
it, and no Python code runs per n-gram. No vocabulary is stored, so a model file is
a few arrays and loads in milliseconds. The hash is our own and fixed (not a
library's), so a model's features never change under an upgrade.
"""
from __future__ import annotations

import functools
import re
import unicodedata

import numpy as np

__all__ = [
    "FEATURE_VERSION", "FEATURE_VERSIONS", "is_feature_version", "N_WORD_FEATURES", "N_CHAR_FEATURES", "CHAR_NGRAMS",
    "MAX_FEATURE_CHARS", "CJK_RANGES", "distinct_lines", "encode_lines", "ngram_segments", "ngram_occurrences", "count_matrices",
    "weigh_counts", "ngram_matrix", "ngram_tables", "ngram_scores", "shape_matrix",
    "SHAPE_NAMES", "MARK_NAMES", "mark_matrix", "context_matrix", "context_names", "doc_offsets",
    "TEXTURE_NAMES", "REGION_NAMES", "EXTRA_NAMES",
]

# Bump when any function here changes what it computes: models record it, and a
# model built for a version this unboil cannot compute is refused rather than
# silently misread. Version 1 searched the whole page for the article's core;
# version 2 stops the search at a comment header with an article's worth of prose
# above it (CORE_MIN_PROSE_CHARS); version 3 counts each Chinese or Japanese
# character as a word in the shape features (CJK_RANGES); version 4 is version 2
# (not 3) with comment sections whose header comes after them counted as below
# one (see context_matrix; nested in session 24, not adopted); version 5 is version 2
# with sentence-shaped lines counted as prose in the distances to prose and to the
# core (SENTENCE_WORDS); version 6 is version 2 with the core's search stopped at a
# comment header with less prose above it (CORE_MIN_PROSE_CHARS_V6); both nested in
# session 29, neither adopted; versions 7 and 8 are version 2 with three more columns each
# (EXTRA_NAMES): how the scores vary around the line, and the neighbourhood's shape (session 30).
# Models of every version listed still load.
FEATURE_VERSION = 2
FEATURE_VERSIONS = (1, 2, 3, 4, 5, 6, 7, 8)
N_WORD_FEATURES = 2 ** 18
N_CHAR_FEATURES = 2 ** 18
CHAR_NGRAMS = (3, 4, 5)
# A line contributes at most this many characters to its n-grams: a 20 MB line
# costs no more than a paragraph. Its full length still enters the shape features,
# and nothing is ever dropped from the output.
MAX_FEATURE_CHARS = 300
# Han ideographs (with extension A and compatibility forms), hiragana and katakana:
# written without spaces, so a reader counts each character as a word.
CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
# Windows (± lines) of the rolling means of stage-1 scores, and the neighbours
# whose own scores and shapes stage 2 sees.
CONTEXT_WINDOWS = (2, 5, 10, 25)
NEIGHBOURS = (1, 2, 3)
# A stage-1 logit below this counts as confident prose for "distance to prose".
PROSE_LOGIT = -1.0
MAX_DISTANCE = 50
# Half-width (lines) of the window that locates the article's densest prose.
CORE_WINDOW = 5
# A long comment section is as dense as the article and can be longer, and then the
# densest prose is a comment (on 56 of dragnet's 395 pages with comments). So the core
# is searched above the first comment header that has at least this many characters
# of confident prose above it (an article's worth, as MIN_ARTICLE_CHARS in the model);
# a "Comments (3)" link above the article does not qualify. Feature version 2.
CORE_MIN_PROSE_CHARS = 500
# Feature version 6: the same with room for a short post above the comments (dragnet's
# pages kept whole: a post of ~200-500 characters above a comment section).
CORE_MIN_PROSE_CHARS_V6 = 250
# Feature version 5: a line of at least this many words that ends a sentence counts as
# prose in the distance features whatever its stage-1 score. On a page in a language
# stage 1 barely knows, paragraphs score near logit 0, and every one of them counted
# as a gap between the article's core and the rest of the article.
SENTENCE_WORDS = 10
# Reader comments are prose, so n-grams and prose context call them content. What
# gives a comment section away is its header ("42 Comments", "Leave a Reply") above
# it and the author/date/"Reply" lines between the comments. Short lines only: a
# sentence that mentions "comments" is not a header.
COMMENT_HEADER = re.compile(
    r"^\W*(\d+\s+)?(comments?|responses?|replies|reactions?|discussions?|kommentare?|"
    r"commentaires?|comentarios?|commenti|reacties|komentarze|комментарии)\W*(\d+\W*)?$"
    r"|\b(leave a (reply|comment)|post a comment|add (a|your) comment|join the discussion|"
    r"write a comment|(show|view|read) (all )?comments|\d+\s+(comments?|responses?|replies))\b",
    re.IGNORECASE)
COMMENT_META = re.compile(
    r"\b(reply|permalink|report( abuse)?|flag|quote|antworten|répondre|responder|rispondi)\b"
    r"|\b(says|wrote|said|schreibt|écrit)\s*:|\d{1,2}:\d{2}\s*([ap]\.?m\.?)\b"
    r"|\b\d+\s+(minutes?|hours?|days?|weeks?|months?|years?)\s+ago\b",
    re.IGNORECASE)
COMMENT_HEADER_MAX_WORDS = 8
COMMENT_META_MAX_WORDS = 14
# Python's regex engine scans ~30 MB/s on these patterns, too slow for every line: a
# line is searched only if its lowercased UTF-8 text holds one of the pattern's keys
# (every match holds one), found by bytes.find over a whole batch at once. For the
# meta pattern's times ("9:42 am") the key is an ASCII digit, ":" and a digit.
COMMENT_HEADER_KEYS = ("comment", "respons", "repl", "reaction", "discussion", "kommentar",
                       "comentario", "reactie", "komentarz", "комментари")
COMMENT_META_KEYS = ("reply", "permalink", "report", "flag", "quote", "antworten", "répondre",
                     "responder", "rispondi", "says", "wrote", "said", "schreibt", "écrit", "ago")
# Lines up to this long join the search as they are; a longer one only if it has few words.
MARK_SHORT_CHARS = 160

# Half-widths (lines) of the windows that count comment-meta lines around a line.
MARK_WINDOWS = (2, 5)
# Feature version 7's columns: the spread of the stage-1 logits over +-5 and +-10 lines, and
# the share of neighbouring pairs within +-5 lines on opposite sides of logit 0. A comment
# thread alternates prose-like comments with short meta lines, an article is a run of prose,
# a menu a run of non-prose: their window means can agree where these do not.
TEXTURE_NAMES = ("score_sd_pm5", "score_sd_pm10", "switches_pm5")
TEXTURE_WINDOWS = (5, 10)
# Feature version 8's columns: the neighbourhood's shape, whatever stage 1 made of it (which
# it cannot judge on a language it barely knows): mean log length over +-5 lines, and the
# share of lines ending a sentence over +-5 and +-25 lines.
REGION_NAMES = ("chars_pm5", "terminal_pm5", "terminal_pm25")
REGION_WINDOWS = (5, 25)
# The columns a feature version adds after all of version 2's (after "inclusive", so version
# 2's columns stay a prefix of its own).
EXTRA_NAMES = {7: TEXTURE_NAMES, 8: REGION_NAMES}

_P = np.uint64(0x100000001B3)            # odd, so invertible modulo 2**64
_P_INV = np.uint64(pow(0x100000001B3, -1, 2 ** 64))
_SEED_WORD1 = np.uint64(0x9E3779B97F4A7C15)
_SEED_WORD2 = np.uint64(0xC2B2AE3D27D4EB4F)
_SEED_CHAR = {n: np.uint64(0x165667B19E3779F9 * (n + 1) % 2 ** 64) for n in CHAR_NGRAMS}
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_TERMINAL = set(".!?。！？…")
_CLOSERS = set("\"'”’»)]")


@functools.cache
def _tables():
    """Per-code-point lookup tables for the Basic Multilingual Plane.

    Built once per process: the folded form of each code point (lowercase, single
    code point only so positions still match the original; digits and spaces folded),
    and the character classes the shape features count.
    """
    n = 0x10000
    lower = np.arange(n, dtype=np.uint32)
    cls = np.zeros(n, dtype=np.uint8)    # 0 other, 1 lower, 2 upper, 3 digit, 4 other letter/number, 5 space, 6 punct
    code = {"Ll": 1, "Lu": 2, "Lt": 2, "Nd": 3, "Lm": 4, "Lo": 4, "Nl": 4, "No": 4,
            "Mn": 4, "Mc": 4, "Zs": 5, "Zl": 5, "Zp": 5, "Cc": 0,
            "Pc": 6, "Pd": 6, "Ps": 6, "Pe": 6, "Pi": 6, "Pf": 6, "Po": 6}
    category = unicodedata.category
    for c in range(n):
        ch = chr(c)
        cls[c] = code.get(category(ch), 0)
        lo = ch.lower()
        if len(lo) == 1:
            lower[c] = ord(lo)
    for ch in "\t\n\r\x0b\x0c":
        cls[ord(ch)] = 5
    # what n-grams hash: lowercase, digits folded to "0" (years and prices share n-grams),
    # every space to " "; uint64 as the rolling hash needs
    fold = lower.astype(np.uint64)
    fold[cls == 3] = ord("0")
    fold[cls == 5] = ord(" ")
    return fold, cls


class Encoded:
    """A batch of lines as one array of code points (lines joined by a separator).

    ``cp`` original code points, ``fold`` lowercased with digits folded to ``0``
    (so years and prices share n-grams), ``cls`` character classes, ``line`` the
    line index of every position (separators included), ``starts``/``lens`` each
    line's span, ``full_len`` each line's length before capping.
    """

    __slots__ = ("n", "cp", "fold", "cls", "line", "starts", "lens", "full_len")


def distinct_lines(lines: list[str]) -> tuple[list[str], np.ndarray]:
    """The distinct lines in first-seen order, and each line's index among them.

    Everything in stage 1 depends on a line alone, so repeated lines (a site's menus
    and footers) are featurised once.
    """
    uniq = list(dict.fromkeys(lines))
    index = dict(zip(uniq, range(len(uniq))))
    return uniq, np.fromiter(map(index.__getitem__, lines), dtype=np.intp, count=len(lines))


def encode_lines(lines) -> Encoded:
    fold_table, classes = _tables()
    capped = [l[:MAX_FEATURE_CHARS] for l in lines]
    enc = Encoded()
    enc.n = n = len(capped)
    enc.full_len = np.fromiter(map(len, lines), dtype=np.int64, count=n)
    lens = np.minimum(enc.full_len, MAX_FEATURE_CHARS)
    # Each line is padded with a space on both sides so that n-grams see where a
    # line starts and ends; "\n" separates lines (a "\n" inside a line is harmless:
    # positions come from lengths, not from searching separators).
    text = "\n".join([" " + l + " " for l in capped])
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    enc.cp = cp
    enc.lens = lens + 2
    enc.starts = np.zeros(n, dtype=np.int64)
    if n:
        enc.starts[1:] = np.cumsum(enc.lens + 1)[:-1]
    if len(cp) and cp.max() >= 0x10000:
        bmp = cp < 0x10000
        idx = np.where(bmp, cp, 0)
        fold = np.where(bmp, fold_table[idx], cp)
        cls = np.where(bmp, classes[idx], np.uint8(4))   # astral: emoji, rare CJK → letter-like
    else:                                                # the common case: two lookups
        fold, cls = fold_table[cp], classes[cp]
    enc.fold, enc.cls = fold, cls
    line = np.repeat(np.arange(n, dtype=np.int64), enc.lens + 1)[: len(cp)]
    enc.line = line
    return enc


@functools.cache
def _powers() -> tuple[np.ndarray, np.ndarray]:
    """P**i and P**-i modulo 2**64 for every position i a (capped, padded) line can have."""
    size = MAX_FEATURE_CHARS + 3
    out = []
    for base in (_P, _P_INV):
        pw = np.ones(size, dtype=np.uint64)
        pw[1:] = np.cumprod(np.full(size - 1, base, dtype=np.uint64))
        out.append(pw)
    return out[0], out[1]


def _bucket(h: np.ndarray, seed: np.uint64, n_features: int) -> np.ndarray:
    """Multiplicative (Fibonacci) hashing: the top bits of (h ^ seed) * golden ratio."""
    bits = np.uint64(64 - int(n_features).bit_length() + 1)
    out = h ^ seed
    out *= _GOLDEN
    out >>= bits
    # the values fit in 63 bits: viewing them as int64 (numpy's index type) is free and
    # spares every later gather a conversion
    return out.view(np.int64)


def ngram_segments(enc: Encoded):
    """Hashed n-grams of every kind as ``(block, columns, seg_start, seg_end)``.

    Block 0 holds word 1- and 2-grams, block 1 character 3-, 4- and 5-grams.
    ``columns`` lists the kind's n-grams in text order, line after line; line i's
    own n-grams are ``columns[seg_start[i]:seg_end[i]]``. Positions between the
    segments are n-grams that would cross a line break: they are computed (cheaper
    than filtering) but belong to no line.
    """
    fold, n = enc.fold, enc.n
    starts = enc.starts
    h = fold.copy()
    for k in range(2, max(CHAR_NGRAMS) + 1):
        h = h[:-1]              # in place: a batch's arrays are MBs, fresh temporaries cost
        h *= _P
        h += fold[k - 1:]
        if k in CHAR_NGRAMS:
            # an n-gram starting at p lies inside line i when starts[i] <= p <= starts[i] + lens[i] - k
            yield _kind(1, _bucket(h, _SEED_CHAR[k], N_CHAR_FEATURES), starts, starts + np.maximum(enc.lens - k + 1, 0))

    # Words: maximal runs of letters/digits/underscore, hashed with a prefix-sum
    # polynomial hash so every token costs the same few array operations.
    word = ((enc.cls >= 1) & (enc.cls <= 4)) | (enc.cp == ord("_"))
    # every line starts and ends with a padding space, so word edges alternate start, end
    edges = np.flatnonzero(word[1:] != word[:-1]) + 1
    s, e = edges[0::2], edges[1::2]
    # powers by position within the line keep the tables small (lines are capped)
    ppow, pinv = _powers()
    col = np.arange(len(fold)) - np.repeat(starts, enc.lens + 1)[: len(fold)]
    g = np.empty(len(fold) + 1, dtype=np.uint64)
    g[0] = 0
    np.cumsum(fold * ppow[col], out=g[1:])
    th = (g[e] - g[s]) * pinv[col[s]]
    per_line = np.bincount(enc.line[s], minlength=n)
    first = np.zeros(n, dtype=np.int64)
    np.cumsum(per_line[:-1], out=first[1:])
    yield _kind(0, _bucket(th, _SEED_WORD1, N_WORD_FEATURES), first, first + per_line)
    # a bigram joins token j and j + 1; it belongs to a line when both tokens do
    yield _kind(0, _bucket(th[:-1] * _P + th[1:], _SEED_WORD2, N_WORD_FEATURES), first,
                first + np.maximum(per_line - 1, 0))


def _kind(block, cols, lo, hi):
    # an empty segment may start past the end (a last line too short for 5-grams)
    return block, cols, np.minimum(lo, len(cols)), np.minimum(hi, len(cols))


def _segment_rows(seg_start: np.ndarray, seg_end: np.ndarray):
    """(row of every in-segment position, the positions), for the segments in order."""
    lengths = seg_end - seg_start
    rows = np.repeat(np.arange(len(lengths)), lengths)
    offsets = np.cumsum(lengths) - lengths
    return rows, np.arange(len(rows)) - offsets[rows] + seg_start[rows]


def ngram_occurrences(enc: Encoded):
    """All occurrences per block: ``((word_rows, word_cols), (char_rows, char_cols))``.
    A line's count of an n-gram is how often its (row, column) pair occurs."""
    parts = ([], [])
    for block, cols, lo, hi in ngram_segments(enc):
        rows, pos = _segment_rows(lo, hi)
        parts[block].append((rows, cols[pos].astype(np.int64)))
    return tuple((np.concatenate([r for r, _ in p]) if p else np.zeros(0, dtype=np.int64),
                  np.concatenate([c for _, c in p]) if p else np.zeros(0, dtype=np.int64))
                 for p in parts)


def count_matrices(enc: Encoded):
    """Raw n-gram counts per line as sparse matrices: (word block, char block).

    Training only: scipy is imported here so prediction needs numpy alone.
    """
    import scipy.sparse as sp
    out = []
    for (rows, cols), width in zip(ngram_occurrences(enc), (N_WORD_FEATURES, N_CHAR_FEATURES)):
        m = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(enc.n, width))
        m.sum_duplicates()
        out.append(m)
    return out[0], out[1]


def weigh_counts(counts, idf: np.ndarray):
    """TF-IDF (raw tf) with each row divided by sqrt(sum of tf * idf**2).

    That norm is the L2 norm of the row when no n-gram repeats within a line; it
    is what ``ngram_scores`` computes per occurrence, without building a matrix.
    """
    x = counts.copy()
    row = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    w = idf[x.indices].astype(np.float64)
    norms = np.sqrt(np.bincount(row, weights=x.data * w * w, minlength=x.shape[0]))
    x.data = (x.data * w / np.where(norms > 0, norms, 1.0)[row]).astype(np.float32)
    return x


def ngram_matrix(enc: Encoded, idf_word: np.ndarray, idf_char: np.ndarray):
    """The stage-1 design matrix [word TF-IDF | char TF-IDF].

    Training needs the matrix; prediction uses ``ngram_scores``, which computes
    the same ``X @ coef`` without materialising X.
    """
    import scipy.sparse as sp
    words, chars = count_matrices(enc)
    return sp.hstack([weigh_counts(words, idf_word), weigh_counts(chars, idf_char)], format="csr")


def ngram_tables(idf_word, idf_char, coef_word, coef_char) -> tuple[np.ndarray, np.ndarray]:
    """Per block, a table holding idf² + i·(idf · coef) per feature: one gather per
    n-gram fetches both numbers ``ngram_scores`` sums, and one running sum adds both
    (a complex array is two contiguous floats; built once per model)."""
    return tuple(np.ascontiguousarray(idf.astype(np.float64) ** 2 + 1j * (idf.astype(np.float64) * coef))
                 for idf, coef in ((idf_word, coef_word), (idf_char, coef_char)))


def ngram_scores(enc: Encoded, idf_word=None, idf_char=None, coef_word=None, coef_char=None, *,
                 tables=None) -> np.ndarray:
    """``ngram_matrix(enc) @ [coef_word | coef_char]`` without building the matrix.

    Per n-gram kind: one gather of idf² + i·(idf · coef) per n-gram, a running sum
    over the batch, and each line's total is the difference of the running sum at
    its segment's ends (see ``ngram_segments``): no per-line loop, no filtering.
    """
    if tables is None:
        tables = ngram_tables(idf_word, idf_char, coef_word, coef_char)
    sums = np.zeros((2, enc.n), dtype=np.complex128)
    for block, cols, lo, hi in ngram_segments(enc):
        run = np.empty(len(cols) + 1, dtype=np.complex128)
        run[0] = 0
        np.cumsum(tables[block].take(cols), out=run[1:])
        sums[block] += run[hi] - run[lo]
    norms = np.sqrt(np.maximum(sums.real, 0.0))
    return (sums.imag / np.where(norms > 0, norms, 1.0)).sum(axis=0)


def is_feature_version(version) -> bool:
    """Whether this unboil computes features of ``version`` (a bool is not a version)."""
    return not isinstance(version, bool) and version in FEATURE_VERSIONS


def _check_version(version) -> None:
    if not is_feature_version(version):
        raise ValueError(f"feature version must be one of {FEATURE_VERSIONS}, got {version!r}")


def _in_ranges(cp: np.ndarray, ranges) -> np.ndarray:
    """Whether each code point lies in one of the inclusive ``(lo, hi)`` ranges."""
    out = np.zeros(len(cp), dtype=bool)
    for lo, hi in ranges:
        out |= (cp >= lo) & (cp <= hi)
    return out


SHAPE_NAMES = (
    "log_chars", "log_words", "ends_terminal", "starts_upper", "starts_digit",
    "letter_share", "digit_share", "upper_share", "punct_share", "mean_word_len",
    "has_pipe_or_bullet",
)


def shape_matrix(enc: Encoded, version: int = FEATURE_VERSION) -> np.ndarray:
    """Cheap per-line shape features (n_lines × len(SHAPE_NAMES)), vectorised.

    With feature ``version`` 3, each Chinese or Japanese character is a word
    (``CJK_RANGES``): before, a Chinese paragraph counted as one to three "words",
    a menu item's shape (docs/errors.md §9).
    """
    _check_version(version)
    n = enc.n
    out = np.zeros((n, len(SHAPE_NAMES)), dtype=np.float64)
    if n == 0:
        return out
    line, cls, cp = enc.line, enc.cls, enc.cp
    # one bincount of (line, class) pairs counts every class at once: key = 16 * line
    # + class, + 8 at the first letter of a word (classes 9-12); the "\n" separators
    # (spaces, class 5) become class 7 so they count as nothing
    word = (cls - np.uint8(1)) < 4                  # classes 1-4 (0 wraps around to 255)
    first_letter = np.empty(len(word), dtype=bool)
    first_letter[0] = word[0]
    np.greater(word[1:], word[:-1], out=first_letter[1:])
    if version == 3:
        cjk = word & _in_ranges(cp, CJK_RANGES)
        first_letter[1:] |= cjk[1:] | (word[1:] & cjk[:-1])    # a CJK character and what follows it start words
    key = line * 16
    key += cls
    key += first_letter.view(np.uint8) << np.uint8(3)
    key[enc.starts[1:] - 1] += 2
    counts = np.bincount(key, minlength=16 * n).reshape(n, 16).astype(np.float64)
    by_class = counts[:, :8] + counts[:, 8:]
    letters = by_class[:, 1] + by_class[:, 2] + by_class[:, 4]
    upper = by_class[:, 2]
    digits = by_class[:, 3]
    punct = by_class[:, 6]
    spaces = by_class[:, 5]
    nonspace = np.maximum(enc.lens - spaces, 1)
    n_words = counts[:, 9:13].sum(axis=1)
    # first and last non-space character of each line: the non-space positions are
    # sorted, so a line's are the run between its start and end
    pos = np.flatnonzero(cls != 5)          # separators are spaces too
    lo = np.searchsorted(pos, enc.starts)
    hi = np.searchsorted(pos, enc.starts + enc.lens)
    has = hi > lo
    if not len(pos):                        # no line has text: keep the gathers below in range
        pos = np.zeros(1, dtype=np.intp)
    first = np.where(has, pos[np.minimum(lo, len(pos) - 1)], -1)
    last = np.where(has, pos[np.maximum(hi - 1, 0)], -1)
    last_ch = np.where(has, cp[np.maximum(last, 0)], 0)
    # a closing quote or bracket after the full stop still ends a sentence
    before_last = np.where(has & (last > 0), cp[np.maximum(last - 1, 0)], 0)
    term = np.isin(last_ch, [ord(c) for c in _TERMINAL])
    term |= np.isin(last_ch, [ord(c) for c in _CLOSERS]) & np.isin(before_last, [ord(c) for c in _TERMINAL])
    first_cls = np.where(has, cls[np.maximum(first, 0)], 0)
    pipes = np.bincount(line[np.isin(cp, [ord("|"), ord("•"), ord("·"), ord("»"), ord("›")])], minlength=n)

    out[:, 0] = np.log1p(enc.full_len)
    out[:, 1] = np.log1p(n_words)
    out[:, 2] = term
    out[:, 3] = first_cls == 2
    out[:, 4] = first_cls == 3
    out[:, 5] = letters / nonspace
    out[:, 6] = digits / nonspace
    out[:, 7] = upper / np.maximum(letters, 1)
    out[:, 8] = punct / nonspace
    out[:, 9] = np.log1p(letters / np.maximum(n_words, 1))
    out[:, 10] = pipes > 0
    return out


MARK_NAMES = ("comment_header", "comment_meta")


def _key_hits(raw: bytes, keys) -> list[int]:
    """Byte offsets of every occurrence of the keys in ``raw``."""
    find, hits = raw.find, []
    for key in keys:
        kb = key.encode("utf-8")
        j = find(kb)
        while j >= 0:
            hits.append(j)
            j = find(kb, j + 1)
    return hits


def mark_matrix(lines: list[str]) -> np.ndarray:
    """0/1 marks of a comment section per line (n_lines × len(MARK_NAMES)).

    A line is marked when its lowercased text holds one of the pattern's keys, it has
    at most the pattern's number of words, and the pattern matches. Depends on the
    line alone, like the shapes, so callers compute it once per distinct line.
    """
    out = np.zeros((len(lines), len(MARK_NAMES)))
    if not lines:
        return out
    # the lines that can be marked (few words), lowercased and joined into one UTF-8
    # buffer: bytes.find is fast, and a key's bytes match only whole characters
    limit = max(COMMENT_HEADER_MAX_WORDS, COMMENT_META_MAX_WORDS)
    lengths = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    pool = np.flatnonzero(lengths <= MARK_SHORT_CHARS).tolist()
    pool += [i for i in np.flatnonzero(lengths > MARK_SHORT_CHARS).tolist()
             if len(lines[i].split(None, limit)) <= limit]          # stops splitting early
    pool.sort()
    raw = "\n".join([lines[i] for i in pool]).lower().encode("utf-8", "surrogatepass")
    buf = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    if len(ends) == len(pool) - 1:
        ends = np.append(ends, len(raw))
    else:                                   # a line holds "\n" itself: measure each line
        ends = np.cumsum([len(lines[i].lower().encode("utf-8", "surrogatepass")) + 1 for i in pool]) - 1
    colon = np.flatnonzero(buf[1:-1] == ord(":")) + 1 if len(buf) > 2 else np.zeros(0, dtype=np.intp)
    digit = (buf >= ord("0")) & (buf <= ord("9"))
    times = colon[digit[colon - 1] & digit[colon + 1]].tolist()
    for c, (pattern, hits, max_words) in enumerate((
            (COMMENT_HEADER, _key_hits(raw, COMMENT_HEADER_KEYS), COMMENT_HEADER_MAX_WORDS),
            (COMMENT_META, _key_hits(raw, COMMENT_META_KEYS) + times, COMMENT_META_MAX_WORDS))):
        found = np.unique(np.searchsorted(ends, np.array(hits, dtype=np.int64)))
        search = pattern.search
        marked = [i for i in (pool[k] for k in found.tolist())
                  if len(lines[i].split(None, max_words)) <= max_words and search(lines[i]) is not None]
        out[marked, c] = 1.0
    return out


def doc_offsets(lengths) -> np.ndarray:
    """Offsets of each document in the concatenated line array (len(lengths) + 1)."""
    return np.concatenate(([0], np.cumsum(np.asarray(lengths, dtype=np.int64))))


def context_names(version: int = FEATURE_VERSION) -> list[str]:
    """The columns of ``context_matrix`` for feature ``version``."""
    _check_version(version)
    names = ["score"]
    for k in NEIGHBOURS:
        names += [f"score_prev{k}", f"score_next{k}"]
    names += [f"mean_pm{w}" for w in CONTEXT_WINDOWS]
    names += ["doc_mean", "doc_prose_share", "rel_pos", "log_pos", "log_pos_from_end",
              "log_doc_lines", "prose_before", "prose_after", "log_dist_prose_prev",
              "log_dist_prose_next", "is_first", "is_last",
              "log_gap_to_core", "log_dist_to_core", "after_core"]
    names += list(SHAPE_NAMES)
    names += [f"{s}_prev1" for s in ("log_chars", "ends_terminal")]
    names += [f"{s}_next1" for s in ("log_chars", "ends_terminal")]
    names += list(MARK_NAMES)
    names += ["log_comment_headers_since_core"]
    names += [f"comment_meta_pm{w}" for w in MARK_WINDOWS]
    # what the caller counts as content, not a property of the line: 1 = the inclusive
    # convention (CleanEval's gold: comments, lists, tables and code are content too),
    # 0 = the article only. Training sets it from each source's gold; users choose it.
    names += ["inclusive"]
    names += list(EXTRA_NAMES.get(version, ()))
    return names


def _window_mean(x, doc_of, offsets, w):
    """Mean of x over [i-w, i+w] clipped to the line's document."""
    n = len(x)
    c = np.zeros(n + 1, dtype=x.dtype)      # integer x: exact sums
    np.cumsum(x, out=c[1:])
    i = np.arange(n)
    lo = np.maximum(i - w, offsets[doc_of])
    hi = np.minimum(i + w + 1, offsets[doc_of + 1])
    return (c[hi] - c[lo]) / (hi - lo)


def _fixed_window_mean(x, doc_of, offsets, w):
    """``_window_mean`` of float x (|x| < 2**30) summed in fixed point (2**-24): the same bits
    for a page alone and in a batch, where a float running sum differs in the last ones."""
    return _window_mean(np.rint(x * 2.0 ** 24).astype(np.int64), doc_of, offsets, w) / 2.0 ** 24


def context_matrix(score: np.ndarray, shape: np.ndarray, offsets: np.ndarray,
                   marks: np.ndarray, inclusive=False, *, version: int = FEATURE_VERSION) -> np.ndarray:
    """Stage-2 features of every line from its document's stage-1 logits, shapes and marks.

    ``score`` holds stage-1 logits of P(boilerplate) for all lines of all documents,
    concatenated, ``shape`` their ``shape_matrix`` rows and ``marks`` their
    ``mark_matrix`` rows; ``offsets`` marks where each document starts (see ``doc_offsets``).
    ``inclusive`` is the content convention the scores are wanted for (see
    ``context_names``): one bool for all lines, or one value per line (training mixes
    sources of both conventions). ``version`` is the model's feature version (see
    ``FEATURE_VERSION``): 1 reproduces the features older models were trained on.
    """
    _check_version(version)
    n = len(score)
    policy = np.asarray(inclusive, dtype=np.float64)
    if policy.ndim > 1 or (policy.ndim == 1 and len(policy) != n):
        raise ValueError(f"inclusive must be one value or one per line ({n}), got shape {policy.shape}")
    s = np.clip(score, -8.0, 8.0)
    names = context_names(version)
    if n == 0:
        return np.zeros((0, len(names)))
    n_docs = len(offsets) - 1
    sizes = np.diff(offsets)
    doc_of = np.repeat(np.arange(n_docs), sizes)
    i = np.arange(n)
    start, end = offsets[doc_of], offsets[doc_of + 1]
    # written column by column into one preallocated array: building a list of
    # columns and stacking it held three copies of the matrix (~0.9 GB for 1 M lines).
    # Column-major, so each column is one contiguous write.
    out = np.empty((len(names), n)).T
    col = iter(range(out.shape[1]))

    def put(x):
        out[:, next(col)] = x

    put(s)
    for k in NEIGHBOURS:
        prev_ok = i - k >= start
        next_ok = i + k < end
        # outside the document counts as "boilerplate-like" (logit +2): pages start and end in chrome
        put(np.where(prev_ok, s[np.maximum(i - k, 0)], 2.0))
        put(np.where(next_ok, s[np.minimum(i + k, n - 1)], 2.0))
    for w in CONTEXT_WINDOWS:
        put(_window_mean(s, doc_of, offsets, w))
    doc_sum = np.add.reduceat(s, offsets[:-1][sizes > 0]) if n else np.zeros(0)
    doc_mean = np.zeros(n_docs)
    doc_mean[sizes > 0] = doc_sum / sizes[sizes > 0]
    put(doc_mean[doc_of])
    prose = (s < 0).astype(np.float64)
    prose_sum = np.zeros(n_docs)
    prose_sum[sizes > 0] = np.add.reduceat(prose, offsets[:-1][sizes > 0])
    put((prose_sum / np.maximum(sizes, 1))[doc_of])
    size = sizes[doc_of]
    pos = i - start
    put(pos / np.maximum(size - 1, 1))
    put(np.log1p(pos))
    put(np.log1p(size - 1 - pos))
    put(np.log1p(size))
    # share of the document's prose (weighted by length) before and after the line:
    # lines after the article's end are comments, related links, footers
    mass = (1.0 / (1.0 + np.exp(s))) * shape[:, 0]
    cm = np.concatenate(([0.0], np.cumsum(mass)))
    total = cm[end] - cm[start]
    total = np.where(total > 0, total, 1.0)
    put((cm[i] - cm[start]) / total)
    put((cm[end] - cm[i + 1]) / total)
    # distance (in lines) to the nearest confident prose line before and after
    conf = s < PROSE_LOGIT
    # what the distances count as prose (near) and as a gap to the core (gap); version 5
    # counts a long sentence as prose whatever its score (SENTENCE_WORDS)
    near, gap = conf, s >= 0
    if version == 5:
        sentence = (shape[:, 2] > 0) & (shape[:, 1] >= np.log1p(SENTENCE_WORDS))
        near, gap = conf | sentence, gap & ~sentence
    last = np.maximum.accumulate(np.where(near, i, -1))
    prev_d = np.where(last >= start, i - last, MAX_DISTANCE)
    nxt_idx = np.minimum.accumulate(np.where(near, i, n)[::-1])[::-1]
    next_d = np.where(nxt_idx < end, nxt_idx - i, MAX_DISTANCE)
    put(np.log1p(np.minimum(prev_d, MAX_DISTANCE)))
    put(np.log1p(np.minimum(next_d, MAX_DISTANCE)))
    put((pos == 0).astype(np.float64))
    put((pos == size - 1).astype(np.float64))
    # the article's core: where prose is densest (largest window mean of prose mass).
    # Comments and related stories read like prose but sit past a run of non-prose
    # lines (headers, forms, "Reply") away from the core.
    # Summed in fixed point (2**-32), so exactly: float running sums over a batch differ
    # in the last bits with the document's offset in it, and on a run of identical lines
    # (all windows tied) that moved the core, so a page alone and in a batch differed.
    # (mass <= log1p(line length) < 20 below 400 M characters: int64 holds 10**8 lines)
    dense = _window_mean(np.rint(mass * 2.0 ** 32).astype(np.int64), doc_of, offsets, CORE_WINDOW)
    if version >= 2:
        # only lines above the first comment header with an article's worth of confident
        # prose above it may be the core (CORE_MIN_PROSE_CHARS); elsewhere -1, below any window
        prose_chars = np.where(conf, np.rint(np.expm1(shape[:, 0])), 0.0)
        pc = np.concatenate(([0.0], np.cumsum(prose_chars)))
        min_prose = CORE_MIN_PROSE_CHARS_V6 if version == 6 else CORE_MIN_PROSE_CHARS
        qualifies = (marks[:, 0] > 0) & (pc[i] - pc[start] >= min_prose)
        limit = np.full(n_docs, n)
        limit[sizes > 0] = np.minimum.reduceat(np.where(qualifies, i, n), offsets[:-1][sizes > 0])
        dense = np.where(i < limit[doc_of], dense, -1)
    nonempty = sizes > 0
    peak = np.zeros(n_docs)
    peak[nonempty] = np.maximum.reduceat(dense, offsets[:-1][nonempty])
    at_peak = np.flatnonzero(dense >= peak[doc_of])
    docs_hit, first = np.unique(doc_of[at_peak], return_index=True)
    core = np.zeros(n_docs, dtype=np.int64)
    core[docs_hit] = at_peak[first]
    core_i = core[doc_of]
    nonprose = np.concatenate(([0], np.cumsum(gap)))
    put(np.log1p(np.abs(nonprose[i + 1] - nonprose[core_i + 1])))
    put(np.log1p(np.abs(i - core_i)))
    put((i > core_i).astype(np.float64))
    for c in range(shape.shape[1]):
        put(shape[:, c])
    for k, ok in ((-1, i - 1 >= start), (1, i + 1 < end)):
        j = np.clip(i + k, 0, n - 1)
        put(np.where(ok, shape[j, 0], 0.0))
        put(np.where(ok, shape[j, 2], 0.0))
    for c in range(marks.shape[1]):
        put(marks[:, c])
    # comment-section headers between the article's core and the line: below one,
    # prose is more likely a reader's comment than the article
    headers = np.concatenate(([0.0], np.cumsum(marks[:, 0])))
    since_core = headers[i] - headers[np.minimum(core_i + 1, n)]     # < 0 before the core
    if version == 4:
        # WordPress and its kin put the comment form's header ("Leave a Reply") after the
        # comments, with no header above them: a line below the core with a comment-meta
        # line ("Reply", "says:", "9:42 am") between the core and it, and a header below
        # it, sits in such a section, and counts as below one header.
        meta = np.concatenate(([0.0], np.cumsum(marks[:, 1])))
        meta_between = meta[i + 1] - meta[np.minimum(core_i + 1, n)] > 0
        header_below = headers[end] - headers[i + 1] > 0
        since_core = np.where((i > core_i) & (since_core <= 0) & meta_between & header_below, 1.0, since_core)
    put(np.where(i > core_i, np.log1p(np.maximum(since_core, 0.0)), 0.0))
    for w in MARK_WINDOWS:
        put(_window_mean(marks[:, 1], doc_of, offsets, w))
    put(policy)
    if version == 7:
        for w in TEXTURE_WINDOWS:
            m = _fixed_window_mean(s, doc_of, offsets, w)
            m2 = _fixed_window_mean(s * s, doc_of, offsets, w)
            put(np.sqrt(np.maximum(m2 - m * m, 0.0)))
        side = (s < 0).astype(np.int64)
        switch = np.zeros(n, dtype=np.int64)        # line i against line i - 1 on its page
        switch[1:] = side[1:] != side[:-1]
        switch[start == i] = 0
        put(_window_mean(switch, doc_of, offsets, TEXTURE_WINDOWS[0]))
    if version == 8:
        put(_fixed_window_mean(shape[:, 0], doc_of, offsets, REGION_WINDOWS[0]))
        terminal = (shape[:, 2] > 0).astype(np.int64)
        for w in REGION_WINDOWS:
            put(_window_mean(terminal, doc_of, offsets, w))
    if next(col, None) is not None:
        raise RuntimeError("context_matrix wrote fewer columns than context_names(version) lists")
    return out
