import itertools
import json
import zipfile

import numpy as np
import pytest

from inference import BOILERPLATE, CONTENT, ModelFileError, load_model
from inference.model import BATCH_LINES, keep_mask, split_lines

from conftest import SEED_WITH_WIDGET, SEEDS

TEXT = SEED_WITH_WIDGET.read_text(encoding="utf-8")
OTHER = (SEEDS / "000_3b6ea9010d9179f4.txt").read_text(encoding="utf-8")


def test_classify_returns_every_line_with_label_and_score(seed_model):
    results = seed_model.classify(TEXT)
    assert [r.text for r in results] == split_lines(TEXT)
    assert all(r.label in (CONTENT, BOILERPLATE) for r in results)
    assert all(0.0 <= r.score <= 1.0 for r in results)
    blank = [r for r in results if not r.text.strip()]
    assert blank and all(r.label == BOILERPLATE and r.score == 1.0 for r in blank)


def test_batch_equals_one_at_a_time(seed_model):
    docs = [TEXT, OTHER, "", "Read more\n\nA lone line.", TEXT.splitlines()[:5]]
    batch = seed_model.predict_proba(docs)
    for doc, p in zip(docs, batch):
        np.testing.assert_allclose(seed_model.predict_proba([doc])[0], p, rtol=1e-9, atol=1e-12)
    many, one = seed_model.classify_many(docs)[1], seed_model.classify(OTHER)
    # labels identical; scores equal up to float summation order (BLAS blocks by batch size)
    assert [(r.text, r.label) for r in many] == [(r.text, r.label) for r in one]
    np.testing.assert_allclose([r.score for r in many], [r.score for r in one], rtol=1e-9)


def test_documents_larger_than_a_batch_are_scored_like_small_ones(seed_model, monkeypatch):
    import inference.model as M
    before = seed_model.predict_proba([TEXT, OTHER])
    monkeypatch.setattr(M, "BATCH_LINES", 7)      # forces many stage-1 chunks and doc groups
    after = seed_model.predict_proba([TEXT, OTHER])
    for a, b in zip(before, after):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert BATCH_LINES > 7


def test_clean_is_an_in_order_subsequence_keeping_paragraph_breaks(seed_model):
    cleaned = seed_model.clean(TEXT)
    out = cleaned.split("\n")
    lines = split_lines(TEXT)
    it = iter(lines)
    assert all(any(o == l for l in it) for o in out)
    assert "" in out          # the article's paragraphs stay apart
    assert "Read more" not in out


def test_threshold_is_monotone(seed_model):
    # min_chars=0: the strict rule (the short-page fallback below keeps a page whole)
    kept = [sum(r.is_content for r in seed_model.classify(TEXT, threshold=t, min_chars=0))
            for t in (0.0, 0.05, 0.3, 0.5, 0.7, 0.95, 1.0)]
    assert kept == sorted(kept)
    assert kept[0] == 0
    assert kept[-1] == sum(1 for l in split_lines(TEXT) if l.strip())


def test_bad_threshold_and_bad_input_types(seed_model):
    with pytest.raises(ValueError, match="between 0 and 1"):
        seed_model.classify(TEXT, threshold=1.5)
    with pytest.raises(TypeError):
        seed_model.classify([b"bytes line"])


def test_a_page_without_an_article_is_kept_whole_not_emptied(seed_model):
    menu = "Home\n\nNews\nSport\nLog in"
    probs = seed_model.predict_proba([menu])[0]
    assert (probs[[0, 2, 3, 4]] >= 0.5).all()          # the model finds no content line
    assert seed_model.clean(menu, min_chars=0) == ""
    # every non-blank line comes back, with its label changed and its score unchanged
    assert seed_model.clean(menu, min_chars=100) == menu
    results = seed_model.classify(menu, min_chars=100)
    assert [r.label for r in results] == [CONTENT, BOILERPLATE, CONTENT, CONTENT, CONTENT]
    np.testing.assert_array_equal([r.score for r in results], probs)
    # a page whose content lines are long enough is left as the model labels it
    assert seed_model.clean(TEXT, min_chars=100) == seed_model.clean(TEXT, min_chars=0)
    many = seed_model.clean_many([menu, TEXT], min_chars=100)
    assert many == [seed_model.clean(menu, min_chars=100), seed_model.clean(TEXT, min_chars=100)]


