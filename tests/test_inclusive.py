"""Inclusive mode: one model, two content conventions (the article only, or comments too).

The model learns the convention from which sources it was trained on; these tests train
small models on synthetic pages whose only difference between two sources is whether
readers' comments are labelled content.
"""
from __future__ import annotations

import random

import numpy as np
import pytest

from inference import cli, features as F
from inference.distributed import clean_records
from inference.model import CONTENT, load_model
from training.evaluate import (INCLUSIVE_SYSTEM, evaluate, format_report, load_predictions,
                               save_predictions)
from training.labels import BOILERPLATE, Document
from training.train import train

WORDS = ("the council said on monday that the new bridge would open next year after a long "
         "delay caused by rising costs and a dispute over the design of its northern approach "
         "residents have waited for a decade while traffic on the old crossing grew every year").split()
COMMENT_WORDS = ("i think this is great news honestly but who pays for it we always get told "
                 "the same story and nothing changes lol totally agree with you mate").split()


def _sentence(rng, words, n):
    text = " ".join(rng.choice(words) for _ in range(n))
    return text[0].upper() + text[1:] + "."


def synthetic_page(rng, doc_id, source, comments_are_content):
    """Menu, four article paragraphs, a comment section: (lines, labels, comment-line indices)."""
    lines, labels, comments = [], [], []

    def add(line, label):
        lines.append(line)
        labels.append(label)

    for item in ("Home", "World", "Politics", "Sport", "Sign in"):
        add(item, BOILERPLATE)
    for _ in range(4):
        add(_sentence(rng, WORDS, rng.randint(25, 40)), CONTENT)
    add(f"{rng.randint(2, 60)} Comments", BOILERPLATE)
    for _ in range(4):
        add(f"by user{rng.randint(1, 999)} on March {rng.randint(1, 28)}, 2012 at {rng.randint(1, 12)}:"
            f"{rng.randint(10, 59)} pm", BOILERPLATE)
        comments.append(len(lines))
        add(_sentence(rng, COMMENT_WORDS, rng.randint(12, 25)), CONTENT if comments_are_content else BOILERPLATE)
        add("Reply", BOILERPLATE)
    add("© 2012 The Daily Example", BOILERPLATE)
    return Document(doc_id, source, lines, labels), comments


def synthetic_docs(seed=0, per_source=12, sources=(("news", False), ("forum", True))):
    rng = random.Random(seed)
    return [synthetic_page(rng, f"{src}/{k}", src, incl)[0]
            for src, incl in sources for k in range(per_source)]


@pytest.fixture(scope="module")
def two_convention_model():
    return train(synthetic_docs(), seed=0, inclusive_sources=("forum",))


def test_the_context_column_holds_the_convention_asked_for():
    score = np.array([-2.0, 1.0, 0.5])
    shape = np.zeros((3, len(F.SHAPE_NAMES)))
    marks = np.zeros((3, len(F.MARK_NAMES)))
    col = F.context_names().index("inclusive")
    off = F.doc_offsets([3])
    assert not F.context_matrix(score, shape, off, marks)[:, col].any()
    assert F.context_matrix(score, shape, off, marks, True)[:, col].tolist() == [1.0, 1.0, 1.0]
    per_line = F.context_matrix(score, shape, off, marks, np.array([0.0, 1.0, 0.0]))[:, col]
    assert per_line.tolist() == [0.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="one per line"):
        F.context_matrix(score, shape, off, marks, np.array([1.0, 0.0]))


def test_a_model_trained_on_one_convention_has_no_inclusive_mode(seed_model):
    assert "inclusive" not in seed_model.header["context_names"]
    assert not seed_model.supports_inclusive
    with pytest.raises(ValueError, match="no inclusive mode"):
        seed_model.clean("Some text.\nMore text.", inclusive=True)
    with pytest.raises(TypeError, match="True or False"):
        seed_model.predict_proba(["Some text."], inclusive="yes")
    # the default mode is unaffected
    assert seed_model.clean("Some text.", inclusive=False) == seed_model.clean("Some text.")


