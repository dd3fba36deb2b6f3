"""The model wrapper: load a model, score lines, classify and clean documents.

One pipeline, batched over documents::

    text → lines → (non-blank lines) → stage 1: hashed TF-IDF n-grams → logistic regression
         → stage 2: the line's score, its neighbours' scores, window means, position,
           distance to the densest prose, shape → boosted trees
           (in ``inclusive`` mode: a second tree ensemble that also knows which content
           convention is asked for, the article only or comments, lists and tables too)
         → P(boilerplate) per line (older models: logits smoothed along the page, SMOOTHING)
         → labels: the page's most likely content/boilerplate sequence, each change of
           label costing SWITCH_COST (content_path; 0 = keep the lines below the threshold;
           the inclusive mode has its own, INCLUSIVE_THRESHOLD and INCLUSIVE_SWITCH_COST)
         → or every line when the kept ones hold fewer than MIN_ARTICLE_CHARS
           characters and the dropped ones hold MIN_DROPPED_PROSE characters of
           sentences, or nothing is kept (no article found: nothing is emptied)
         → else also the article's headline: a dropped line at most HEADLINE_LINES
           above the first kept line that repeats the article's words (headline.py)

Every input line comes back with its label and score (like jusText, nothing is
silently dropped); ``clean`` keeps the content lines.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from . import features as F
from .headline import HEADLINE_LINES, find_headline
from .modelfile import ModelFileError, read_model_file, write_model_file
from .repeats import REPEAT_WORDS, template_lines
from .trees import TREE_ARRAYS, bitvector_scores, check_trees, compile_trees, tree_scores

__all__ = ["CONTENT", "BOILERPLATE", "DEFAULT_THRESHOLD", "MIN_ARTICLE_CHARS", "SMOOTHING", "SWITCH_COST", "BATCH_LINES",
           "INCLUSIVE_THRESHOLD", "INCLUSIVE_SWITCH_COST",
           "MIN_DROPPED_PROSE", "RETRY_THRESHOLD", "REENTRY_COST", "FALLBACK_SENTENCES", "CJK_WORDS", "HEADLINE_LINES",
           "INCLUSIVE_PREFIX",
           "LineResult", "Model", "load_model", "default_model_path", "split_lines", "join_content",
           "keep_mask", "content_path", "smooth_scores", "decode_settings_problem"]

CONTENT = "content"
BOILERPLATE = "boilerplate"
# A line is boilerplate when P(boilerplate) >= threshold. Raise the threshold to
# keep more lines (higher recall of the article, more leftovers); lower it to drop more.
# The default mode's, chosen with SWITCH_COST by nested cross-validation on the sources
# of the article convention (session 26, docs/experiments.md; 0.5 before).
DEFAULT_THRESHOLD = 0.4
# When the lines a document keeps hold fewer characters than this, the model has
# found no article in it (a short page, a code listing, prose it was not trained
# on), and every line is kept: a whole page returned as content loses less than a
# page returned empty. 0 turns the fallback off. Chosen by nested cross-validation
# (docs/experiments.md). Trained models record it; a model file without it uses this.
MIN_ARTICLE_CHARS = 500
# ... unless the page is a short article found correctly. A page whose kept lines are
# short is kept whole only when nothing was kept, or when the dropped lines hold at
# least this many characters of sentences (lines of 3 or more words that end with
# . ! ? or a closing quote): prose the model dropped says it missed the article,
# while a short news brief in a page of menus leaves no prose behind. 0: every page
# with short kept lines is kept whole, as before session 14. Chosen by nested
# cross-validation (docs/experiments.md). Trained models record it; a model file
# without it uses 0.
MIN_DROPPED_PROSE = 200
# A page whose kept lines are that short can first be decoded once more at a looser
# threshold (same switch cost), its lines kept when those hold MIN_ARTICLE_CHARS: an
# article scored just above the threshold found without every menu of the page. Off
# (0): nested cross-validation found no gain at 0.5, 0.6 or 0.7 (session 27,
# docs/experiments.md); keep_mask takes it for reproducing that run.
RETRY_THRESHOLD = 0.0
# Where the fallback fires, it can keep the lines the decode kept plus the page's sentences
# (the sentence test above, as C4's line rule) instead of every line, when those hold
# MIN_ARTICLE_CHARS; a page with less prose than that is still kept whole. Off (every line):
# nested cross-validation found +0.0001 (session 28, docs/experiments.md): it helps news
# pages and costs readability's pages of code and lists as much; keep_mask takes it for
# reproducing that run.
FALLBACK_SENTENCES = False
# Chinese and Japanese put no spaces between words, so a sentence in them is one
# whitespace "word": when this is on, each of their characters counts as a word in the
# sentence test above (a page of Japanese prose the model dropped is then kept whole,
# as an English one is). A fix, not a tuned value: nested cross-validation found no
# loss (docs/experiments.md, session 15).
CJK_WORDS = True
# Stage-2 logits are smoothed along the document: each becomes (1 - w) of itself plus
# w of the mean of its two neighbours, so a line alone in a run of the other class is
# pulled towards it. Trained models record it; a model file without it is not smoothed.
# Session 5 chose 0.2; session 9's nested comparison did better with the switch cost
# below and no smoothing (docs/experiments.md), so new models do not smooth.
SMOOTHING = 0.0
# Labels come from the most likely content/boilerplate sequence of the page (a
# two-state Viterbi decode over the per-line scores): each change of label between
# neighbouring lines costs this many nats, so a lone line of one class inside a run
# of the other needs a confident score to break the run. 0 is the plain threshold
# rule. The default mode's, chosen with DEFAULT_THRESHOLD by nested cross-validation
# on the article sources (session 26; 0.5 before, capped by the seed pages: 3 dropped
# seed 001's headline; docs/experiments.md). Trained models record it; a model file
# without it uses 0, as it was trained.
SWITCH_COST = 1.0
# A change back to content after the page has left its content can cost this much more
# (a three-state decode: boilerplate before any content, content, boilerplate after it),
# so that comments after the article need more confident scores than the article did.
# Off (0, the two-state decode above): nested cross-validation found no gain at 0.5, 1
# or 2 (session 27, docs/experiments.md); content_path and keep_mask take it for
# reproducing that run.
REENTRY_COST = 0.0
# The inclusive mode decodes with its own threshold and switch cost. The default mode's
# two are chosen on the sources of the article convention, the one it serves (since
# session 26; docs/experiments.md); the inclusive mode's stay what nested cross-validation
# on every source, CleanEval's convention among them, chose for both before. Trained
# models record them; a model file without them decodes its inclusive mode with the
# default mode's.
INCLUSIVE_THRESHOLD = 0.5
INCLUSIVE_SWITCH_COST = 0.5
# Lines featurised per vectorised call: bounds memory on huge inputs while
# keeping per-call overhead small.
BATCH_LINES = 20_000
# Distinct lines hashed per n-gram call: a chunk's character arrays (a few hundred KB)
# stay in the CPU cache across the dozen passes over them (8% faster than 20,000).
STAGE1_LINES = 1_000
# Blank lines carry no text: they are reported as boilerplate with this score.
BLANK_SCORE = 1.0
STAGE1_ARRAYS = ("idf_word", "idf_char", "coef_word", "coef_char", "intercept1")
STAGE2_ARRAYS = TREE_ARRAYS
# The inclusive mode's trees are stored beside the default ones, under this prefix
# (inclusive_tree_feature, ...), with their own feature list in the header.
INCLUSIVE_PREFIX = "inclusive_"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class LineResult:
    """One input line with its label and P(boilerplate)."""

    text: str
    label: str
    score: float

    @property
    def is_content(self) -> bool:
        return self.label == CONTENT


def split_lines(text: str) -> list[str]:
    """Split on \\n, \\r\\n or a lone \\r; a final line break does not start a new line."""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    if text == "":
        return []
    # str.split is several times faster than the regex; "\r" is rare in scraped text
    lines = _LINE_BREAK.split(text) if "\r" in text else text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _as_lines(doc) -> list[str]:
    if isinstance(doc, str):
        return split_lines(doc)
    lines = list(doc)
    for i, line in enumerate(lines):
        if not isinstance(line, str):
            raise TypeError(f"line {i} is {type(line).__name__}, expected str")
    return lines


def _is_blank(line: str) -> bool:
    return not line or line.isspace()


def smooth_scores(z: np.ndarray, offsets: np.ndarray, weight: float) -> np.ndarray:
    """``(1 - weight) * z[i] + weight * (z[i-1] + z[i+1]) / 2`` within each document
    (``offsets`` as ``features.doc_offsets``); at a document's first and last line the
    line itself stands in for the missing neighbour."""
    if weight == 0.0 or len(z) == 0:
        return z
    i = np.arange(len(z))
    sizes = np.diff(offsets)
    start = np.repeat(offsets[:-1], sizes)
    end = np.repeat(offsets[1:], sizes)
    prev = z[np.maximum(i - 1, start)]
    nxt = z[np.minimum(i + 1, end - 1)]
    return (1.0 - weight) * z + (0.5 * weight) * (prev + nxt)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


def default_model_path() -> Path:
    return Path(str(resources.files("inference") / "models" / "default.npz"))


class Model:
    """A trained unboil model. Build one with ``load_model`` or ``training.train``."""

    def __init__(self, arrays: dict, header: dict):
        self.arrays = arrays
        self.header = header

    # --- properties -----------------------------------------------------------
    @property
    def threshold(self) -> float:
        """The default mode's threshold (``DEFAULT_THRESHOLD``)."""
        return float(self.header.get("threshold", DEFAULT_THRESHOLD))

    @property
    def inclusive_threshold(self) -> float:
        """The inclusive mode's threshold (``INCLUSIVE_THRESHOLD``; older models: the default mode's)."""
        return float(self.header.get("inclusive_threshold", self.threshold))

    @property
    def smoothing(self) -> float:
        return float(self.header.get("smoothing", 0.0))

    @property
    def switch_cost(self) -> float:
        """The cost of a label change between neighbouring lines (``SWITCH_COST``)."""
        return float(self.header.get("switch_cost", 0.0))

    @property
    def inclusive_switch_cost(self) -> float:
        """The inclusive mode's switch cost (``INCLUSIVE_SWITCH_COST``; older models: the default mode's)."""
        return float(self.header.get("inclusive_switch_cost", self.switch_cost))

    def _switch_cost(self, inclusive: bool) -> float:
        return self.inclusive_switch_cost if inclusive else self.switch_cost

    @property
    def min_chars(self) -> int:
        """Below this many kept characters a document is kept whole (``MIN_ARTICLE_CHARS``)."""
        return int(self.header.get("min_article_chars", MIN_ARTICLE_CHARS))

    @property
    def min_dropped_prose(self) -> int:
        """A page with short kept lines is kept whole only if it dropped this many
        characters of sentences (``MIN_DROPPED_PROSE``; 0: always)."""
        return int(self.header.get("min_dropped_prose", 0))

    @property
    def headline_lines(self) -> int:
        """How far above the article the headline is searched for (``HEADLINE_LINES``; 0: not)."""
        return int(self.header.get("headline_lines", 0))

    @property
    def feature_version(self) -> int:
        """The feature version the model was trained on (``features.FEATURE_VERSION``)."""
        return int(self.header.get("feature_version", F.FEATURE_VERSION))

    @property
    def card(self) -> dict:
        return self.header.get("card", {})

    @property
    def supports_inclusive(self) -> bool:
        """Whether the model has the inclusive mode's trees (models trained before that
        mode existed, or on sources of one content convention only, do not)."""
        return "inclusive_context_names" in self.header

    def _check_inclusive(self, inclusive) -> bool:
        if not isinstance(inclusive, (bool, np.bool_)):
            raise TypeError(f"inclusive must be True or False, got {inclusive!r}")
        if inclusive and not self.supports_inclusive:
            raise ValueError("this model has no inclusive mode: it was trained before that mode existed "
                             "or without sources of the inclusive convention (cleaneval-dev, "
                             "cleaneval-final); retrain it with `unboil train`")
        return bool(inclusive)

    # --- scoring ----------------------------------------------------------------
    @functools.cached_property
    def _stage2_default(self) -> "_Stage2":
        return _Stage2.build({k: self.arrays[k] for k in TREE_ARRAYS},
                             self.header.get("context_names", F.context_names(self.feature_version)),
                             self.feature_version)

    @functools.cached_property
    def _stage2_inclusive(self) -> "_Stage2":
        # built on first use only: a default-mode run never compiles these trees
        return _Stage2.build({k: self.arrays[INCLUSIVE_PREFIX + k] for k in TREE_ARRAYS},
                             self.header["inclusive_context_names"], self.feature_version)

    def _tree_scores(self, ctx: np.ndarray, inclusive: bool = False) -> np.ndarray:
        """Stage-2 logits from the full ``context_matrix`` rows, by the mode's trees."""
        return (self._stage2_inclusive if inclusive else self._stage2_default).scores(ctx)

    @functools.cached_property
    def _ngram_tables(self):
        a = self.arrays
        return F.ngram_tables(a["idf_word"], a["idf_char"], a["coef_word"], a["coef_char"])

    def stage1_scores(self, lines: list[str]):
        """Stage-1 logits, shape features and comment marks of non-blank lines, in bounded batches.

        All three depend on the line alone, so each distinct line is featurised once:
        pages of one site repeat their menus and footers (a third of the lines in
        a batch of the shared benchmark pages are repeats).
        """
        uniq, inverse = F.distinct_lines(lines)
        if len(uniq) == len(lines):
            return self._stage1_distinct(lines)
        scores, shapes, marks = self._stage1_distinct(uniq)
        return scores[inverse], shapes[inverse], marks[inverse]

    def _stage1_distinct(self, lines: list[str]):
        a = self.arrays
        scores, shapes = [], []
        for i in range(0, len(lines), STAGE1_LINES):
            enc = F.encode_lines(lines[i:i + STAGE1_LINES])
            scores.append(F.ngram_scores(enc, tables=self._ngram_tables) + float(a["intercept1"][0]))
            shapes.append(F.shape_matrix(enc, self.feature_version))
        if not scores:
            return np.zeros(0), np.zeros((0, len(F.SHAPE_NAMES))), np.zeros((0, len(F.MARK_NAMES)))
        return np.concatenate(scores), np.concatenate(shapes), F.mark_matrix(lines)

    def _score_nonblank(self, docs: list[list[str]], inclusive: bool) -> list[np.ndarray]:
        """P(boilerplate) for the given documents' lines (all non-blank), one call."""
        lines = [l for d in docs for l in d]
        s1, shape, marks = self.stage1_scores(lines)
        offsets = F.doc_offsets([len(d) for d in docs])
        ctx = F.context_matrix(s1, shape, offsets, marks, inclusive, version=self.feature_version)
        p = _sigmoid(smooth_scores(self._tree_scores(ctx, inclusive), offsets, self.smoothing))
        return [p[offsets[k]:offsets[k + 1]] for k in range(len(docs))]

    def predict_proba(self, docs, *, inclusive: bool = False) -> list[np.ndarray]:
        """P(boilerplate) for every line of every document (a list of texts or of line lists).

        All documents are scored in one vectorised pass (in batches of
        ``BATCH_LINES`` lines), so a list of documents costs far less than a loop.
        ``inclusive=True`` scores by the inclusive convention: user comments, lists,
        tables and code count as content, as in CleanEval's gold (mixed pages, forums);
        the default counts the article only.
        """
        inclusive = self._check_inclusive(inclusive)
        return self._predict_parts([_as_lines(d) for d in docs], inclusive)[0]

    def _predict_parts(self, docs: list[list[str]], inclusive: bool = False):
        """(P(boilerplate) per line, indices of the non-blank lines) per document."""
        # (inline rather than _is_blank: this runs once per line of the corpus)
        keep = [[i for i, l in enumerate(d) if l and not l.isspace()] for d in docs]
        scored = []
        # group documents so one call sees about BATCH_LINES lines: context features need whole documents
        group, size = [], 0
        for d, k in zip(docs, keep):
            group.append([d[i] for i in k])
            size += len(k)
            if size >= BATCH_LINES:
                scored += self._score_nonblank(group, inclusive)
                group, size = [], 0
        if group:
            scored += self._score_nonblank(group, inclusive)
        out = []
        for d, k, p in zip(docs, keep, scored):
            full = np.full(len(d), BLANK_SCORE)
            full[k] = p
            out.append(full)
        return out, keep

    def classify_many(self, docs, threshold: float | None = None, min_chars: int | None = None, *,
                      inclusive: bool = False, repeat_pages: int = 0) -> list[list[LineResult]]:
        """``classify`` for many documents in one batched pass. ``repeat_pages`` N >= 2: a line
        of at most ``REPEAT_WORDS`` words on N or more of ``docs`` is boilerplate too (a site's
        template; ``inference.repeats``), so a document's labels depend on the others; 0: off.
        Scores are the model's either way."""
        docs = [_as_lines(d) for d in docs]
        return self._classify_lines(docs, threshold, min_chars, inclusive, _templates(docs, repeat_pages))

    def _classify_lines(self, docs: list[list[str]], threshold=None, min_chars=None, inclusive: bool = False,
                        templates=None) -> list[list[LineResult]]:
        """``classify_many`` for documents already split into lines; ``templates``: see ``_keeps``."""
        return [[LineResult(line, CONTENT if kp else BOILERPLATE, s)
                 for line, kp, s in zip(d, keep.tolist(), p.tolist())]
                for d, p, _, keep in self._keeps(docs, threshold, min_chars, inclusive, templates)]

    def _keeps(self, docs: list[list[str]], threshold, min_chars, inclusive: bool, templates):
        """(lines, P(boilerplate), indices of the non-blank lines, keep mask) per document: the
        decode (``_keep``), then ``templates`` (per document, a bool per line that is boilerplate
        whatever its score, or None) dropped."""
        inclusive = self._check_inclusive(inclusive)
        t, m, c = self._threshold(threshold, inclusive), self._min_chars(min_chars), self._switch_cost(inclusive)
        probs, nonblank = self._predict_parts(docs, inclusive)
        for j, (d, p, k) in enumerate(zip(docs, probs, nonblank)):
            keep = _keep(d, p, t, m, k, c, self.headline_lines, self.min_dropped_prose)
            if templates is not None and templates[j] is not None:
                keep &= ~templates[j]
            yield d, p, k, keep

    def classify(self, text_or_lines, threshold: float | None = None, min_chars: int | None = None, *,
                 inclusive: bool = False) -> list[LineResult]:
        """Every line of one document with its label and P(boilerplate)."""
        return self.classify_many([text_or_lines], threshold, min_chars, inclusive=inclusive)[0]

    def clean_many(self, docs, threshold: float | None = None, min_chars: int | None = None, *,
                   inclusive: bool = False, repeat_pages: int = 0) -> list[str]:
        """``clean`` for many documents in one batched pass (no per-line result objects).
        ``repeat_pages``: see ``classify_many``."""
        docs = [_as_lines(d) for d in docs]
        return self._clean_lines(docs, threshold, min_chars, inclusive, _templates(docs, repeat_pages))

    def _clean_lines(self, docs: list[list[str]], threshold=None, min_chars=None,
                     inclusive: bool = False, templates=None) -> list[str]:
        """``clean_many`` for documents already split into lines of type str (the batch
        runner's, straight from ``split_lines``): no second pass to check them.
        ``templates``: see ``_keeps``."""
        return [_join_kept(d, keep, k)
                for d, _, k, keep in self._keeps(docs, threshold, min_chars, inclusive, templates)]

    def clean(self, text_or_lines, threshold: float | None = None, min_chars: int | None = None, *,
              inclusive: bool = False) -> str:
        """The content lines of one document, with a blank line kept between paragraphs
        where the input had one. ``inclusive``: see ``predict_proba``."""
        return self.clean_many([text_or_lines], threshold, min_chars, inclusive=inclusive)[0]

    def _threshold(self, threshold, inclusive: bool = False):
        mine = self.inclusive_threshold if inclusive else self.threshold
        t = mine if threshold is None else float(threshold)
        if not 0.0 <= t <= 1.0 or t != t:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold!r}")
        return t

    def _min_chars(self, min_chars):
        m = self.min_chars if min_chars is None else min_chars
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 0:
            raise ValueError(f"min_chars must be a whole number >= 0, got {min_chars!r}")
        return int(m)

    # --- persistence --------------------------------------------------------------
    def save(self, path) -> None:
        write_model_file(path, self.arrays, self.header)


