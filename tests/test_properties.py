"""Properties of the model and of decoding that hold for any text (hypothesis).

Texts mix arbitrary unicode (no surrogates: a ``str`` read from a file never holds
them), control characters, NULs, every kind of line break, blank lines and lines far
longer than ``MAX_FEATURE_CHARS``.
"""
from __future__ import annotations

import re
from unittest import mock

import numpy as np
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import inference.model as M
from inference import BOILERPLATE, CONTENT
from inference.features import MAX_FEATURE_CHARS
from inference.model import keep_mask, split_lines
from inference.textio import InputError, decode_text

SETTINGS = settings(max_examples=100, deadline=None)

ODD = "\x00\t\x0b\x0c\x1b\x1c\x7f\x85\xa0\u00ad\u200b\u2028\u2029\ufeff\ufffd\U0001f600\U00010000 .!?|•»"
chars = st.one_of(st.characters(exclude_categories=("Cs",)), st.sampled_from(ODD))
word_line = st.lists(st.sampled_from(["Read", "more", "The", "article", "said", "on", "Tuesday.",
                                      "Share", "|", "©", "2024", "—", "naïve", "日本語"]),
                     max_size=30).map(" ".join)
long_line = st.tuples(st.text(chars, min_size=1, max_size=3), st.integers(MAX_FEATURE_CHARS, 4000)).map(
    lambda t: (t[0] * t[1])[: t[1]])
line = st.one_of(st.text(chars, max_size=80), word_line, st.sampled_from(["", " ", "\t", "  \x0c"]), long_line)
breaks = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def documents(draw):
    lines = draw(st.lists(line, max_size=25))
    text = ""
    for l in lines:
        text += l + draw(breaks)
    if draw(st.booleans()):
        text = text[:-1] if text.endswith("\n") else text   # no final line break sometimes
    return text


texts = st.one_of(documents(), st.text(chars, max_size=300))
thresholds = st.one_of(st.just(None), st.floats(0.0, 1.0))


def _blank(s: str) -> bool:
    return not s or s.isspace()


@SETTINGS
@given(text=texts, t=thresholds)
@example(text="Read more\n\nThe article said so.\r\n\r\nA second paragraph.\rEnd", t=0.99)
def test_clean_is_an_in_order_subsequence_of_the_lines(seed_model, text, t):
    lines = split_lines(text)
    cleaned = seed_model.clean(text, threshold=t)
    out = cleaned.split("\n") if cleaned else []
    kept = [i for i, r in enumerate(seed_model.classify(text, threshold=t)) if r.is_content]
    # the output is the kept input lines, in input order, with one empty line exactly
    # where the input had a blank line between two kept lines (a paragraph break)
    expected = []
    for a, b in zip([None] + kept, kept):
        if a is not None and any(_blank(l) for l in lines[a + 1:b]):
            expected.append("")
        expected.append(lines[b])
    assert out == expected
    assert all(not _blank(lines[i]) for i in kept)


@SETTINGS
@given(text=texts, t=thresholds)
def test_classify_returns_every_line_once_with_a_score(seed_model, text, t):
    results = seed_model.classify(text, threshold=t)
    assert [r.text for r in results] == split_lines(text)
    cut = seed_model.threshold if t is None else t
    strict = seed_model.classify(text, threshold=t, min_chars=0)
    keep = keep_mask(split_lines(text), [r.score for r in results], cut, seed_model.min_chars,
                     seed_model.switch_cost)
    keep0 = keep_mask(split_lines(text), [r.score for r in results], cut, 0, seed_model.switch_cost)
    for r, r0, k, k0 in zip(results, strict, keep, keep0):
        assert np.isfinite(r.score) and 0.0 <= r.score <= 1.0
        assert r0.score == r.score and r0.label == (BOILERPLATE if not k0 else CONTENT)
        assert r.label == (CONTENT if k else BOILERPLATE)
        if _blank(r.text):
            assert r.label == BOILERPLATE and r.score == 1.0
    # the lines as a list give the same result as the text
    assert seed_model.classify(split_lines(text), threshold=t) == results