def test_inclusive_mode_keeps_the_comments_the_inclusive_source_taught(two_convention_model):
    model = two_convention_model
    assert model.supports_inclusive and model.card["parameters"]["inclusive_sources"] == ["forum"]
    rng = random.Random(99)                 # pages the model has not seen
    pages = [synthetic_page(rng, f"new/{k}", "new", False) for k in range(6)]
    docs = [d.lines for d, _ in pages]
    default = model.predict_proba(docs)
    inclusive = model.predict_proba(docs, inclusive=True)
    comment_default = np.concatenate([p[c] for p, (_, c) in zip(default, pages)])
    comment_inclusive = np.concatenate([p[c] for p, (_, c) in zip(inclusive, pages)])
    article = [list(range(5, 9)) for _ in pages]
    # comments: content in inclusive mode; the default trees learnt both sources as
    # labelled (half of them call comments boilerplate), so they are far less sure
    assert (comment_inclusive < 0.5).mean() >= 0.9, comment_inclusive
    logit = lambda p: np.log(p / (1 - p))      # noqa: E731
    assert np.median(logit(comment_inclusive)) < np.median(logit(comment_default)) - 3, (
        comment_inclusive, comment_default)
    # the article is content either way, and the menu boilerplate either way
    for probs in (default, inclusive):
        assert all((p[a] < 0.5).all() for p, a in zip(probs, article))
        assert all((p[:5] >= 0.5).all() for p in probs)
    cleaned = [model.clean("\n".join(d), inclusive=True) for d in docs]
    assert sum(d[c] in text for d, (_, cs), text in zip(docs, pages, cleaned) for c in cs) >= 0.9 * 24


def test_inclusive_batch_equals_one_at_a_time(two_convention_model):
    rng = random.Random(5)
    docs = ["\n".join(synthetic_page(rng, f"b/{k}", "b", False)[0].lines) for k in range(4)]
    batch = two_convention_model.predict_proba(docs, inclusive=True)
    for d, p in zip(docs, batch):
        np.testing.assert_array_equal(two_convention_model.predict_proba([d], inclusive=True)[0], p)
    assert two_convention_model.clean_many(docs, inclusive=True) == [
        two_convention_model.clean(d, inclusive=True) for d in docs]


def test_each_mode_decodes_with_its_own_threshold_and_switch_cost(two_convention_model):
    from inference.model import INCLUSIVE_SWITCH_COST, INCLUSIVE_THRESHOLD, Model, keep_mask
    model = two_convention_model
    assert (model.inclusive_threshold, model.inclusive_switch_cost) == (INCLUSIVE_THRESHOLD, INCLUSIVE_SWITCH_COST)
    assert model.card["parameters"]["inclusive_threshold"] == INCLUSIVE_THRESHOLD
    rng = random.Random(7)
    docs = [synthetic_page(rng, f"m/{k}", "m", False)[0].lines for k in range(4)]
    # an inclusive decode that differs from the default one: each mode keeps by its own
    other = Model(model.arrays, dict(model.header, inclusive_threshold=0.9, inclusive_switch_cost=0.0))
    for m in (model, other):
        for inclusive, t, c in ((False, m.threshold, m.switch_cost),
                                (True, m.inclusive_threshold, m.inclusive_switch_cost)):
            probs = m.predict_proba(docs, inclusive=inclusive)
            want = [keep_mask(d, p, t, m.min_chars, c, m.headline_lines, m.min_dropped_prose).tolist()
                    for d, p in zip(docs, probs)]
            got = [[r.is_content for r in res] for res in m.classify_many(docs, inclusive=inclusive)]
            assert got == want
    assert other.clean_many(docs) == model.clean_many(docs)         # the default mode is untouched
    # an explicit threshold is the caller's, in either mode
    assert other.clean_many(docs, 0.9, inclusive=True) == other.clean_many(docs, inclusive=True)
    # a model file from before the modes had their own decode: the inclusive mode decodes as the default
    old = Model(model.arrays, {k: v for k, v in model.header.items()
                               if k not in ("inclusive_threshold", "inclusive_switch_cost")} | {"threshold": 0.3})
    assert (old.inclusive_threshold, old.inclusive_switch_cost) == (0.3, old.switch_cost)


