"""training.align: line labels from alignment with a gold text."""
from __future__ import annotations

import random

from hypothesis import given, settings, strategies as st

import training.align as align
from training.align import align_labels, matching_blocks, tokenize
from training.labels import BOILERPLATE, CONTENT

C, B = CONTENT, BOILERPLATE


# --- tokens ---------------------------------------------------------------------

def test_tokenize_folds_case_and_accents():
    assert tokenize("Café NAÏVE Ångström") == ["cafe", "naive", "angstrom"]


def test_tokenize_splits_on_punctuation_and_keeps_numbers():
    assert tokenize("It's 9:30 -- e-mail, U.S.") == ["it", "s", "9", "30", "e", "mail", "u", "s"]


def test_tokenize_cjk_one_token_per_character():
    # Kana lose their voicing marks like Latin letters lose accents (で -> て):
    # the same folding on both sides, so it only merges near-identical tokens.
    assert tokenize("中文abc 日本語です") == ["中", "文", "abc", "日", "本", "語", "て", "す"]


def test_tokenize_compatibility_forms():
    # NFKD: ligatures and full-width letters fold to plain letters.
    assert tokenize("\ufb01nd ＡＢＣ") == ["find", "abc"]


def test_tokenize_punctuation_only():
    assert tokenize("*** | » — ©") == []


# --- labels ---------------------------------------------------------------------

def test_exact_match_is_all_content():
    lines = ["A headline for the story", "The first paragraph has words.", "And a second one too."]
    labels, shares = align_labels(lines, "\n".join(lines))
    assert labels == [C, C, C]
    assert shares == [1.0, 1.0, 1.0]


def test_boilerplate_line_sharing_words_with_the_gold():
    lines = ["Home", "News", "Share this story", "The mayor will share the budget with the council.",
             "Read more news"]
    gold = "The mayor will share the budget with the council. News of it spread fast."
    labels, shares = align_labels(lines, gold)
    assert labels == [B, B, B, C, B]
    assert shares[0] == shares[1] == shares[2] == 0.0


def test_line_split_differently_from_the_gold():
    lines = ["The quick brown fox", "jumps over the lazy dog", "while the cat sleeps."]
    gold = "The quick brown fox jumps\nover the lazy dog while the cat sleeps."
    labels, _ = align_labels(lines, gold)
    assert labels == [C, C, C]


def test_page_line_merging_two_gold_lines():
    lines = ["Menu", "First gold paragraph here. Second gold paragraph follows.", "Footer"]
    gold = "First gold paragraph here.\nSecond gold paragraph follows."
    assert align_labels(lines, gold)[0] == [B, C, B]


def test_short_line_inside_a_block_that_crosses_lines():
    lines = ["Weather", "Storms will hit the coast tomorrow morning."]
    gold = "Weather\nStorms will hit the coast tomorrow morning."
    assert align_labels(lines, gold)[0] == [C, C]


def test_short_headline_matching_a_whole_gold_line_between_boilerplate():
    # "Weather" is cut off from the text by share buttons: no block of 3 tokens
    # reaches it, but it is a whole line on both sides.
    lines = ["Menu", "Weather", "Share", "Tweet", "Storms will hit the coast tomorrow morning."]
    gold = "Weather\nStorms will hit the coast tomorrow morning."
    assert align_labels(lines, gold)[0] == [B, C, B, B, C]


def test_short_line_matching_a_word_inside_a_gold_sentence_stays_boilerplate():
    lines = ["Home", "Sports", "He went home early because the match was cancelled."]
    gold = "The rain came. He went home early because the match was cancelled. Sports fans left."
    labels, shares = align_labels(lines, gold)
    assert labels == [B, B, C]
    assert shares[0] == 0.0


def test_two_token_line_alone_is_not_matched_by_chance():
    lines = ["Read more", "An unrelated sentence about the weather report."]
    gold = "You can read more about it later. Something else entirely."
    assert align_labels(lines, gold)[0] == [B, B]


def test_gold_with_question_marks_for_lost_characters():
    # l3s-gn1: every character above U+00FF became "?" in the gold.
    lines = ["Vojislav Koštunica’s party won the vote in Serbia’s capital", "Login"]
    gold = "Vojislav Ko?tunica?s party won the vote in Serbia?s capital"
    labels, shares = align_labels(lines, gold)
    assert labels == [C, B]
    assert shares[0] == 1.0


def test_real_question_marks_do_not_damage_non_latin_pages():
    lines = ["Что случилось?", "Москва сегодня была очень тихой весь день"]
    gold = "Что случилось?\nМосква сегодня была очень тихой весь день"
    assert align_labels(lines, gold) == ([C, C], [1.0, 1.0])