@dataclass(frozen=True)
class _Stage2:
    """One tree ensemble and the columns of ``context_matrix`` it was trained on."""

    trees: dict
    compiled: object        # the bitvector evaluator's tables, or None (lock-step)
    columns: object         # None: all columns; an int n: the first n; else an index array

    @classmethod
    def build(cls, trees: dict, names: list[str], version: int) -> "_Stage2":
        # a model file lists the context features its trees index; one trained before
        # features were added lists a subset of today's, in its own order
        current = F.context_names(version)
        if names == current:
            columns = None
        elif names == current[:len(names)]:
            columns = len(names)     # a view of the leading columns, no copy
        else:
            columns = np.array([current.index(n) for n in names], dtype=np.intp)
        # the faster, bit-identical evaluator when the trees allow it (<= 32 leaves each)
        return cls(trees, compile_trees(trees), columns)

    def scores(self, ctx: np.ndarray) -> np.ndarray:
        if isinstance(self.columns, int):
            ctx = ctx[:, :self.columns]
        elif self.columns is not None:
            ctx = ctx[:, self.columns]
        return tree_scores(ctx, self.trees) if self.compiled is None else bitvector_scores(ctx, self.compiled)


def _templates(docs: list[list[str]], repeat_pages) -> list[np.ndarray] | None:
    """The lines of ``docs`` that ``repeat_pages`` makes boilerplate (None: off)."""
    if isinstance(repeat_pages, bool) or not isinstance(repeat_pages, (int, np.integer)) \
            or not (repeat_pages == 0 or repeat_pages >= 2):
        raise ValueError(f"repeat_pages must be 0 (off) or a whole number >= 2, got {repeat_pages!r}")
    return template_lines(docs, int(repeat_pages), REPEAT_WORDS) if repeat_pages else None