def test_cli_inclusive(two_convention_model, seed_model_path, tmp_path, capsys):
    path = tmp_path / "two.npz"
    two_convention_model.save(path)
    page, comments = synthetic_page(random.Random(7), "c/0", "c", False)
    src = tmp_path / "page.txt"
    src.write_text("\n".join(page.lines) + "\n", encoding="utf-8")
    text = "\n".join(page.lines)
    # every line with its label and score: the comment lines' scores differ by mode
    want = {mode: "".join(f"{r.label}\t{r.score:.4f}\t{r.text}\n"
                          for r in two_convention_model.classify(text, inclusive=mode)) for mode in (False, True)}
    assert want[False] != want[True]
    assert cli.main(["clean", "--format", "tsv", "--model", str(path), str(src)]) == cli.EXIT_OK
    assert capsys.readouterr().out == want[False]
    assert cli.main(["clean", "--format", "tsv", "--inclusive", "--model", str(path), str(src)]) == cli.EXIT_OK
    assert capsys.readouterr().out == want[True]
    assert cli.main(["clean", "--inclusive", "--model", str(path), str(src)]) == cli.EXIT_OK
    assert capsys.readouterr().out == two_convention_model.clean(text, inclusive=True) + "\n"
    # a model that cannot: one clear line, the model's exit code, nothing written
    assert cli.main(["clean", "--inclusive", "--model", str(seed_model_path), str(src)]) == cli.EXIT_MODEL
    out, err = capsys.readouterr()
    assert out == "" and "no inclusive mode" in err and len(err.strip().splitlines()) == 1


def test_distributed_records_pass_the_mode_on(two_convention_model, tmp_path):
    path = tmp_path / "two.npz"
    two_convention_model.save(path)
    page, _ = synthetic_page(random.Random(8), "d/0", "d", False)
    text = "\n".join(page.lines)
    got = clean_records([{"id": 1, "text": text}], model_path=str(path), inclusive=True)
    assert got == [{"id": 1, "text": load_model(path).clean(text, inclusive=True)}]
    # numpy's bool is a bool here too, as it is for Model
    assert clean_records([{"id": 1, "text": text}], model_path=str(path), inclusive=np.bool_(True)) == got
    with pytest.raises(TypeError, match="True or False"):
        clean_records([{"text": text}], model_path=str(path), inclusive=1)


def test_evaluate_scores_inclusive_mode_where_the_fold_model_has_it(tmp_path):
    docs = synthetic_docs(per_source=6, sources=(("news", False), ("news2", False), ("forum", True)))
    report = evaluate(docs, "loso", inclusive_sources=("forum",))
    # holding out news or news2 leaves forum in training; holding out forum leaves one convention
    assert INCLUSIVE_SYSTEM in report["sources"]["news"] and INCLUSIVE_SYSTEM in report["sources"]["news2"]
    assert INCLUSIVE_SYSTEM not in report["sources"]["forum"]
    text = format_report({k: v for k, v in report.items() if not k.startswith("probabilities")})
    forum_row = next(line for line in text.splitlines() if line.startswith("forum"))
    mean_row = text.splitlines()[-1]
    assert INCLUSIVE_SYSTEM + " F1" in text and " - " in forum_row and " - " in mean_row
    # the news pages' comments are boilerplate: inclusive mode keeps them, so its precision is lower
    news = report["sources"]["news"]
    assert news[INCLUSIVE_SYSTEM]["shingle"]["precision"] < news["unboil"]["shingle"]["precision"]
    # both modes' predictions round-trip through the predictions file
    path = tmp_path / "p.npz"
    save_predictions(path, docs, report["probabilities"], report["probabilities_inclusive"])
    plain, incl = load_predictions(path), load_predictions(path, inclusive=True)
    assert set(plain) == {d.doc_id for d in docs}
    assert set(incl) == {d.doc_id for d in docs if d.source != "forum"}
    for k, d in enumerate(docs):
        np.testing.assert_array_equal(plain[d.doc_id], report["probabilities"][k])
        if d.source != "forum":
            np.testing.assert_array_equal(incl[d.doc_id], report["probabilities_inclusive"][k])
    save_predictions(path, docs, report["probabilities"])
    with pytest.raises(ValueError, match="no inclusive-mode predictions"):
        load_predictions(path, inclusive=True)
    # each mode's column decodes as that mode of the fold models would: the inclusive one by its own
    # threshold and switch cost (the same fits: the default column does not move)
    from inference.model import INCLUSIVE_THRESHOLD, keep_mask
    from training.evaluate import score_documents
    assert report["inclusive_threshold"] == INCLUSIVE_THRESHOLD and "inclusive: threshold" in text
    loose = evaluate(docs, "loso", inclusive_sources=("forum",), inclusive_threshold=0.9, inclusive_switch_cost=0.0)
    assert (loose["inclusive_threshold"], loose["inclusive_switch_cost"]) == (0.9, 0.0)
    news_docs = [d for d in docs if d.source == "news"]
    news_probs = [p for d, p in zip(docs, loose["probabilities_inclusive"]) if d.source == "news"]
    want = score_documents(news_docs, [keep_mask(d.lines, p, 0.9, loose["min_chars"], 0.0, loose["headline_lines"],
                                                 loose["min_dropped_prose"]) for d, p in zip(news_docs, news_probs)])
    assert loose["sources"]["news"][INCLUSIVE_SYSTEM]["shingle"] == want["shingle"]
    assert loose["sources"]["news"]["unboil"] == report["sources"]["news"]["unboil"]