def test_keep_mask_counts_characters_of_the_kept_lines():
    lines = ["x" * 40, "", "  " + "y" * 30 + "  ", "z" * 500]
    probs = np.array([0.1, 1.0, 0.2, 0.9])
    assert keep_mask(lines, probs, 0.5, 70, 0.0, 0, 0).tolist() == [True, False, True, False]
    # 40 + 30 characters (surrounding spaces do not count) < 71: the page is kept whole
    # (when every page with short kept lines falls back: min_dropped_prose 0)
    assert keep_mask(lines, probs, 0.5, 71, 0.0, 0, 0).tolist() == [True, False, True, True]
    # the dropped line is no sentence: with the default min_dropped_prose the short article stays
    assert keep_mask(lines, probs, 0.5, 71, 0.0).tolist() == [True, False, True, False]
    assert keep_mask(lines, probs, 0.5, 0, 0.0).tolist() == [True, False, True, False]
    assert keep_mask(lines, probs, 0.05, 0, 0.0).tolist() == [False] * 4
    # with a switch cost the blank line is skipped, and the last line (log-odds 2.2 < 3)
    # does not pay for a change of label after two content lines
    assert keep_mask(lines, probs, 0.5, 0, 3.0).tolist() == [True, False, True, True]


def test_a_page_with_short_kept_lines_is_decoded_again_at_the_retry_threshold():
    menu, article = "Home News Sport", "An article sentence that the model was unsure of, at length."
    lines = [menu, article, article, menu]
    probs = np.array([0.9, 0.45, 0.45, 0.8])
    # at 0.4 nothing is kept: without a retry the page comes back whole
    assert keep_mask(lines, probs, 0.4, 100, 0.0, 0, 0).all()
    # at the retry threshold 0.5 the two article lines hold 122 >= 100 characters: they are the page's
    assert keep_mask(lines, probs, 0.4, 100, 0.0, 0, 0, retry_threshold=0.5).tolist() == [False, True, True, False]
    # ... with a switch cost too (the retry decodes the same way)
    assert keep_mask(lines, probs, 0.4, 100, 0.1, 0, 0).all()
    assert keep_mask(lines, probs, 0.4, 100, 0.1, 0, 0, retry_threshold=0.5).tolist() == [False, True, True, False]
    # a retry that keeps too little changes nothing: the page fallback decides as before
    assert keep_mask(lines, probs, 0.4, 200, 0.0, 0, 0, retry_threshold=0.5).all()
    # a retry at or below the threshold is off
    assert keep_mask(lines, probs, 0.5, 100, 0.0, 0, 0, retry_threshold=0.5).tolist() == [False, True, True, False]
    assert keep_mask(lines, probs, 0.4, 100, 0.0, 0, 0, retry_threshold=0.3).all()
    # a page whose kept lines are long enough is never decoded again
    probs = np.array([0.9, 0.3, 0.45, 0.45])
    assert keep_mask(lines, probs, 0.4, 50, 0.0, 0, 0, retry_threshold=0.5).tolist() == [False, True, False, False]
    # min_chars 0 turns the fallback off, and with it the retry
    assert keep_mask(lines, probs, 0.4, 0, 0.0, 0, 0, retry_threshold=0.5).tolist() == [False, True, False, False]