def keep_mask(lines: list[str], probs, threshold: float = DEFAULT_THRESHOLD,
              min_chars: int = MIN_ARTICLE_CHARS, switch_cost: float = SWITCH_COST,
              headline_lines: int = HEADLINE_LINES, min_dropped_prose: int = MIN_DROPPED_PROSE,
              cjk_words: bool = CJK_WORDS, retry_threshold: float = RETRY_THRESHOLD,
              reentry_cost: float = REENTRY_COST, fallback_sentences: bool = FALLBACK_SENTENCES) -> np.ndarray:
    """Which lines of one document to keep, given each line's P(boilerplate).

    The non-blank lines get the most likely sequence of labels (``content_path``, with
    ``reentry_cost``): with ``switch_cost`` 0, a line is kept when its score is below ``threshold``.
    If the kept lines hold fewer than ``min_chars`` characters, the page is decoded once
    more at ``retry_threshold`` (when above ``threshold``; 0: no retry) and those lines
    are kept if they hold ``min_chars``. If not, and nothing was kept
    or the dropped lines hold at least ``min_dropped_prose`` characters of sentences,
    the model found no article and every non-blank line is kept (with ``fallback_sentences``: the
    kept lines plus every line that reads as a sentence, when those hold ``min_chars``; the page
    then goes on as one whose article was found); otherwise the article's headline is
    kept too, if one is found within ``headline_lines`` lines above it
    (``headline.find_headline``; 0: no search). ``cjk_words``: each Chinese or
    Japanese character counts as a word in the sentence test. The one rule behind ``clean``,
    ``classify`` and the evaluation.
    """
    return _keep(lines, np.asarray(probs), threshold, min_chars,
                 [i for i, l in enumerate(lines) if not _is_blank(l)], switch_cost, headline_lines,
                 min_dropped_prose, cjk_words, retry_threshold, reentry_cost, fallback_sentences)