def test_accents_and_case_do_not_matter():
    lines = ["CAFÉ CRÈME IS GREAT TODAY", "cookie banner"]
    gold = "cafe creme is great today"
    assert align_labels(lines, gold)[0] == [C, B]


def test_cjk_lines():
    lines = ["首页", "今天天气很好，我们去公园散步。", "广告联系"]
    gold = "今天天气很好，我们去公园散步。"
    assert align_labels(lines, gold)[0] == [B, C, B]


def test_lines_without_tokens_are_boilerplate():
    lines = ["***", "The article text is right here.", "|"]
    labels, shares = align_labels(lines, "*** The article text is right here. |")
    assert labels == [B, C, B]
    assert shares[0] == shares[2] == 0.0


def test_half_matched_line_is_content_below_half_is_not():
    gold = "alpha beta gamma delta"
    half = ["alpha beta gamma delta one two three four"]  # 4 of 8 tokens
    less = ["alpha beta gamma delta one two three four five"]  # 4 of 9
    assert align_labels(half, gold) == ([C], [0.5])
    assert align_labels(less, gold)[0] == [B]


def test_numbers_the_gold_lacks_do_not_count_against_matched_words():
    lines = ["3.7.2 Influences", "C, Simula and Cpre were the main influences on it.", "Page 2 of 10"]
    gold = "Influences\nC, Simula and Cpre were the main influences on it."
    labels, shares = align_labels(lines, gold)
    assert labels == [C, C, B]
    assert shares[0] == 1.0 and shares[2] == 0.0


def test_numbers_alone_do_not_make_a_line_content():
    lines = ["2012", "Prices rose sharply in 2012 across the region."]
    gold = "Prices rose sharply in 2013 across the region."
    labels, shares = align_labels(lines, gold)
    assert labels == [B, C]
    assert shares[0] == 0.0 and shares[1] == 1.0


def test_empty_gold_and_empty_page():
    assert align_labels(["some line", "another line"], "") == ([B, B], [0.0, 0.0])
    assert align_labels([], "gold text here") == ([], [])


# --- long pages: anchored alignment ----------------------------------------------

def _words(rng, n):
    vocab = [f"w{i}" for i in range(300)] + ["the", "a", "of"] * 40
    return [rng.choice(vocab) for _ in range(n)]


def test_anchored_alignment_labels_like_the_direct_one(monkeypatch):
    rng = random.Random(0)
    article = [" ".join(_words(rng, rng.randint(5, 40))) for _ in range(60)]
    nav = [" ".join(_words(rng, rng.randint(1, 4))) for _ in range(80)]
    lines = nav[:40] + article[:30] + nav[40:60] + article[30:] + nav[60:]
    # The gold re-wraps the article and drops a paragraph.
    gold_tokens = " ".join(article[:12] + article[13:]).split()
    gold = "\n".join(" ".join(gold_tokens[i:i + 17]) for i in range(0, len(gold_tokens), 17))
    monkeypatch.setattr(align, "DIRECT_MAX_TOKENS", 10 ** 9)
    direct = align_labels(lines, gold)
    monkeypatch.setattr(align, "DIRECT_MAX_TOKENS", 0)
    anchored = align_labels(lines, gold)
    assert anchored[0] == direct[0]
    assert sum(y == C for y in direct[0]) == 59


def test_matching_blocks_anchored_blocks_are_consistent(monkeypatch):
    rng = random.Random(1)
    a = _words(rng, 3000)
    b = a[100:1500] + _words(rng, 50) + a[1600:2900]
    monkeypatch.setattr(align, "DIRECT_MAX_TOKENS", 0)
    blocks = matching_blocks(a, b)
    last_i = last_j = 0
    for i, j, n in blocks:
        assert n > 0 and i >= last_i and j >= last_j
        assert a[i:i + n] == b[j:j + n]
        last_i, last_j = i + n, j + n
    assert sum(n for _, _, n in blocks if n >= 3) >= 2700


# --- properties -------------------------------------------------------------------

_line = st.text(alphabet=st.sampled_from(list("abcdefgh éÜ中.,!? 12")), min_size=0, max_size=30)


@settings(max_examples=150, deadline=None)
@given(st.lists(_line, max_size=12), st.text(max_size=200))
def test_labels_and_shares_are_well_formed(lines, gold):
    labels, shares = align_labels(lines, gold)
    assert len(labels) == len(shares) == len(lines)
    assert all(0.0 <= s <= 1.0 for s in shares)
    assert all((y == C) == (s >= align.CONTENT_SHARE) for y, s in zip(labels, shares))


@settings(max_examples=150, deadline=None)
@given(st.lists(_line, max_size=12))
def test_a_page_aligned_with_its_own_text_is_content_wherever_it_has_words(lines):
    labels, _ = align_labels(lines, "\n".join(lines))
    assert labels == [C if tokenize(line) else B for line in lines]