def test_the_page_fallback_can_keep_the_kept_lines_and_the_sentences_instead_of_every_line():
    menu, title = "Home News Sport", "A Headline"
    sentence = "An article sentence that the model dropped, though it reads as prose."   # 70 chars
    lines = [menu, title, "", sentence, sentence, "Share this", sentence]
    probs = np.array([0.9, 0.2, 1.0, 0.8, 0.8, 0.9, 0.8])
    # the kept title holds 10 < 100 characters and 210 characters of sentences were dropped: the page comes back whole
    assert keep_mask(lines, probs, 0.4, 100, 0.0, 0, 200).tolist() == [True, True, False, True, True, True, True]
    # with fallback_sentences: the kept title and the three sentences (220 >= 100 characters)
    assert keep_mask(lines, probs, 0.4, 100, 0.0, 0, 200, fallback_sentences=True).tolist() == [
        False, True, False, True, True, False, True]
    # nothing kept: the sentences alone
    nothing = np.array([0.9, 0.9, 1.0, 0.8, 0.8, 0.9, 0.8])
    assert keep_mask(lines, nothing, 0.4, 100, 0.0, 0, 200, fallback_sentences=True).tolist() == [
        False, False, False, True, True, False, True]
    # ... and the page goes on as one whose article was found: the headline search runs
    headed = ["Model dropped article sentence"] + lines[1:]
    assert keep_mask(headed, nothing, 0.4, 100, 0.0, 10, 200, fallback_sentences=True).tolist() == [
        True, False, False, True, True, False, True]
    assert not keep_mask(headed, nothing, 0.4, 100, 0.0, 0, 200, fallback_sentences=True)[0]
    # when kept lines and sentences hold fewer than min_chars, the page is kept whole as before
    assert keep_mask(lines, probs, 0.4, 300, 0.0, 0, 200, fallback_sentences=True).tolist() == [
        True, True, False, True, True, True, True]
    # a page the fallback leaves alone is not touched
    assert keep_mask(lines, probs, 0.4, 5, 0.0, 0, 200, fallback_sentences=True).tolist() == [
        False, True, False, False, False, False, False]


def test_bad_min_chars(seed_model):
    for bad in (-1, 1.5, True, "10"):
        with pytest.raises(ValueError, match="min_chars"):
            seed_model.clean(TEXT, min_chars=bad)


def test_line_breaks_crlf_and_lone_cr(seed_model):
    assert split_lines("a\r\nb\rc\nd\n") == ["a", "b", "c", "d"]
    assert split_lines("") == []
    assert len(seed_model.classify("one\r\ntwo\rthree")) == 3


def test_save_load_round_trip(seed_model, tmp_path):
    path = tmp_path / "m.npz"
    seed_model.save(path)
    back = load_model(path)
    for a, b in zip(seed_model.predict_proba([TEXT, OTHER]), back.predict_proba([TEXT, OTHER])):
        np.testing.assert_array_equal(a, b)
    assert back.card == seed_model.card


def _rewrite(src, dst, change):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, change(item.filename, zin.read(item.filename)))


def test_corrupted_truncated_and_foreign_files_get_clear_errors(seed_model_path, tmp_path):
    raw = seed_model_path.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(raw[: len(raw) // 2])
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a model at all")
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.zeros(3))
    for path, message in ((truncated, "truncated"), (garbage, "not an unboil model file"),
                          (plain, "no header"), (tmp_path / "missing.npz", "no such model file"),
                          (tmp_path, "is a folder")):
        with pytest.raises(ModelFileError, match=message):
            load_model(path)


def test_tampered_array_fails_checksum(seed_model_path, tmp_path):
    import io
    def change(name, data):
        if name == "tree_value.npy":
            arr = np.load(io.BytesIO(data))
            arr = arr + 1.0
            buf = io.BytesIO()
            np.save(buf, arr)
            return buf.getvalue()
        return data
    bad = tmp_path / "tampered.npz"
    _rewrite(seed_model_path, bad, change)
    with pytest.raises(ModelFileError, match="checksum mismatch in array 'tree_value'"):
        load_model(bad)


def test_unknown_format_version_is_refused(seed_model_path, tmp_path):
    def change(name, data):
        if name == "__header__.npy":
            import io
            arr = np.load(io.BytesIO(data))
            header = json.loads(arr.tobytes())
            header["format_version"] = 99
            buf = io.BytesIO()
            np.save(buf, np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))
            return buf.getvalue()
        return data
    bad = tmp_path / "future.npz"
    _rewrite(seed_model_path, bad, change)
    with pytest.raises(ModelFileError, match="format version 99"):
        load_model(bad)