def content_path(probs, threshold: float = DEFAULT_THRESHOLD, switch_cost: float = SWITCH_COST,
                 reentry_cost: float = REENTRY_COST) -> np.ndarray:
    """The most likely content (True) / boilerplate (False) sequence for a run of lines.

    Maximises the sum of each line's log-odds of its label, measured from the
    threshold, minus ``switch_cost`` per change of label (Viterbi with two states).
    With two states the forward pass needs one number per line, the best
    boilerplate-minus-content score so far, d[i] = clip(d[i-1], -cost, cost) + s[i];
    going back, a line takes its own sign where |d| > cost and its successor's label
    otherwise. With ``switch_cost`` 0 this is exactly ``probs < threshold``.
    ``reentry_cost`` > 0: each change back to content after content was left costs that
    much more (``_path_with_reentry``).
    """
    probs = np.asarray(probs, dtype=np.float64)
    if (switch_cost <= 0 and reentry_cost <= 0) or len(probs) == 0:
        return probs < threshold
    p = np.clip(probs, _EPS, 1.0 - _EPS)
    t = min(max(threshold, _EPS), 1.0 - _EPS)
    s = (np.log(p) - np.log1p(-p)) - (np.log(t) - np.log1p(-t))
    if reentry_cost > 0:
        return _path_with_reentry(s, float(switch_cost), float(reentry_cost))
    return _path_from_log_odds(s, float(switch_cost))


