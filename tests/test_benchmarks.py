"""The benchmark scripts run end to end on a few pages, so none goes stale unnoticed.

They print tables of measurements; these tests check that the scripts work and print
the rows they promise, never the timings (machines here are shared and noisy).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, needs_shared, shared_datasets


def _bench(script: str, *args: str, timeout: int = 300) -> str:
    env_datasets = shared_datasets()
    cmd = [sys.executable, str(ROOT / "benchmarks" / script), *args]
    if env_datasets is not None and script not in ("dask_scaling.py", "outside.py"):
        cmd += ["--datasets", str(env_datasets)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@needs_shared
def test_speed_benchmark_prints_a_row_per_run():
    out = _bench("speed.py", "--limit", "2", "--no-trafilatura", "--repeats", "2")
    for row in ("| unboil clean (text, -j 1) |", "| unboil clean -o DIR (text, -j 1, a file per page) |",
                "| C4 line rule (text) |"):
        assert row in out, out
    assert "fastest of 2 run(s)" in out


def test_scale_benchmark_streams_a_small_corpus(tmp_path):
    # runs on the seeds when the shared datasets are missing
    out = _bench("scale.py", "--sizes", "0.0005", "--workdir", str(tmp_path))
    assert "| corpus MB | records |" in out
    rows = [l for l in out.splitlines() if l.startswith("| ") and l[2].isdigit()]
    assert len(rows) == 1 and int(rows[0].split("|")[2]) > 0, out     # one corpus, some records


@needs_shared
def test_quality_benchmark_prints_the_table():
    out = _bench("quality.py", "--sources", "l3s-gn1", "--limit", "3", "--peers", "none")
    assert "unboil" in out and "l3s-gn1" in out, out


def test_dask_scaling_benchmark_runs():
    pytest.importorskip("dask.distributed")
    out = _bench("dask_scaling.py", "--records", "200", "--workers", "1", "--repeats", "1")
    assert [l for l in out.splitlines() if l.startswith("| 1 |")], out


def test_nested_benchmark_refuses_a_bad_grid_before_loading_anything():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "nested.py"), "--grid", "depth=3"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "KEY one of" in done.stderr and "Traceback" not in done.stderr
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "nested.py"), "--candidate", "stage2_bags=many"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "takes int values" in done.stderr and "Traceback" not in done.stderr


@needs_shared
def test_nested_benchmark_prints_a_row_per_candidate(tmp_path):
    out = _bench("nested.py", "--sources", "l3s-gn1,dragnet,cleanportaleval", "--limit", "5", "--labels", "",
                 "--grid", "switch_cost=0,0.5", "--grid", "stage2_trees=5", "--outer", "l3s-gn1",
                 "--candidate", "stage2_trees=5 switch_cost=1", "--candidate", "switch_cost=0 stage2_trees=5",
                 "--json", str(tmp_path / "n.json"))
    rows = [l for l in out.splitlines() if l.startswith("| stage1_folds=4 stage2_trees=5 stage2_bags=2 ")]
    # the second --candidate is already in the grid: one row each, in the order given
    assert len(rows) == 3 and "switch_cost=0.0" in rows[0] and "switch_cost=0.5" in rows[1], out
    assert "switch_cost=1.0" in rows[2], out
    assert "| outer l3s-gn1 |" in out and (tmp_path / "n.json").exists()


def _outside_pages(folder, pages: dict[str, tuple[str, str]]):
    (folder / "html").mkdir(parents=True)
    (folder / "txt").mkdir()
    for name, (page, expected) in pages.items():
        (folder / "html" / f"{name}.html").write_text(page, encoding="utf-8")
        (folder / "txt" / f"{name}.txt").write_text(expected, encoding="utf-8")


def test_outside_benchmark_scores_a_folder_of_pages(tmp_path):
    para = ("The harbour authority said on Tuesday that the old bridge would close for repairs "
            "for six weeks, and that ferries would run every twenty minutes in the meantime.")
    menu = "".join(f"<li><a href='/{w}'>{w}</a></li>" for w in ("Home", "News", "Sport", "Weather"))
    page = f"<html><body><ul>{menu}</ul><h1>Bridge to close</h1><p>{para}</p><p>{para}</p></body></html>"
    _outside_pages(tmp_path / "pages", {"bridge": (page, f"{para}\n{para}\n"),
                                        "empty_gold": (page, "  \n")})      # skipped: nothing expected
    out = _bench("outside.py", "--pages", str(tmp_path / "pages"), "--peers", "none", "--per-page",
                 "--json", str(tmp_path / "o.json"))
    assert "over 1 pages" in out, out
    rows = {l.split("|")[1].strip(): l for l in out.splitlines() if l.startswith("| ")}
    assert {"keep-all", "c4-rule", "unboil (text)", "bridge"} <= set(rows), out
    keep_all_p = float(rows["keep-all"].split("|")[3])
    assert keep_all_p < 1.0 and float(rows["keep-all"].split("|")[4]) == 1.0, out   # the menu costs precision
    assert "empty_gold" not in out and (tmp_path / "o.json").exists()


def test_outside_benchmark_runs_the_peers(tmp_path):
    for peer in ("justext", "trafilatura", "readability"):
        pytest.importorskip(peer, reason="the peers are the bench extra: pip install -e '.[bench]'")
    para = ("The council voted on Monday to keep the library open on Sundays, after a petition "
            "signed by more than four thousand residents asked it to reconsider the closure.")
    page = f"<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav><p>{para}</p></body></html>"
    _outside_pages(tmp_path / "pages", {"library": (page, para)})
    out = _bench("outside.py", "--pages", str(tmp_path / "pages"))
    for row in ("| justext (text) |", "| trafilatura (HTML) |", "| readability (HTML) |"):
        assert row in out, out


def _load_benchmark(name: str):
    import importlib.util
    sys.path.insert(0, str(ROOT / "benchmarks"))        # outside.py imports quality.py beside it
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return module


@pytest.mark.parametrize("script", ["outside", "quality"])
def test_a_benchmark_refuses_a_peer_that_is_not_installed(tmp_path, monkeypatch, capsys, script):
    """A missing peer package is one clear error before any page is read, not a row of zeros."""
    bench = _load_benchmark(script)
    monkeypatch.setitem(sys.modules, "justext", None)       # import justext now raises ImportError
    with pytest.raises(SystemExit) as exit_:
        bench.main(["--pages" if script == "outside" else "--datasets", str(tmp_path / "missing"),
                    "--peers", "justext"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "pip install -e '.[bench]'" in err and "Traceback" not in err


def test_outside_benchmark_refuses_a_folder_without_pages(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "outside.py"), "--pages", str(tmp_path),
                           "--peers", "none"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "needs html/ and txt/" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("script", ["nested.py", "quality.py"])
def test_a_bad_seed_is_refused_before_any_work(script):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--seed", "-1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--seed" in done.stderr and "Traceback" not in done.stderr


def _breakdown_folder(tmp_path):
    """A two-page source and predictions for it, as `unboil evaluate --predictions` saves them."""
    from test_datasets import ARTICLE, _page
    from training.datasets import load_source
    from training.evaluate import save_predictions
    root = tmp_path / "datasets"
    for i in (1, 2):
        _page(root / "html" / "toy", str(i), article=f"{ARTICLE} Item number {i} was discussed at length.")
    docs = load_source(root, "toy", cache_dir=False)
    # page 1: the menu is kept (precision loss before the article; confident enough to break the boilerplate
    # run under the decode's switch cost); page 2: every line is dropped
    probs = [np.array([0.05 if lab == "content" or k == 0 else 0.9 for k, lab in enumerate(docs[0].labels)]),
             np.full(len(docs[1].lines), 0.9)]
    save_predictions(tmp_path / "p.npz", docs, probs)
    return root, docs


def test_quality_benchmark_decodes_each_mode_with_its_own_threshold(tmp_path):
    # the page's last line ("Copyright 2024") scored 0.63 after a confident article: the default
    # decode (threshold 0.4, switch cost 1) keeps it with the article, the inclusive one (0.5, 0.5)
    # drops it, as `unboil clean` and `unboil clean --inclusive` would
    from inference.model import (DEFAULT_THRESHOLD, INCLUSIVE_SWITCH_COST, INCLUSIVE_THRESHOLD, SWITCH_COST,
                                 keep_mask)
    from training.evaluate import save_predictions
    from training.metrics import shingle_scores
    root, docs = _breakdown_folder(tmp_path)
    probs = [np.array([0.05 if lab == "content" else 0.95 for lab in d.labels[:-1]] + [0.63]) for d in docs]
    save_predictions(tmp_path / "q.npz", docs, probs, probs)
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "quality.py"), "--datasets", str(root),
                           "--sources", "toy", "--predictions", str(tmp_path / "q.npz"), "--peers", "none"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = {l.split("|")[1].strip(): l.split("|")[2].strip() for l in done.stdout.splitlines() if l.startswith("| ")}
    for tool, t, c in (("unboil (text)", DEFAULT_THRESHOLD, SWITCH_COST),
                       ("unboil --inclusive (text)", INCLUSIVE_THRESHOLD, INCLUSIVE_SWITCH_COST)):
        keep = [keep_mask(d.lines, p, t, switch_cost=c) for d, p in zip(docs, probs)]
        assert all(k[-1] == (tool == "unboil (text)") for k in keep)       # the decodes differ here
        want = shingle_scores([("\n".join(l for l, k in zip(d.lines, ks) if k), d.gold_text())
                               for d, ks in zip(docs, keep)])
        assert rows[tool] == f"{want['f1']:.3f} ({want['precision']:.2f} / {want['recall']:.2f})"
    assert rows["unboil (text)"] != rows["unboil --inclusive (text)"]


def test_breakdown_benchmark_splits_the_loss_into_kinds(tmp_path):
    root, docs = _breakdown_folder(tmp_path)
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "breakdown.py"), "--datasets", str(root),
                           "--sources", "toy", "--predictions", str(tmp_path / "p.npz"), "--examples", "3",
                           "--json", str(tmp_path / "b.json")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = {l.split("|")[1].strip(): l.split("|")[2].strip() for l in done.stdout.splitlines() if l.startswith("| ")}
    assert rows["kind"] == "toy (2)"
    # page 2 kept nothing, so the fallback kept it whole: its boilerplate counts as that kind
    assert float(rows["kept: page kept whole"]) > 0 and float(rows["kept: before the article"]) > 0
    assert float(rows["dropped: article missed"]) == 0.0
    table = json.loads((tmp_path / "b.json").read_text())
    assert table["kinds"]["toy"]["pages"] == 2 and "toy" in table["shingle"]
    assert "## kept: before the article (1 lines)" in done.stdout and "toy/1 line 0" in done.stdout


def test_breakdown_benchmark_refuses_bad_input_in_one_line(tmp_path):
    root, docs = _breakdown_folder(tmp_path)
    (tmp_path / "notes.npz").write_text("not numpy", encoding="utf-8")
    np.savez(tmp_path / "other.npz", probs=np.zeros(3))
    from training.evaluate import save_predictions
    save_predictions(tmp_path / "one.npz", docs[:1], [np.zeros(len(docs[0].lines))])
    cases = [(["--predictions", str(tmp_path / "notes.npz")], "is not a predictions file"),
             (["--predictions", str(tmp_path / "other.npz")], "is not a predictions file"),
             (["--predictions", str(tmp_path / "missing.npz")], "cannot read"),
             (["--predictions", str(tmp_path / "one.npz")], "lacks 1 pages"),
             (["--predictions", str(tmp_path / "p.npz"), "--examples", "-1"], "--examples")]
    for args, message in cases:
        done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "breakdown.py"), "--datasets", str(root),
                               "--sources", "toy", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)


@pytest.mark.parametrize("script", ["breakdown.py", "nested.py", "quality.py", "speed.py"])
def test_a_missing_datasets_folder_is_one_line(tmp_path, script):
    extra = {"breakdown.py": ["--predictions", "p.npz"], "quality.py": ["--peers", "none"]}.get(script, [])
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--datasets", str(tmp_path / "no"),
                           *extra], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "does not exist" in done.stderr and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("script", ["breakdown.py", "nested.py", "quality.py", "speed.py"])
def test_a_source_the_folder_lacks_is_one_line(tmp_path, script):
    root, _ = _breakdown_folder(tmp_path)
    extra = {"breakdown.py": ["--predictions", str(tmp_path / "p.npz")], "quality.py": ["--peers", "none"]}
    # speed.py reads every source: the toy folder lacks all but one
    sources = [] if script == "speed.py" else ["--sources", "toy,nosuch"]
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--datasets", str(root),
                           *sources, *extra.get(script, [])],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    missing = "no source 'cleaneval-dev'" if script == "speed.py" else "no source 'nosuch'"
    assert done.returncode == 2 and missing in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_nested_seeds_pairs_reports_and_refuses_bad_ones_in_one_line(tmp_path):
    from test_nested import FOUR, SHIPPED, _report
    for seed in (0, 1):
        for outer, gain in (("x", 0.01), ("y", -0.002)):
            (tmp_path / f"r{seed}{outer}.json").write_text(
                json.dumps(_report(seed, {outer: {SHIPPED: 0.9, FOUR: 0.9 + gain + seed / 100}})), encoding="utf-8")
    script = str(ROOT / "benchmarks" / "nested_seeds.py")
    files = sorted(str(p) for p in tmp_path.glob("r*.json"))
    done = subprocess.run([sys.executable, script, *files, "--json", str(tmp_path / "s.json")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    row = next(l for l in done.stdout.splitlines() if l.startswith("| stage2_bags=4 |"))
    assert "+0.0040 / +0.0140" in row and "+0.0090" in row, done.stdout
    assert json.loads((tmp_path / "s.json").read_text())["seeds"] == [0, 1]
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    cases = [([str(tmp_path / "bad.json")], "cannot read"), ([str(tmp_path / "none.json")], "cannot read"),
             ([str(tmp_path / "list.json")], "not a nested.py report"), (files[:3], "different outer folds"),
             ([*files, "--baseline", "depth=3"], "KEY one of"), ([*files, "--sources", "nosuch"], "unknown source"),
             ([*files, "--sources", ","], "no source given"), ([*files, "--sources", "article"], "none of the sources")]
    for args, message in cases:
        done = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)


@pytest.mark.parametrize("script", ["breakdown.py", "quality.py"])
def test_a_benchmark_whose_reader_left_ends_quietly(script, tmp_path):
    # `python benchmarks/X.py ... | head`: the reader is gone before the table is written
    # (every benchmark script ends through training.cli.run_script; these two print from toy data)
    root, _ = _breakdown_folder(tmp_path)
    extra = {"quality.py": ["--peers", "none"]}.get(script, [])
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--datasets", str(root),
                               "--sources", "toy", "--predictions", str(tmp_path / "p.npz"), *extra], cwd=ROOT,
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr


def test_every_benchmark_script_ends_through_run_script():
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        assert path.read_text(encoding="utf-8").rstrip().endswith("sys.exit(run_script(main))"), path.name