def test_a_pickle_inside_a_model_file_is_never_unpickled(seed_model_path, tmp_path):
    import io
    import pickle

    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('code ran')",))

    def change(name, data):
        if name == "tree_value.npy":
            buf = io.BytesIO()
            np.save(buf, np.array([Boom()], dtype=object), allow_pickle=True)
            return buf.getvalue()
        return data
    bad = tmp_path / "pickled.npz"
    _rewrite(seed_model_path, bad, change)
    with pytest.raises(ModelFileError, match="unreadable model file"):
        load_model(bad)
    assert pickle  # imported for the payload's protocol only


def test_repeated_lines_are_featurised_once_with_identical_results(seed_model):
    lines = ["Menu", "Reply", "A sentence of the article, with words.", "Menu", "Reply", "Menu"]
    s_dedup, sh_dedup, mk_dedup = seed_model.stage1_scores(lines)
    s_all, sh_all, mk_all = seed_model._stage1_distinct(lines)      # every line featurised on its own
    # (equal up to float rounding: n-gram sums are running sums over the batch)
    np.testing.assert_allclose(s_dedup, s_all, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(sh_dedup, sh_all)
    np.testing.assert_array_equal(mk_dedup, mk_all)
    assert mk_dedup[:, 1].tolist() == [0, 1, 0, 0, 1, 0]


def test_smoothing_mixes_neighbours_within_each_document_only():
    from inference.model import smooth_scores
    z = np.array([1.0, 2.0, 4.0, -3.0, 5.0])
    offsets = np.array([0, 3, 3, 4, 5])          # documents of 3, 0, 1 and 1 lines
    got = smooth_scores(z, offsets, 0.4)
    want = [0.6 * 1 + 0.2 * (1 + 2), 0.6 * 2 + 0.2 * (1 + 4), 0.6 * 4 + 0.2 * (2 + 4), -3.0, 5.0]
    np.testing.assert_allclose(got, want)
    assert smooth_scores(z, offsets, 0.0) is z


def test_models_record_their_smoothing_and_old_files_are_not_smoothed(seed_model):
    from inference.model import SMOOTHING, Model
    assert seed_model.smoothing == SMOOTHING
    smoothed = Model(seed_model.arrays, dict(seed_model.header, smoothing=0.2))   # as session 5-8 files
    assert smoothed.smoothing == 0.2
    assert not np.allclose(smoothed.predict_proba([TEXT])[0], seed_model.predict_proba([TEXT])[0])
    plain = Model(seed_model.arrays, {k: v for k, v in smoothed.header.items() if k != "smoothing"})
    assert plain.smoothing == 0.0
    np.testing.assert_array_equal(plain.predict_proba([TEXT])[0], seed_model.predict_proba([TEXT])[0])


def _scored_labellings(probs, threshold, cost, reentry=0.0):
    """Every labelling of a short run (1 = boilerplate) with its score, in itertools order: the
    reference for content_path. Each change to content after the first content line costs
    ``reentry`` more."""
    s = np.log(probs / (1 - probs)) - np.log(threshold / (1 - threshold))
    for bits in itertools.product([0, 1], repeat=len(probs)):
        b = np.array(bits)
        entries = np.count_nonzero(np.diff(b) == -1)                # boilerplate -> content
        later = max(entries - 1, 0) if b[0] == 1 else entries       # the first content is free of it
        yield np.sum(np.where(b == 1, s, 0.0)) - cost * np.count_nonzero(np.diff(b)) - reentry * later, b


def _best_path_by_enumeration(probs, threshold, cost):
    """The first best labelling, as content (True) / boilerplate (False)."""
    best, arg = -np.inf, None
    for score, b in _scored_labellings(probs, threshold, cost):
        if score > best:
            best, arg = score, b
    return arg == 0


def _random_run(rng):
    """A short run of random line scores and a threshold, for the enumeration tests."""
    probs = rng.uniform(0.01, 0.99, int(rng.integers(1, 11)))
    return probs, float(rng.choice([0.3, 0.5, 0.7]))


@pytest.mark.parametrize("seed", range(40))
def test_content_path_is_the_best_labelling(seed):
    from inference.model import content_path
    rng = np.random.default_rng(seed)
    probs, threshold = _random_run(rng)
    cost = float(rng.choice([0.5, 1.0, 3.0]))
    np.testing.assert_array_equal(content_path(probs, threshold, cost),
                                  _best_path_by_enumeration(probs, threshold, cost))


def _best_reentry_paths_by_enumeration(probs, threshold, cost, reentry):
    """Every best labelling with a re-entry cost (all that tie), as content / boilerplate."""
    scores = list(_scored_labellings(probs, threshold, cost, reentry))
    best = max(sc for sc, _ in scores)
    return [b == 0 for sc, b in scores if sc >= best - 1e-9]


@pytest.mark.parametrize("seed", range(60))
def test_content_path_with_a_reentry_cost_is_the_best_labelling(seed):
    from inference.model import content_path
    rng = np.random.default_rng(seed)
    probs, threshold = _random_run(rng)
    cost, reentry = float(rng.choice([0.0, 0.5, 1.0])), float(rng.choice([0.5, 1.0, 3.0]))
    got = content_path(probs, threshold, cost, reentry)
    wants = _best_reentry_paths_by_enumeration(probs, threshold, cost, reentry)
    assert any(np.array_equal(got, want) for want in wants)


def test_a_reentry_cost_drops_content_after_the_article_and_keeps_content_before_it():
    from inference.model import content_path
    # menu, article, footer, a comment the model leans towards keeping, footer
    # (log-odds -2.9: enough for two label changes at 1 nat each, not for a re-entry 2 nats dearer)
    probs = np.array([0.95, 0.1, 0.1, 0.1, 0.9, 0.9, 0.05, 0.9])
    assert content_path(probs, 0.5, 1.0).tolist() == [False, True, True, True, False, False, True, False]
    assert content_path(probs, 0.5, 1.0, 2.0).tolist() == [False, True, True, True, False, False, False, False]
    # the first content is entered at the switch cost only, wherever it starts
    assert content_path(probs[::-1][:4], 0.5, 1.0, 2.0).tolist() == content_path(probs[::-1][:4], 0.5, 1.0).tolist()


def _path_by_plain_recursion(s, c):
    """The forward recursion on every line, then the backward fill: what the fast path skips."""
    d, prev = np.empty(len(s)), 0.0
    for i, si in enumerate(s):
        prev = si + min(max(prev, -c), c)
        d[i] = prev
    out = np.zeros(len(s), dtype=bool)
    label = d[-1] < 0                                  # the last line: its own sign
    for i in range(len(s) - 1, -1, -1):
        if abs(d[i]) > c:
            label = d[i] < 0
        out[i] = label
    return out


@pytest.mark.parametrize("seed", range(30))
def test_skipping_confident_lines_gives_the_plain_recursion_exactly(seed):
    # lines with |log-odds| > 2c fix their own label and reset the recursion; the values
    # on and next to that edge (±2c, ±c, 0) are where a shortcut would go wrong
    from inference.model import _path_from_log_odds
    rng = np.random.default_rng(seed)
    c = float(rng.choice([0.25, 0.5, 1.0, 3.0]))
    n = int(rng.integers(1, 400))
    edges = np.array([2 * c, -2 * c, c, -c, 0.0, 2 * c + 1e-12, -2 * c - 1e-12])
    s = np.where(rng.random(n) < 0.3, rng.choice(edges, n), rng.normal(0, 3 * c, n))
    np.testing.assert_array_equal(_path_from_log_odds(s, c), _path_by_plain_recursion(s, c))


def test_content_path_without_a_cost_is_the_threshold_rule_and_a_lone_line_needs_confidence():
    from inference.model import content_path
    probs = np.array([0.9, 0.9, 0.3, 0.9, 0.9])
    np.testing.assert_array_equal(content_path(probs, 0.5, 0.0), probs < 0.5)
    # keeping the middle line costs two label changes (6 nats): its log-odds, -0.85, do not pay
    assert not content_path(probs, 0.5, 3.0).any()
    probs[2] = 0.001                       # log-odds -6.9: now it does
    assert content_path(probs, 0.5, 3.0).tolist() == [False, False, True, False, False]
    assert content_path(np.zeros(0), 0.5, 3.0).tolist() == []


def test_a_model_file_without_a_switch_cost_labels_by_the_threshold(seed_model):
    from inference.model import SWITCH_COST, Model
    assert seed_model.switch_cost == SWITCH_COST > 0
    plain = Model(seed_model.arrays, {k: v for k, v in seed_model.header.items() if k != "switch_cost"})
    assert plain.switch_cost == 0.0
    results = plain.classify(TEXT, min_chars=0)
    assert [r.is_content for r in results] == [r.score < plain.threshold for r in results]


def test_a_model_file_lists_its_own_context_features(seed_model, tmp_path):
    """Trees index the header's context_names, so a model trained before features were
    added (a subset, in its own order) scores exactly as it did."""
    from inference import features as F
    from inference.model import Model
    names = F.context_names()
    order = names[::-1]                       # the same features, listed in another order
    arrays = dict(seed_model.arrays)
    feat = arrays["tree_feature"]
    arrays["tree_feature"] = np.array([order.index(names[f]) if f >= 0 else -1 for f in feat], dtype=feat.dtype)
    moved = Model(arrays, dict(seed_model.header, context_names=order))
    path = tmp_path / "moved.npz"
    moved.save(path)
    np.testing.assert_array_equal(load_model(path).predict_proba([TEXT])[0],
                                  seed_model.predict_proba([TEXT])[0])


def test_unknown_context_features_are_refused(seed_model, tmp_path):
    from inference.model import Model
    path = tmp_path / "future.npz"
    names = list(seed_model.header["context_names"])
    names[0] = "a_feature_from_the_future"
    Model(dict(seed_model.arrays), dict(seed_model.header, context_names=names)).save(path)
    with pytest.raises(ModelFileError, match="a_feature_from_the_future.*retrain"):
        load_model(path)
    Model(dict(seed_model.arrays), dict(seed_model.header, context_names="score")).save(path)
    with pytest.raises(ModelFileError, match="not a list of feature names"):
        load_model(path)


def test_a_model_file_of_feature_version_1_scores_with_version_1_features(seed_model, tmp_path, monkeypatch):
    """Models trained before the comment-aware core (feature version 1) keep loading and
    get the features they were trained on; a version this unboil does not know is refused."""
    from inference import features as F
    from inference.model import Model
    path = tmp_path / "v1.npz"
    Model(dict(seed_model.arrays), dict(seed_model.header, feature_version=1)).save(path)
    old = load_model(path)
    assert old.feature_version == 1 and seed_model.feature_version == F.FEATURE_VERSION
    seen = []
    real = F.context_matrix
    monkeypatch.setattr(F, "context_matrix", lambda *a, **k: seen.append(k["version"]) or real(*a, **k))
    old.predict_proba([TEXT])
    seed_model.predict_proba([TEXT])
    assert seen == [1, F.FEATURE_VERSION]
    Model(dict(seed_model.arrays), dict(seed_model.header, feature_version=True)).save(path)
    with pytest.raises(ModelFileError, match="feature version True"):
        load_model(path)


def test_a_model_file_of_feature_version_3_gets_version_3_shapes(seed_model, tmp_path, monkeypatch):
    """The shapes are computed as the model's version has them (version 3 counts Chinese and
    Japanese characters as words), so a page of Chinese is scored differently."""
    from inference import features as F
    from inference.model import Model
    models = {}
    for version in (2, 3):
        path = tmp_path / f"v{version}.npz"
        Model(dict(seed_model.arrays), dict(seed_model.header, feature_version=version)).save(path)
        models[version] = load_model(path)
    seen = []
    real = F.shape_matrix
    monkeypatch.setattr(F, "shape_matrix", lambda enc, version: seen.append(version) or real(enc, version))
    chinese = "\n".join(["首页 新闻 体育", "市议会周一批准了这座新桥的建设计划，预计明年春天开工。"] * 3)
    p3 = models[3].predict_proba([chinese])[0]
    p2 = models[2].predict_proba([chinese])[0]
    assert seen == [3, 2]
    assert not np.array_equal(p3, p2)
    english = "The council approved the bridge on Monday.\nHome | News | Sport"
    np.testing.assert_array_equal(models[3].predict_proba([english])[0], models[2].predict_proba([english])[0])


def test_a_short_article_in_a_page_of_menus_is_not_kept_whole():
    from inference.model import _is_sentence
    brief = "The council approved the bridge on Monday."          # 42 characters of article
    lines = ["Home", "News", "Sport", brief, "Contact us", "Privacy"]
    probs = np.array([0.9, 0.9, 0.9, 0.1, 0.9, 0.9])
    # the old rule: under 100 kept characters, the whole page comes back
    assert keep_mask(lines, probs, 0.5, 100, 0.0, 0, 0).all()
    # the dropped lines hold no sentence: the model missed nothing, the brief is the article
    assert keep_mask(lines, probs, 0.5, 100, 0.0, 0, 30).tolist() == [False, False, False, True, False, False]
    # a dropped sentence of 30 or more characters says the article was missed: the page comes back
    lines[4] = "Our reporters cover the city council every week."
    assert _is_sentence(lines[4]) and keep_mask(lines, probs, 0.5, 100, 0.0, 0, 30).all()
    assert not keep_mask(lines, probs, 0.5, 100, 0.0, 0, 100).all()       # 49 characters < 100
    # nothing kept at all: the page comes back whatever was dropped
    assert keep_mask(["Home", "News"], np.array([0.9, 0.9]), 0.5, 100, 0.0, 0, 10 ** 6).all()


@pytest.mark.parametrize("line, sentence", [
    ("He said so.", True), ('He said "so."', True), ("Is it over?", True), ("是的。 他说 好。", True),
    ("Home.", False), ("Read more", False), ("Two words.", False), ("", False), ("   ", False),
    ("It costs $5 (or so).", True), ("(see above)", False),
    # Chinese and Japanese put no spaces between words: each character counts as one
    ("むかしむかし、あるところにおじいさんが住んでいました。", True), ("這是一個句子。", True),
    ("続き。", False), ("むかしむかし", False), ("Пример.", False),
])
def test_what_counts_as_a_sentence_for_the_page_fallback(line, sentence):
    from inference.model import _is_sentence
    assert _is_sentence(line) == sentence


def test_counting_cjk_characters_as_words_can_be_turned_off():
    from inference.model import _is_sentence
    line = "むかしむかし、あるところにおじいさんが住んでいました。"
    assert _is_sentence(line, cjk_words=True) and not _is_sentence(line, cjk_words=False)
    # a page of Japanese prose the model dropped: with the flag the page comes back whole
    lines = ["ホーム", line, line]
    probs = np.array([0.9, 0.9, 0.1])
    assert keep_mask(lines, probs, 0.5, 500, 0.0, 0, 20, cjk_words=True).all()
    assert keep_mask(lines, probs, 0.5, 500, 0.0, 0, 20, cjk_words=False).tolist() == [False, False, True]


def test_a_model_file_without_min_dropped_prose_keeps_short_pages_whole(seed_model):
    from inference.model import MIN_DROPPED_PROSE, Model
    assert seed_model.min_dropped_prose == MIN_DROPPED_PROSE > 0
    old = Model(seed_model.arrays, {k: v for k, v in seed_model.header.items() if k != "min_dropped_prose"})
    assert old.min_dropped_prose == 0