def _path_with_reentry(s: np.ndarray, c: float, e: float) -> np.ndarray:
    """``content_path`` on log-odds ``s`` with three states: boilerplate before any content (0),
    content (1), boilerplate after content (2); a boilerplate line scores its log-odds, a content
    line 0; 0 -> 1 and 1 -> 2 cost ``c``, 2 -> 1 costs ``c + e``; 1 -> 0 and 0 -> 2 cannot happen."""
    n = len(s)
    came = np.zeros((n, 3), dtype=np.int8)      # the best previous state of each state
    v0, v1, v2 = float(s[0]), 0.0, -np.inf
    for i, si in enumerate(s[1:].tolist(), 1):
        from0, from2 = v0 - c, v2 - c - e
        if v1 >= from0 and v1 >= from2:
            n1, k1 = v1, 1
        elif from0 >= from2:
            n1, k1 = from0, 0
        else:
            n1, k1 = from2, 2
        from1 = v1 - c
        n2, k2 = (v2, 2) if v2 >= from1 else (from1, 1)
        came[i, 1], came[i, 2] = k1, k2
        v0, v1, v2 = v0 + si, n1, n2 + si
    state = 1 if v1 >= max(v0, v2) else (0 if v0 >= v2 else 2)
    content = np.zeros(n, dtype=bool)
    for i in range(n - 1, -1, -1):
        content[i] = state == 1
        state = int(came[i, state])
    return content