@pytest.mark.parametrize("content", ["text", "npy", "npz-other", "npz-offsets", "truncated", "empty"])
def test_a_file_that_is_not_predictions_is_refused_in_one_line(tmp_path, content):
    path = tmp_path / "p.npz"
    good = {"doc_ids": np.array(["a/1"]), "offsets": np.array([0, 2]), "probs": np.array([0.1, 0.9])}
    if content == "text":
        path.write_text("doc_id\tprob\n", encoding="utf-8")
    elif content == "npy":
        with open(path, "wb") as fh:
            np.save(fh, np.arange(3))
    elif content == "npz-other":
        np.savez(path, probs=np.zeros(2))
    elif content == "npz-offsets":      # offsets that do not cover the probabilities
        np.savez(path, **{**good, "offsets": np.array([0, 5])})
    elif content == "truncated":
        np.savez(tmp_path / "full.npz", **good)
        path.write_bytes((tmp_path / "full.npz").read_bytes()[:200])
    else:
        path.write_bytes(b"")
    # (a well-formed file without the inclusive array says that instead: tested above)
    for inclusive in (False,) if content == "npz-offsets" else (False, True):
        with pytest.raises(ValueError, match="is not a predictions file; write one with `unboil evaluate"):
            load_predictions(path, inclusive=inclusive)
    np.savez(path, **good)      # and the same arrays, whole, load
    assert list(load_predictions(path)) == ["a/1"]


def test_inclusive_trees_round_trip_and_are_checked_on_load(two_convention_model, tmp_path):
    from inference.model import INCLUSIVE_PREFIX, Model
    from inference.modelfile import ModelFileError
    model = two_convention_model
    path = tmp_path / "two.npz"
    model.save(path)
    loaded = load_model(path)
    page = "\n".join(synthetic_page(random.Random(3), "r/0", "r", False)[0].lines)
    for mode in (False, True):
        np.testing.assert_array_equal(loaded.predict_proba([page], inclusive=mode)[0],
                                      model.predict_proba([page], inclusive=mode)[0])
    # the two modes use different trees over different columns
    assert model.header["inclusive_context_names"] == F.context_names()
    assert "inclusive" not in model.header["context_names"]
    broken = {k: v for k, v in model.arrays.items() if k != INCLUSIVE_PREFIX + "tree_value"}
    Model(broken, model.header).save(path)
    with pytest.raises(ModelFileError, match="lacks arrays inclusive_tree_value"):
        load_model(path)
    names = ["a_feature_from_the_future"] + model.header["inclusive_context_names"][1:]
    Model(dict(model.arrays), dict(model.header, inclusive_context_names=names)).save(path)
    with pytest.raises(ModelFileError, match="a_feature_from_the_future"):
        load_model(path)


@pytest.mark.parametrize("version", sorted(F.EXTRA_NAMES))
def test_a_version_with_more_columns_gives_both_modes_its_columns(tmp_path, version):
    """The inclusive trees read every column of the version, the convention column among them;
    the model saves, loads and scores both modes as it did before saving."""
    model = train(synthetic_docs(per_source=6), seed=0, inclusive_sources=("forum",), feature_version=version)
    assert model.header["inclusive_context_names"] == F.context_names(version)
    assert model.header["context_names"] == [n for n in F.context_names(version) if n != "inclusive"]
    model.save(tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    page = "\n".join(synthetic_page(random.Random(3), "r/0", "r", False)[0].lines)
    for mode in (False, True):
        np.testing.assert_array_equal(loaded.predict_proba([page], inclusive=mode)[0],
                                      model.predict_proba([page], inclusive=mode)[0])
