import numpy as np
import pytest

from inference import features as F


@pytest.fixture(scope="module")
def weights():
    rng = np.random.default_rng(0)
    return (rng.random(F.N_WORD_FEATURES).astype(np.float32) + 1,
            rng.random(F.N_CHAR_FEATURES).astype(np.float32) + 1,
            rng.standard_normal(F.N_WORD_FEATURES), rng.standard_normal(F.N_CHAR_FEATURES))


LINES = ["Hello world 2024!", "Read more", "Ünïcödé İstanbul straße 東京タワー 🙂",
         "a", "x" * 50, "Once", "Price: $10,000 a month."]


def test_batch_equals_one_line_at_a_time(weights):
    idf_w, idf_c, _, _ = weights
    batch = F.ngram_matrix(F.encode_lines(LINES), idf_w, idf_c).toarray()
    for i, line in enumerate(LINES):
        one = F.ngram_matrix(F.encode_lines([line]), idf_w, idf_c).toarray()
        np.testing.assert_allclose(one[0], batch[i], atol=1e-6)
    shape = F.shape_matrix(F.encode_lines(LINES))
    for i, line in enumerate(LINES):
        np.testing.assert_allclose(F.shape_matrix(F.encode_lines([line]))[0], shape[i])


def test_scores_without_a_matrix_equal_matrix_product(weights):
    idf_w, idf_c, c_w, c_c = weights
    enc = F.encode_lines(LINES)
    x = F.ngram_matrix(enc, idf_w, idf_c)
    np.testing.assert_allclose(F.ngram_scores(enc, idf_w, idf_c, c_w, c_c),
                               x @ np.concatenate([c_w, c_c]), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("lines", [["Read more", ""], ["ab", "c"], ["", "", "x y"], ["one two", "!"], [""]])
def test_scores_equal_matrix_product_when_lines_are_too_short_for_ngrams(weights, lines):
    # short lines leave empty n-gram segments at the end of the batch
    idf_w, idf_c, c_w, c_c = weights
    enc = F.encode_lines(lines)
    x = F.ngram_matrix(enc, idf_w, idf_c)
    np.testing.assert_allclose(F.ngram_scores(enc, idf_w, idf_c, c_w, c_c),
                               x @ np.concatenate([c_w, c_c]), rtol=1e-5, atol=1e-5)


def test_rows_are_unit_length_per_block(weights):
    idf_w, idf_c, _, _ = weights
    # (exactly unit length when no n-gram repeats within the line, see weigh_counts)
    x = F.ngram_matrix(F.encode_lines(["a cat sat on my mat", "Read more"]), idf_w, idf_c)
    words = x[:, :F.N_WORD_FEATURES].toarray()
    np.testing.assert_allclose(np.linalg.norm(words, axis=1), 1.0, rtol=1e-5)


def test_word_and_char_ngrams_are_present():
    words, chars = F.count_matrices(F.encode_lines(["one two three"]))
    assert words.sum() == 3 + 2          # three unigrams, two bigrams
    # " one two three " is 15 characters: 13 trigrams, 12 four-grams, 11 five-grams
    assert chars.sum() == 13 + 12 + 11


def test_digits_are_folded_and_case_ignored():
    a = F.count_matrices(F.encode_lines(["Posted 12 May 2019"]))
    b = F.count_matrices(F.encode_lines(["posted 31 may 2024"]))
    for x, y in zip(a, b):
        assert (x != y).nnz == 0


def test_ngrams_never_span_two_lines():
    both = F.count_matrices(F.encode_lines(["abc", "def"]))[1]
    alone = F.count_matrices(F.encode_lines(["abcdef"]))[1]
    assert both[0].sum() + both[1].sum() < alone.sum() + 6
    assert (both[0] != F.count_matrices(F.encode_lines(["abc"]))[1]).nnz == 0


def test_long_lines_are_capped_for_features_but_length_counts():
    long = "word " * 100_000
    capped = long[:F.MAX_FEATURE_CHARS]
    a = F.count_matrices(F.encode_lines([long]))
    b = F.count_matrices(F.encode_lines([capped]))
    assert all((x != y).nnz == 0 for x, y in zip(a, b))
    assert F.shape_matrix(F.encode_lines([long]))[0, 0] > F.shape_matrix(F.encode_lines([capped]))[0, 0]


def test_shape_features_read_punctuation_and_capitals():
    names = list(F.SHAPE_NAMES)
    s = F.shape_matrix(F.encode_lines(["This is a sentence.", "MENU", "He said “yes.”", "  "]))
    assert s[0, names.index("ends_terminal")] == 1
    assert s[1, names.index("ends_terminal")] == 0
    assert s[2, names.index("ends_terminal")] == 1
    assert s[1, names.index("upper_share")] == 1
    assert s[0, names.index("starts_upper")] == 1
    assert np.all(s[3, 1:] == 0)      # a blank line has a length and nothing else


def test_context_stays_inside_each_document():
    rng = np.random.default_rng(1)
    score = rng.standard_normal(30)
    shape = rng.random((30, len(F.SHAPE_NAMES)))
    marks = (rng.random((30, len(F.MARK_NAMES))) < 0.3).astype(float)
    offsets = F.doc_offsets([10, 12, 8])
    full = F.context_matrix(score, shape, offsets, marks)
    assert full.shape == (30, len(F.context_names()))
    # the middle document alone gives the same features as inside the batch
    alone = F.context_matrix(score[10:22], shape[10:22], F.doc_offsets([12]), marks[10:22])
    np.testing.assert_allclose(full[10:22], alone)


def test_empty_batch():
    enc = F.encode_lines([])
    assert F.ngram_scores(enc, np.ones(F.N_WORD_FEATURES), np.ones(F.N_CHAR_FEATURES),
                          np.ones(F.N_WORD_FEATURES), np.ones(F.N_CHAR_FEATURES)).shape == (0,)
    assert F.shape_matrix(enc).shape == (0, len(F.SHAPE_NAMES))


def test_astral_characters_take_the_slow_path_and_change_nothing_else():
    plain = F.encode_lines(["Hello World 2024", "Read more"])
    mixed = F.encode_lines(["Hello World 2024", "Read more", "🙂 Ok"])
    n = len(plain.fold)
    np.testing.assert_array_equal(mixed.fold[:n], plain.fold)
    np.testing.assert_array_equal(mixed.cls[:n], plain.cls)
    emoji = mixed.starts[2] + 1
    assert mixed.fold[emoji] == ord("🙂") and mixed.cls[emoji] == 4    # kept as is, letter-like
    assert mixed.fold.dtype == plain.fold.dtype == np.uint64
    assert mixed.cls.dtype == plain.cls.dtype == np.uint8


def test_feature_version_3_counts_each_chinese_or_japanese_character_as_a_word():
    lines = ["这是一个很长的中文句子。", "Hello world 你好 abc中文def", "ナビ・メニュー",
             "A plain English sentence, unchanged.", "Ünïcödé wörds 123", "", "𠀀𠀁 astral Han"]
    words, letters = list(F.SHAPE_NAMES).index("log_words"), list(F.SHAPE_NAMES).index("mean_word_len")
    v2 = F.shape_matrix(F.encode_lines(lines), version=2)
    v3 = F.shape_matrix(F.encode_lines(lines), version=3)
    # 11 characters and the full stop; Hello world 你 好 abc 中 文 def; ナ ビ メ ニ ュ ー (・ is punctuation)
    np.testing.assert_allclose(np.expm1(v3[:3, words]), [11, 8, 6])
    np.testing.assert_allclose(np.expm1(v2[:3, words]), [1, 4, 2])
    assert v3[0, letters] == pytest.approx(np.log1p(1.0))       # 11 letters over 11 words
    # lines without a character of CJK_RANGES are untouched (astral ideographs are outside them)
    np.testing.assert_array_equal(v3[3:], v2[3:])
    unchanged = [i for i in range(len(F.SHAPE_NAMES)) if i not in (words, letters)]
    np.testing.assert_array_equal(v3[:, unchanged], v2[:, unchanged])
    for i, line in enumerate(lines):        # a batch counts as its lines one at a time
        np.testing.assert_array_equal(F.shape_matrix(F.encode_lines([line]), version=3)[0], v3[i])


def test_shape_features_of_blank_and_spaced_lines():
    lines = ["", "   ", "\t", "  Hello, World!  ", "| Home | News", "x"]
    shape = F.shape_matrix(F.encode_lines(lines))
    names = list(F.SHAPE_NAMES)
    assert shape[0, names.index("log_words")] == 0 and shape[1, names.index("ends_terminal")] == 0
    assert shape[3, names.index("ends_terminal")] == 1 and shape[3, names.index("starts_upper")] == 1
    assert shape[3, names.index("log_words")] == pytest.approx(np.log1p(2))
    assert shape[4, names.index("has_pipe_or_bullet")] == 1 and shape[5, names.index("has_pipe_or_bullet")] == 0
    for i, line in enumerate(lines):
        np.testing.assert_array_equal(F.shape_matrix(F.encode_lines([line]))[0], shape[i])


def test_comment_marks():
    lines = ["42 Comments", "Leave a Reply", "Kommentare (3)", "Reply", "John says:",
             "July 5, 2012 at 9:42 am", "3 hours ago", "Report abuse",
             "The minister's comments were clear, and he said so again on Monday at a press conference.",
             "We reply to every letter we get from readers, usually within a week or two of receiving it.",
             "Home", ""]
    marks = F.mark_matrix(lines)
    assert marks.shape == (len(lines), len(F.MARK_NAMES))
    header, meta = marks[:, 0].tolist(), marks[:, 1].tolist()
    assert header == [1, 1, 1] + [0] * 9
    assert meta == [0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0]     # long sentences are not meta lines
    assert F.mark_matrix([]).shape == (0, len(F.MARK_NAMES))


def test_comment_headers_count_only_below_the_core():
    names = F.context_names()
    # a page: menu, 12 lines of prose (the core), a comment header, 6 comment lines
    score = np.array([3.0] + [-3.0] * 12 + [2.0] + [-2.0] * 6)
    shape = np.zeros((len(score), len(F.SHAPE_NAMES)))
    shape[:, 0] = np.log1p(80)
    marks = np.zeros((len(score), len(F.MARK_NAMES)))
    marks[13, 0] = 1                          # "42 Comments"
    marks[0, 0] = 1                           # a header above the core counts for nothing
    ctx = F.context_matrix(score, shape, F.doc_offsets([len(score)]), marks)
    since = ctx[:, names.index("log_comment_headers_since_core")]
    assert since[:14].tolist() == [0.0] * 14 and np.allclose(since[14:], np.log(2))
    assert ctx[13, names.index("comment_header")] == 1


def _post_above_comments(n_lines, line_chars):
    """menu, a post of n_lines confident prose lines of line_chars characters, a comment
    header ("42 Comments"), then 30 comment lines that are longer and as confident: their
    window is the densest on the page. (score, chars, shape, marks, offsets)"""
    score = np.array([3.0] + [-3.0] * n_lines + [2.0] + [-3.0] * 30)
    chars = np.array([10] + [line_chars] * n_lines + [11] + [300] * 30)
    shape = np.zeros((len(score), len(F.SHAPE_NAMES)))
    shape[:, 0] = np.log1p(chars)
    marks = np.zeros((len(score), len(F.MARK_NAMES)))
    marks[n_lines + 1, 0] = 1
    return score, chars, shape, marks, F.doc_offsets([len(score)])


def test_core_is_searched_above_a_comment_header_with_an_article_above_it():
    names = F.context_names()
    # an article of 8 prose lines (800 characters) above the comments
    score, chars, shape, marks, off = _post_above_comments(8, 100)
    old = F.context_matrix(score, shape, off, marks, version=1)
    new = F.context_matrix(score, shape, off, marks)
    after, since = names.index("after_core"), names.index("log_comment_headers_since_core")
    # version 1: the core lands in the comments, so the header is "above the core"
    assert old[10:, since].tolist() == [0.0] * 30 and old[:9, after].sum() == 0
    # version 2: the core is in the article, and every comment line is below one header
    assert np.allclose(new[10:, since], np.log(2)) and new[10:, after].all()
    assert not new[:2, after].any()
    # a header with less prose above it than CORE_MIN_PROSE_CHARS does not limit the search
    short = chars.copy()
    short[1:9] = F.CORE_MIN_PROSE_CHARS // 8 - 1
    shape[:, 0] = np.log1p(short)
    np.testing.assert_array_equal(F.context_matrix(score, shape, off, marks)[:, since],
                                  F.context_matrix(score, shape, off, marks, version=1)[:, since])


def _wordpress_page():
    """menu, 12 prose lines (the core), 2 short lines, then 3 comments ("Ann says:" meta, the
    comment) and the comment form's header "Leave a Reply" after them, and a footer."""
    score = np.array([3.0] + [-3.0] * 12 + [2.0, 2.0] + [1.0, -2.0] * 3 + [2.0, 3.0])
    shape = np.zeros((len(score), len(F.SHAPE_NAMES)))
    shape[:, 0] = np.log1p(80)
    marks = np.zeros((len(score), len(F.MARK_NAMES)))
    marks[[15, 17, 19], 1] = 1                # "Ann says:", "Bob says:", "Cy says:"
    marks[21, 0] = 1                          # "Leave a Reply"
    return score, shape, marks


def test_version_4_counts_a_comment_section_whose_header_comes_after_it():
    names = F.context_names()
    since = names.index("log_comment_headers_since_core")
    score, shape, marks = _wordpress_page()
    off = F.doc_offsets([len(score)])
    v2 = F.context_matrix(score, shape, off, marks, version=2)[:, since]
    v4 = F.context_matrix(score, shape, off, marks, version=4)[:, since]
    assert v2[:22].tolist() == [0.0] * 22               # the header is below: version 2 sees no section
    # version 4: from the first meta line below the core to the header, one header's worth
    assert v4[:15].tolist() == [0.0] * 15 and np.allclose(v4[15:21], np.log(2))
    assert np.allclose(v4[21:], v2[21:])                # the header and what follows it: as before
    # every other column is version 2's
    others = [k for k in range(len(names)) if k != since]
    np.testing.assert_array_equal(F.context_matrix(score, shape, off, marks, version=4)[:, others],
                                  F.context_matrix(score, shape, off, marks, version=2)[:, others])
    # without a header below, meta lines alone (dates and times in an article) mark nothing
    no_header = marks.copy()
    no_header[21, 0] = 0
    assert not F.context_matrix(score, shape, off, no_header, version=4)[:, since].any()
    # and a header on the next page of a batch is not this page's
    both = F.context_matrix(np.concatenate([score, score]), np.vstack([shape, shape]),
                            F.doc_offsets([len(score)] * 2), np.vstack([no_header, marks]), version=4)[:, since]
    assert not both[:len(score)].any() and np.allclose(both[len(score):], v4)


def test_version_4_shapes_are_version_2s():
    enc = F.encode_lines(["这是一个中文段落，有很多字。", "Plain English words here."])
    np.testing.assert_array_equal(F.shape_matrix(enc, version=4), F.shape_matrix(enc, version=2))
    assert not np.array_equal(F.shape_matrix(enc, version=3), F.shape_matrix(enc, version=2))


def test_context_matrix_refuses_an_unknown_feature_version():
    with pytest.raises(ValueError, match="feature version"):
        F.context_matrix(np.zeros(2), np.zeros((2, len(F.SHAPE_NAMES))), F.doc_offsets([2]),
                         np.zeros((2, len(F.MARK_NAMES))), version=max(F.FEATURE_VERSIONS) + 1)
    with pytest.raises(ValueError, match="feature version"):
        F.shape_matrix(F.encode_lines(["x"]), version=True)


def test_version_5_counts_sentence_shaped_lines_as_prose_in_the_distances():
    names = F.context_names()
    # menu, 6 confident prose lines (the core), then 10 paragraphs stage 1 is unsure of
    # (logit 0.3: a language it barely knows): five sentences of 30 words (>= SENTENCE_WORDS),
    # between them two headings and three 9-word sentences; a footer
    score = np.array([3.0] + [-3.0] * 6 + [0.3] * 10 + [3.0])
    words = np.array([2] + [30] * 6 + [30, 9] * 5 + [3])
    words[[8, 10]] = 4                              # two headings
    shape = np.zeros((len(score), len(F.SHAPE_NAMES)))
    shape[:, 0] = np.log1p(words * 6)
    shape[:, 1] = np.log1p(words)
    shape[:, 2] = 1.0
    shape[[0, 8, 10, 17], 2] = 0.0                  # menu, headings and footer end no sentence
    sentence = (words >= F.SENTENCE_WORDS) & (shape[:, 2] > 0)
    marks = np.zeros((len(score), len(F.MARK_NAMES)))
    off = F.doc_offsets([len(score)])
    v2 = F.context_matrix(score, shape, off, marks, version=2)
    v5 = F.context_matrix(score, shape, off, marks, version=5)
    gap, prev = names.index("log_gap_to_core"), names.index("log_dist_prose_prev")
    # version 2: every unsure line is a gap to the core, 1..10 of them
    assert np.allclose(v2[7:17, gap], np.log1p(np.arange(1, 11)))
    # version 5: only the unsure lines that are no such sentence count
    expected = np.cumsum(~sentence[7:17])
    assert np.allclose(v5[7:17, gap], np.log1p(expected)) and expected[-1] == 5
    # and a sentence is confident prose for the distance to the previous one
    assert np.allclose(v5[8:17, prev][sentence[7:16]], np.log1p(1))
    assert np.allclose(v2[8:17, prev], np.log1p(np.arange(2, 11)))
    # every other column is version 2's
    changed = {gap, prev, names.index("log_dist_prose_next")}
    others = [k for k in range(len(names)) if k not in changed]
    np.testing.assert_array_equal(v5[:, others], v2[:, others])


def test_version_6_stops_the_core_at_a_header_under_a_shorter_post():
    names = F.context_names()
    # a post of 4 prose lines of 75 characters (300: under CORE_MIN_PROSE_CHARS, over
    # version 6's) above the comments
    score, chars, shape, marks, off = _post_above_comments(4, 75)
    since = names.index("log_comment_headers_since_core")
    assert F.CORE_MIN_PROSE_CHARS_V6 <= 300 < F.CORE_MIN_PROSE_CHARS
    v2 = F.context_matrix(score, shape, off, marks, version=2)
    v6 = F.context_matrix(score, shape, off, marks, version=6)
    assert not v2[:, since].any()                         # version 2: the core lies in the comments
    assert np.allclose(v6[6:, since], np.log(2)) and not v6[:6, since].any()
    # with less than version 6's prose above the header, both search the whole page
    short = chars.copy()
    short[1:5] = F.CORE_MIN_PROSE_CHARS_V6 // 4 - 1
    shape[:, 0] = np.log1p(short)
    np.testing.assert_array_equal(F.context_matrix(score, shape, off, marks, version=6),
                                  F.context_matrix(score, shape, off, marks, version=2))


def test_version_7_adds_the_scores_spread_and_switches_after_version_2s_columns():
    names2, names7 = F.context_names(2), F.context_names(7)
    assert names7 == names2 + list(F.TEXTURE_NAMES)
    # a page: 12 lines of article (logit -3), then a comment thread alternating a comment
    # (-2) with a meta line (+2) for 12 lines; a second page of 30 menu lines (+3)
    article, thread, menu = [-3.0] * 12, [-2.0, 2.0] * 6, [3.0] * 30
    score = np.array(article + thread + menu)
    shape = np.zeros((len(score), len(F.SHAPE_NAMES)))
    shape[:, 0] = np.log1p(np.where(score < 0, 300, 20))
    marks = np.zeros((len(score), len(F.MARK_NAMES)))
    off = F.doc_offsets([24, 30])
    v2 = F.context_matrix(score, shape, off, marks, version=2)
    v7 = F.context_matrix(score, shape, off, marks, version=7)
    assert v7.shape == (54, len(names7))
    np.testing.assert_array_equal(v7[:, :len(names2)], v2)        # version 2's columns unchanged
    sd5, sd10, sw = (v7[:, names7.index(n)] for n in F.TEXTURE_NAMES)
    # inside the article and the menu nothing varies; in the thread every pair switches
    assert np.allclose(sd5[:6], 0) and np.allclose(sd10[24:], 0) and np.allclose(sw[24:], 0)
    assert np.allclose(sw[:6], 0) and np.allclose(sw[18:24], 1.0)
    # the thread's first line (-2) is on the article's side: 5 switches among lines 7..17
    assert np.isclose(sw[12], 5 / 11)
    # the thread's spread is that of -2 and +2 (2), in a window wholly inside it
    assert np.allclose(sd5[18], np.std([-2.0, 2.0] * 5 + [-2.0]))
    assert sd5[8] > 0 and sd10[17] > sd10[8] > 0      # the article edge sees part of the thread
    # a page's new columns do not depend on the page before it in a batch, to the bit
    alone = F.context_matrix(score[24:], shape[24:], F.doc_offsets([30]), marks[24:], version=7)
    np.testing.assert_array_equal(alone[:, -3:], v7[24:, -3:])
    noisy = np.random.default_rng(0).normal(0, 3, len(score))
    pair = F.context_matrix(np.concatenate([noisy, noisy]), np.vstack([shape, shape]),
                            F.doc_offsets([24, 30, 24, 30]), np.vstack([marks, marks]), version=7)
    np.testing.assert_array_equal(pair[54:, -3:], pair[:54, -3:])


def test_version_8_adds_the_neighbourhoods_length_and_sentence_share_after_version_2s_columns():
    names2, names8 = F.context_names(2), F.context_names(8)
    assert names8 == names2 + list(F.REGION_NAMES)
    # a page in a language stage 1 does not know (every logit 0.5): a menu of 10 short lines
    # without a full stop, 20 long lines ending sentences, 10 short ones again
    score = np.full(40, 0.5)
    chars = np.array([12] * 10 + [400] * 20 + [12] * 10)
    shape = np.zeros((40, len(F.SHAPE_NAMES)))
    shape[:, 0] = np.log1p(chars)
    shape[10:30, 2] = 1.0
    marks = np.zeros((40, len(F.MARK_NAMES)))
    off = F.doc_offsets([40])
    v8 = F.context_matrix(score, shape, off, marks, version=8)
    np.testing.assert_array_equal(v8[:, :len(names2)], F.context_matrix(score, shape, off, marks, version=2))
    chars5, term5, term25 = (v8[:, names8.index(n)] for n in F.REGION_NAMES)
    assert np.allclose(chars5[15:25], np.log1p(400)) and np.allclose(chars5[:5], np.log1p(12))
    assert np.allclose(term5[15:25], 1.0) and np.allclose(term5[:5], 0.0)
    assert np.isclose(term5[10], 6 / 11)                       # lines 5..15: 10..15 end sentences
    assert np.isclose(term25[0], 16 / 26) and np.isclose(term25[20], 20 / 40)
    # a page's new columns do not depend on the page before it in a batch, to the bit
    both = F.context_matrix(np.tile(score, 2), np.vstack([shape, shape]), F.doc_offsets([40, 40]),
                            np.vstack([marks, marks]), version=8)
    np.testing.assert_array_equal(both[40:, -3:], v8[:, -3:])