def _path_from_log_odds(s: np.ndarray, c: float) -> np.ndarray:
    """``content_path`` on log-odds ``s`` (boilerplate minus content), switch cost ``c`` > 0."""
    # The forward pass carries clip(d, -c, c). A line with |s| > 2c resets it: its d has
    # the sign of s and |d| > c whatever came before, so its label is fixed and the value
    # carried on is ±c. Only the runs of uncertain lines between resets need the
    # sequential loop (on a typical page a small share of the lines).
    d = s.copy()                    # exact for uncertain lines; the right sign and |d| > c elsewhere
    reset = np.abs(s) > 2.0 * c
    carried = np.where(s > 0, c, -c)
    prev, last = 0.0, -2
    for i in np.flatnonzero(~reset).tolist():
        if i != last + 1:           # a run starts: after a reset line, or at the first line
            prev = float(carried[i - 1]) if i > 0 else 0.0
        v = s[i] + prev
        d[i] = v
        prev = c if v > c else -c if v < -c else v
        last = i
    boiler = np.where(d > c, 1, np.where(d < -c, 0, -1))
    boiler[-1] = d[-1] >= 0
    known = np.where(boiler >= 0, np.arange(len(d)), len(d))
    nxt = np.minimum.accumulate(known[::-1])[::-1]     # the next line whose label is fixed
    return boiler[nxt] == 0


_EPS = 1e-12
MIN_SENTENCE_WORDS = 3


