"""inference.repeats: lines on several pages of a batch."""
import numpy as np
import pytest

from inference.repeats import drop_repeated, normalise_line, repeated_lines

MENU = "Home | World | Sport"
PAGES = [
    [MENU, "First story's only paragraph, unique to this page.", "", "12 Comments"],
    [MENU, "Second story, its own words.", "3 comments", "Second story, its own words."],
    ["  home | WORLD |   sport ", "Third story.", ""],
]


def test_normalise_line_folds_case_space_and_digits():
    assert normalise_line("  12  Comments ") == normalise_line("3 comments") == "0 comments"
    assert normalise_line("Home") != normalise_line("Homes")


def test_repeated_lines_counts_pages_not_occurrences():
    got = repeated_lines(PAGES, min_pages=2)
    assert [m.tolist() for m in got] == [
        [True, False, False, True],
        [True, False, True, False],     # a line twice on one page is on one page
        [True, False, False],           # blank lines never count
    ]
    assert [m.tolist() for m in repeated_lines(PAGES, min_pages=3)] == [
        [True, False, False, False], [True, False, False, False], [True, False, False]]


def test_repeated_lines_refuses_fewer_than_two_pages():
    with pytest.raises(ValueError, match="at least 2"):
        repeated_lines(PAGES, min_pages=1)


def test_drop_repeated_drops_only_kept_short_repeats_and_leaves_its_input():
    long_line = "This same long sentence of many words appears on both pages of the batch, as syndicated text does."
    pages = [[MENU, long_line, "Alpha."], [MENU, long_line, "Beta."]]
    keeps = [np.array([True, True, True]), np.array([False, True, True])]
    before = [k.copy() for k in keeps]
    short = drop_repeated(pages, keeps, min_pages=2, max_words=12)
    assert [k.tolist() for k in short] == [[False, True, True], [False, True, True]]
    anylen = drop_repeated(pages, keeps, min_pages=2, max_words=0)
    assert [k.tolist() for k in anylen] == [[False, False, True], [False, False, True]]
    assert all((a == b).all() for a, b in zip(keeps, before))


def test_drop_repeated_one_page_changes_nothing():
    keep = [np.array([True, True, False, True])]
    assert drop_repeated(PAGES[:1], keep, min_pages=2)[0].tolist() == keep[0].tolist()


def test_drop_repeated_checks_lengths():
    with pytest.raises(ValueError, match="2 pages but 1"):
        drop_repeated(PAGES[:2], [np.ones(4, bool)])
    with pytest.raises(ValueError, match="4 lines but its keep mask 3"):
        drop_repeated(PAGES[:1], [np.ones(3, bool)])


# --- the opt-in batch mode: Model.clean_many / classify_many (repeat_pages) and `unboil clean --repeats`

PROMPT = "Sign up for our newsletter"      # prose-like enough that the bundled model keeps it alone


def _page(i: int) -> str:
    return "\n".join([
        "Home | World | Sport", PROMPT,
        f"Story {i}: a long paragraph of real prose that tells what happened in the town today, with several "
        "clauses, names and figures, so that it reads like the opening of a newspaper article.",
        f"Another paragraph of story {i} goes on with more detail about the events and the people involved "
        "in them, quoting a witness at length about what she saw from her window that night.",
        f"A third paragraph for story {i} closes the article with what comes next, and when the council "
        "will meet again to decide the matter that brought the town out onto the streets.",
        "Copyright 2012 The Paper"])


PAGES_TEXT = [_page(i) for i in range(3)]


@pytest.fixture(scope="module")
def bundled():
    from inference import load_model
    return load_model()


def test_repeat_pages_drops_the_shared_prompt_and_keeps_each_story(bundled):
    plain = bundled.clean_many(PAGES_TEXT)
    assert all(PROMPT in c for c in plain), "fixture: the prompt must be kept without --repeats"
    cleaned = bundled.clean_many(PAGES_TEXT, repeat_pages=3)
    assert all(PROMPT not in c for c in cleaned)
    assert all(f"Story {i}:" in c and f"story {i} closes" in c for i, c in enumerate(cleaned))


def test_repeat_pages_changes_labels_not_scores(bundled):
    plain = bundled.classify_many(PAGES_TEXT)
    rep = bundled.classify_many(PAGES_TEXT, repeat_pages=2)
    assert [[r.score for r in d] for d in plain] == [[r.score for r in d] for d in rep]
    assert [r.label for r in rep[0] if r.text == PROMPT] == ["boilerplate"]
    assert [r.label for r in plain[0] if r.text == PROMPT] == ["content"]


def test_repeat_pages_off_or_one_document_is_the_per_page_output(bundled):
    assert bundled.clean_many(PAGES_TEXT, repeat_pages=0) == bundled.clean_many(PAGES_TEXT)
    # a line cannot be on two pages of a batch of one: batched or one at a time, the same
    assert bundled.clean_many(PAGES_TEXT[:1], repeat_pages=2) == [bundled.clean(PAGES_TEXT[0])]
    # more pages than the batch has: nothing is dropped
    assert bundled.clean_many(PAGES_TEXT, repeat_pages=4) == bundled.clean_many(PAGES_TEXT)


@pytest.mark.parametrize("bad", [1, -1, 2.5, True, "3"])
def test_repeat_pages_refuses_bad_values(bundled, bad):
    with pytest.raises(ValueError, match="repeat_pages must be 0"):
        bundled.clean_many(PAGES_TEXT, repeat_pages=bad)


def _write_pages(tmp_path):
    paths = []
    for i, text in enumerate(PAGES_TEXT):
        p = tmp_path / f"p{i}.txt"
        p.write_text(text + "\n", encoding="utf-8")
        paths.append(p)
    return paths


def _clean(argv, capsys):
    from training.cli import main
    code = main(["clean", "-q"] + argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_cli_repeats_over_files_matches_the_api(tmp_path, capsys, bundled, jobs):
    paths = _write_pages(tmp_path)
    before = [p.read_bytes() for p in paths]
    code, out, err = _clean(["--repeats", "3", "-j", jobs] + [str(p) for p in paths], capsys)
    assert code == 0, err
    assert out == "\n\n".join(bundled.clean_many(PAGES_TEXT, repeat_pages=3)) + "\n"
    assert PROMPT not in out and [p.read_bytes() for p in paths] == before


def test_cli_repeats_jsonl_counts_records(tmp_path, capsys):
    import json
    src = tmp_path / "pages.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(PAGES_TEXT)),
                   encoding="utf-8")
    code, out, err = _clean(["--repeats", "3", "--input-format", "jsonl", str(src)], capsys)
    records = [json.loads(l) for l in out.splitlines()]
    assert code == 0, err
    assert [r["id"] for r in records] == [0, 1, 2] and all(PROMPT not in r["text"] for r in records)


def test_cli_repeats_refuses_stdin_and_one_page(tmp_path, capsys):
    code, _, err = _clean(["--repeats", "2", "-"], capsys)
    assert code == 2 and "give files, not stdin" in err
    code, _, err = _clean(["--repeats", "1", str(_write_pages(tmp_path)[0])], capsys)
    assert code == 2 and "must be 0 (off) or 2 or more" in err


def test_cli_repeats_reports_an_unreadable_input_once(tmp_path, capsys):
    paths = _write_pages(tmp_path)
    code, out, err = _clean(["--repeats", "2"] + [str(p) for p in paths] + [str(tmp_path / "missing.txt")], capsys)
    assert code == 1 and err.count("missing.txt") == 1 and "Story 2:" in out