@SETTINGS
@given(docs=st.lists(texts, max_size=6))
# found by hypothesis: on a run of identical lines every window ties for the article's
# core, and float running sums over the batch used to pick a different one than alone
@example(docs=["0", "0\n" * 150 + "\n"])
def test_batch_equals_one_at_a_time(seed_model, docs):
    batch = seed_model.classify_many(docs)
    assert len(batch) == len(docs)
    for doc, many in zip(docs, batch):
        one = seed_model.classify(doc)
        assert [(r.text, r.label) for r in many] == [(r.text, r.label) for r in one]
        np.testing.assert_allclose([r.score for r in many], [r.score for r in one], rtol=1e-9, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(docs=st.lists(documents(), min_size=1, max_size=4), size=st.integers(1, 9))
def test_scores_do_not_depend_on_the_batch_size(seed_model, docs, size):
    before = seed_model.predict_proba(docs)
    with mock.patch.object(M, "BATCH_LINES", size):   # many stage-1 chunks and document groups
        after = seed_model.predict_proba(docs)
    for a, b in zip(before, after):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@SETTINGS
@given(text=texts)
def test_the_same_input_twice_gives_the_same_output(seed_model, text):
    first = seed_model.predict_proba([text])[0]
    second = seed_model.predict_proba([text])[0]
    np.testing.assert_array_equal(first, second)
    assert seed_model.clean(text) == seed_model.clean(text)


# --- decoding ---------------------------------------------------------------------

# the binary signatures that valid UTF-8 text can start with: such a file is refused
SIGNATURE = re.compile(rb"GIF8[79]a|%PDF-|PK\x03\x04|\x7fELF|BZh[1-9]1AY&SY|RIFF.{4}(WAVE|AVI |WEBP)", re.S)


def _controls(raw: bytes) -> float:
    return sum(1 for b in raw if b < 32 and b not in (9, 10, 12, 13, 27)) / max(len(raw), 1)


@SETTINGS
@given(text=st.one_of(documents(), st.text(chars, max_size=300)))
@example(text="RIFFS and riffs.")
@example(text="BZhang Wei said.")
@example(text="GIF8 is not an image.")
def test_utf8_text_is_decoded_unchanged(text):
    raw = text.encode("utf-8")
    try:
        got = decode_text(raw)
    except InputError:
        assert _controls(raw[:64 * 1024]) > 0.10 or SIGNATURE.match(raw), f"text refused: {text!r}"
        return
    assert got == (text[1:] if text.startswith("\ufeff") else text)     # a BOM is not text


@SETTINGS
@given(text=st.text(st.characters(codec="cp1252", exclude_categories=("Cc", "Cs")), min_size=1, max_size=200))
def test_cp1252_text_without_utf8_lookalikes_is_decoded_unchanged(text):
    raw = text.encode("cp1252")
    # cp1252 text that starts like a BOM (ÿþ, þÿ, ï»¿) or a signature (ÿØÿ, %PDF-) is ambiguous
    assume(not raw.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\xff\xd8\xff"))
           and not SIGNATURE.match(raw))
    try:
        raw.decode("utf-8")
        return                  # also valid UTF-8 (e.g. pure ASCII): read as UTF-8, covered above
    except UnicodeDecodeError:
        pass
    got = decode_text(raw)
    if got != text:
        # the only other reading is UTF-8 with broken bytes, chosen when it has more valid
        # multi-byte sequences than broken ones
        assert "\ufffd" in got
        assert got == raw.decode("utf-8", errors="replace")


@SETTINGS
@given(raw=st.binary(max_size=2000))
def test_decode_text_accepts_or_refuses_any_bytes(raw):
    try:
        text = decode_text(raw)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(text, str)
    text.encode("utf-8")        # no lone surrogates: every decoded text can be written out


comment_line = st.lists(st.sampled_from(["Reply", "42", "Comments", "Leave", "a", "comment", "says:", "9:42", "9", ":",
                                         "am", "3", "hours", "ago", "Permalink", "Kommentare", "(12)", "—",
                                         "REPLIES", "Report", "abuse", "Antworten", "İ", "word"]),
                        max_size=18).map(" ".join)


@SETTINGS
@given(st.lists(st.one_of(line, comment_line), max_size=30))
@example(["Comments\n(3)", "Reply", "x" * 200 + " Reply", "9:42 am", "٣:٤٥ am"])   # a "\n" inside a line
def test_comment_marks_equal_their_plain_definition(lines):
    """The batch-wide byte search only skips work: every line is marked exactly as
    checking it alone (a lowercased key, the word limit, the pattern) marks it."""
    from inference import features as F
    def plain(l, pattern, keys, limit, times=False):
        low = l.lower()
        has_key = any(k in low for k in keys) or (times and re.search("[0-9]:[0-9]", low) is not None)
        return has_key and len(l.split()) <= limit and pattern.search(l) is not None
    want = [[plain(l, F.COMMENT_HEADER, F.COMMENT_HEADER_KEYS, F.COMMENT_HEADER_MAX_WORDS),
             plain(l, F.COMMENT_META, F.COMMENT_META_KEYS, F.COMMENT_META_MAX_WORDS, times=True)]
            for l in lines]
    np.testing.assert_array_equal(F.mark_matrix(lines), np.array(want, dtype=float).reshape(-1, 2))