_CJK = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in F.CJK_RANGES) + "]")


def _is_sentence(line: str, cjk_words: bool = CJK_WORDS) -> bool:
    """Whether a line reads as a sentence: 3 or more words, ending with . ! ? 。 ！ ？ …
    (also before a closing quote or bracket), as the C4 corpus's line rule has it;
    with ``cjk_words``, each Chinese or Japanese character counts as a word."""
    line = line.rstrip()
    if not line:
        return False
    end = line[-1]
    if end in F._CLOSERS and len(line) > 1:     # the same ends as the ends_terminal feature
        end = line[-2]
    if end not in F._TERMINAL:
        return False
    if len(line.split(None, MIN_SENTENCE_WORDS - 1)) >= MIN_SENTENCE_WORDS:
        return True
    return cjk_words and len(_CJK.findall(line)) >= MIN_SENTENCE_WORDS


def _dropped_prose(lines, keep, enough: int, cjk_words: bool = CJK_WORDS) -> int:
    """Characters of the dropped lines that read as sentences, counted up to ``enough``."""
    total = 0
    for i in np.flatnonzero(~keep).tolist():
        if total >= enough:
            break
        if _is_sentence(lines[i], cjk_words):
            total += len(lines[i].strip())
    return total


def _with_sentences(lines, keep, nonblank, cjk_words: bool = CJK_WORDS) -> np.ndarray:
    """The kept lines plus every non-blank line that reads as a sentence (a new mask)."""
    out = keep.copy()
    for i in nonblank:
        out[i] = out[i] or _is_sentence(lines[i], cjk_words)
    return out


def _kept_chars(lines, keep, enough: int) -> int:
    """Characters of the kept lines, counted up to ``enough``."""
    total = 0
    for i in np.flatnonzero(keep).tolist():     # stops as soon as the text is long enough
        total += len(lines[i].strip())
        if total >= enough:
            break
    return total


def _decode(probs, threshold, nonblank, switch_cost, n: int, reentry_cost=0.0) -> np.ndarray:
    if switch_cost > 0 or reentry_cost > 0:
        keep = np.zeros(n, dtype=bool)
        keep[nonblank] = content_path(probs[nonblank], threshold, switch_cost, reentry_cost)
        return keep
    return probs < threshold


def _keep(lines, probs, threshold, min_chars, nonblank, switch_cost, headline_lines=0,
          min_dropped_prose=0, cjk_words=CJK_WORDS, retry_threshold=0.0, reentry_cost=0.0,
          fallback_sentences=False) -> np.ndarray:
    keep = _decode(probs, threshold, nonblank, switch_cost, len(lines), reentry_cost)
    if min_chars > 0:
        total = _kept_chars(lines, keep, min_chars)
        if total < min_chars and retry_threshold > threshold:
            retry = _decode(probs, retry_threshold, nonblank, switch_cost, len(lines), reentry_cost)
            if _kept_chars(lines, retry, min_chars) >= min_chars:
                keep, total = retry, min_chars
        if total < min_chars:
            if total == 0 or _dropped_prose(lines, keep, min_dropped_prose, cjk_words) >= min_dropped_prose:
                prose = _with_sentences(lines, keep, nonblank, cjk_words) if fallback_sentences else None
                if prose is None or _kept_chars(lines, prose, min_chars) < min_chars:
                    keep = np.zeros(len(lines), dtype=bool)
                    keep[nonblank] = True
                    return keep
                keep = prose
    if headline_lines > 0:
        head = find_headline(lines, keep, headline_lines)
        if head is not None:
            keep[head] = True
    return keep


def join_content(results: list[LineResult]) -> str:
    """The content lines, one per line, with one blank line where the input had a
    blank line between two kept lines (paragraph breaks survive)."""
    lines = [r.text for r in results]
    return _join_kept(lines, np.array([r.is_content for r in results], dtype=bool),
                      [i for i, l in enumerate(lines) if not _is_blank(l)])


def _join_kept(lines: list[str], keep: np.ndarray, nonblank: list[int]) -> str:
    """``join_content`` from a keep mask and the indices of the non-blank lines.

    Works on the kept lines only: a blank line falls between two kept lines when
    fewer non-blank lines than lines lie between them.
    """
    kept = np.flatnonzero(keep)
    if len(kept) < 2 or len(nonblank) == len(lines):
        return "\n".join([lines[i] for i in kept])
    rank = np.zeros(len(lines) + 1, dtype=np.int64)      # non-blank lines before each index
    rank[np.asarray(nonblank, dtype=np.int64) + 1] = 1
    rank = np.cumsum(rank)
    gap = (kept[1:] - kept[:-1]) > (rank[kept[1:]] - rank[kept[:-1]])
    out = [lines[kept[0]]]
    for i, g in zip(kept[1:].tolist(), gap.tolist()):
        if g:
            out.append("")
        out.append(lines[i])
    return "\n".join(out)


