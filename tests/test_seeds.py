"""The seed behaviour the project started from, with the bundled model and leave-one-seed-out."""
from inference import load_model
from inference.model import split_lines

from conftest import LABELS, SEED_WITH_WIDGET, needs_shared

MUST_DROP = ["A Message from The Moscow Times:", "Dear readers,", "Once", "Monthly", "Annual",
             "Continue", "Read more", "Remind me later.", "×", "Enjoying ad-free content?", "Support us"]
# Boilerplate the bundled model keeps although seed 001's labels are in its training data
# (measured; docs/errors.md §1): since session 12 the photo caption scores P 0.46-0.53 between
# the headline and the first paragraph, and the sequence decode keeps it. Any other kept
# boilerplate line fails the test.
KNOWN_BUNDLED_MISSES = {
    "Russian President Vladimir Putin and Kyrgyzstan President Sadyr Japarov pictured during "
    "talks at the Kremlin on Monday. Mikhail Metzel / TASS",
}


def _content_lines():
    from training.labels import read_label_file
    doc = read_label_file(LABELS / f"{SEED_WITH_WIDGET.stem}.tsv")
    return [l for l, y in zip(doc.lines, doc.labels) if y == "content"]


def _kept(model):
    return [r.text for r in model.classify(SEED_WITH_WIDGET.read_text(encoding="utf-8")) if r.is_content]


def test_default_model_cleans_the_seed():
    kept = _kept(load_model())
    for line in MUST_DROP:
        assert line not in kept, f"kept boilerplate: {line!r}"
    appeal = [l for l in split_lines(SEED_WITH_WIDGET.read_text(encoding="utf-8"))
              if "Moscow Times" in l or "support" in l.lower()]
    assert not set(appeal) & set(kept)
    assert set(kept) - set(_content_lines()) <= KNOWN_BUNDLED_MISSES
    assert [l for l in kept if l not in KNOWN_BUNDLED_MISSES] == _content_lines(), \
        "the headline and every paragraph, nothing else but the known misses"


def test_default_model_inclusive_mode_keeps_the_article_and_drops_the_appeal():
    """Inclusive mode counts more as content (CleanEval's convention keeps captions), but
    the article stays whole and the donation appeal and its buttons still go."""
    model = load_model()
    assert model.supports_inclusive
    kept = [r.text for r in model.classify(SEED_WITH_WIDGET.read_text(encoding="utf-8"), inclusive=True)
            if r.is_content]
    assert set(_content_lines()) <= set(kept)
    for line in ["A Message from The Moscow Times:", "Dear readers,", "Once", "Monthly", "Annual",
                 "Continue", "Read more", "Remind me later.", "×", "Support us"]:
        assert line not in kept, f"kept boilerplate in inclusive mode: {line!r}"


# Lines a model that never saw seed 001's labels still keeps (measured; docs/errors.md):
# the top banner reads like prose and appears in no other training page, and the
# caption is a full sentence. The test fails if anything else goes wrong.
KNOWN_LEAVE_ONE_OUT_MISSES = {
    "Enjoying ad-free content?",
    "Since July 1, 2024, we have disabled all ads to improve your reading experience.",
    "This commitment costs us $10,000 a month. Your support can help us fill the gap.",
    "Our journalism is banned in Russia. We need your help to keep providing you with the truth.",
    "Russian President Vladimir Putin and Kyrgyzstan President Sadyr Japarov pictured during "
    "talks at the Kremlin on Monday. Mikhail Metzel / TASS",
}


# Boilerplate the small held-out model scores as boilerplate but the sequence decode may keep:
# "Support us" sits between two kept banner lines (known misses above), and one line breaks a
# kept run only with P(boilerplate) above about 0.83 (README, The threshold). It scores about
# 0.82, so which side it lands on depends on the CPU's rounding (kept on an AVX-512 machine with
# OpenBLAS's Haswell kernels, session 30). Kept only that way: scored >= 0.5, both neighbours kept.
LEAVE_ONE_OUT_DECODE_TIES = {"Support us"}


# Content the small held-out model drops (measured since stage 2 went from 200 to 100
# trees in session 6: the article's last paragraph, just above the appeal block; the
# bundled model keeps it). Any other dropped line fails the test.
KNOWN_LEAVE_ONE_OUT_DROPS = {
    "The leaders agreed to boost military ties as Moscow's offensive in Ukraine stretches into "
    "its second year and the West is mulling new sanctions against Moscow.",
}


@needs_shared
def test_leave_one_seed_out(held_out_model):
    """Trained on shared pages plus the *other* seed only: the appeal, the widget, "Read more"
    and "Remind me later." go, the headline and every paragraph but the known drop stay."""
    from training.labels import read_label_file
    doc = read_label_file(LABELS / f"{SEED_WITH_WIDGET.stem}.tsv")
    kept = set(_kept(held_out_model))
    dropped_content = [l for l, y in zip(doc.lines, doc.labels) if y == "content" and l not in kept]
    kept_boilerplate = {l for l, y in zip(doc.lines, doc.labels) if y == "boilerplate" and l in kept}
    assert set(dropped_content) <= KNOWN_LEAVE_ONE_OUT_DROPS, set(dropped_content) - KNOWN_LEAVE_ONE_OUT_DROPS
    ties = kept_boilerplate & LEAVE_ONE_OUT_DECODE_TIES
    assert kept_boilerplate - ties <= KNOWN_LEAVE_ONE_OUT_MISSES, kept_boilerplate - ties - KNOWN_LEAVE_ONE_OUT_MISSES
    rows = [r for r in held_out_model.classify(SEED_WITH_WIDGET.read_text(encoding="utf-8")) if r.text.strip()]
    for k, r in enumerate(rows):
        if r.text in LEAVE_ONE_OUT_DECODE_TIES:
            assert r.score >= 0.5, (r.text, r.score)                      # the model knows it is boilerplate
            if r.is_content:                                              # kept only inside a kept run
                assert 0 < k < len(rows) - 1 and rows[k - 1].is_content and rows[k + 1].is_content, r.text
    for line in ("A Message from The Moscow Times:", "Dear readers,", "Once", "Monthly", "Annual",
                 "Continue", "Read more", "Remind me later."):
        assert line not in kept, line