def _checked_names(path, header: dict, key: str, default, version: int) -> list[str]:
    """The context feature names a header lists under ``key``, all computed by this unboil
    for the model's feature ``version``."""
    names = header.get(key, default)
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ModelFileError(f"{path}: {key} in the header is not a list of feature names")
    current = set(F.context_names(version))
    unknown = [n for n in names if n not in current]
    if unknown:
        raise ModelFileError(f"{path}: the model uses context features this unboil does not compute "
                             f"for feature version {version} ({', '.join(unknown[:3])}); "
                             "retrain the model with `unboil train`")
    return names


# A model's decode settings: (header key, default when absent, whole numbers only, range, in words)
_DECODE_SETTINGS = (
    ("threshold", DEFAULT_THRESHOLD, False, lambda v: 0.0 <= v <= 1.0, "a number between 0 and 1"),
    ("switch_cost", 0.0, False, lambda v: 0.0 <= v < float("inf"), "a finite number >= 0"),
    ("inclusive_threshold", DEFAULT_THRESHOLD, False, lambda v: 0.0 <= v <= 1.0, "a number between 0 and 1"),
    ("inclusive_switch_cost", 0.0, False, lambda v: 0.0 <= v < float("inf"), "a finite number >= 0"),
    ("smoothing", 0.0, False, lambda v: 0.0 <= v <= 1.0, "a number between 0 and 1"),
    ("min_article_chars", MIN_ARTICLE_CHARS, True, lambda v: v >= 0, "a whole number >= 0"),
    ("headline_lines", 0, True, lambda v: v >= 0, "a whole number >= 0"),
    ("min_dropped_prose", 0, True, lambda v: v >= 0, "a whole number >= 0"),
)


def decode_settings_problem(settings: dict):
    """``(key, value, what it should be)`` for the first bad decode setting, or None.

    One rule for a model file's header (``load_model``) and for ``training.train``,
    which checks before it spends the training time. NaN fails every range.
    """
    for key, default, whole, ok, says in _DECODE_SETTINGS:
        v = settings.get(key, default)
        kinds = (int, np.integer) if whole else (int, float, np.integer, np.floating)
        if isinstance(v, bool) or not isinstance(v, kinds) or not ok(v):
            return key, v, says
    return None


def load_model(path=None) -> Model:
    """Load a model file, or the bundled default model when ``path`` is None."""
    if path is None:
        path = default_model_path()
        if not path.exists():
            raise ModelFileError(f"the bundled default model is missing ({path}); reinstall unboil "
                                 "or pass a model file with --model")
    path = Path(path)
    arrays, header = read_model_file(path)
    missing = [k for k in STAGE1_ARRAYS + STAGE2_ARRAYS if k not in arrays]
    if missing:
        raise ModelFileError(f"{path}: model lacks arrays {', '.join(missing)}")
    version = header.get("feature_version")
    if not F.is_feature_version(version):
        raise ModelFileError(
            f"{path}: trained for feature version {version!r}, this unboil computes versions "
            f"{', '.join(map(str, F.FEATURE_VERSIONS))}; retrain the model with `unboil train`")
    names = _checked_names(path, header, "context_names", F.context_names(version), version)
    expect = {"idf_word": F.N_WORD_FEATURES, "idf_char": F.N_CHAR_FEATURES,
              "coef_word": F.N_WORD_FEATURES, "coef_char": F.N_CHAR_FEATURES,
              "intercept1": 1}
    for name, n in expect.items():
        a = arrays[name]
        if a.shape != (n,):
            raise ModelFileError(f"{path}: array {name!r} has shape {a.shape}, expected ({n},)")
        if a.dtype.kind != "f":
            raise ModelFileError(f"{path}: array {name!r} holds {a.dtype}, expected floating point")
        if not np.all(np.isfinite(a)):
            raise ModelFileError(f"{path}: array {name!r} holds NaN or infinite values")
    problem = check_trees(arrays, len(names))
    if problem:
        raise ModelFileError(f"{path}: {problem}")
    if "inclusive_context_names" in header:
        names = _checked_names(path, header, "inclusive_context_names", None, version)
        trees = {k: arrays.get(INCLUSIVE_PREFIX + k) for k in TREE_ARRAYS}
        missing = [INCLUSIVE_PREFIX + k for k, a in trees.items() if a is None]
        if missing:
            raise ModelFileError(f"{path}: model lacks arrays {', '.join(missing)}")
        problem = check_trees(trees, len(names))
        if problem:
            raise ModelFileError(f"{path}: inclusive mode: {problem}")
    problem = decode_settings_problem(header)
    if problem:
        key, value, says = problem
        raise ModelFileError(f"{path}: {key} {value!r} in the header is not {says}")
    return Model(arrays, header)
