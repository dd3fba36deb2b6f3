"""Nested leave-one-source-out: which setting would each fold choose, never looking at its own source?

For each outer held-out source, every candidate is scored by an inner
leave-one-source-out over the *training* sources only (its mean inner shingle F1
chooses); the candidate's outer score on the held-out source is printed beside it,
for the record, not for choosing (``training/nested.py``). The repository's choices in
``docs/experiments.md`` were made this way: e.g. the decode's switch cost,

    python benchmarks/nested.py --datasets ../shared/datasets --grid switch_cost=0,0.5,1,3
    python benchmarks/nested.py --grid stage2_trees=60,100 --limit 50      # a quick look
    python benchmarks/nested.py --candidate 'stage1_draws=2 stage2_bags=4'  # the shipped model against one other

Candidates that differ only in the decode (threshold, switch_cost, min_chars,
headline_lines, min_dropped_prose, cjk_words, retry_threshold, reentry_cost,
fallback_sentences) share their stage-2 fits; values of stage2_bags
share their bags (the largest count is fitted, the others average its first bags); each value of stage1_folds,
stage1_draws (groupings of the sources into those folds, one per stage-2 bag in turn) and
stage1_tol (where stage 1's L-BFGS stops; 1e-4 shipped) fits its own stage 1; values of
feature_version (1, 2, 3; version 3 counts each Chinese or Japanese character as a word in
stage 2's shapes) share stage 1, which never reads the shapes; so do values of
stage2_word_weight (log, sqrt, linear: how a line's word count scales its weight in stage 2).
A full run on the shared datasets fits stage 1 once and stage 2 six times per outer source.
Measured on two cores: ~22 minutes for one stage-2 setting of one 100-tree ensemble (session
10); with the shipped two bagged ensembles, a grid over the decode alone took 77 minutes in
session 16 (with other jobs beside it).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.textio import atomic_open  # noqa: E402
from training.cli import run_script, seed_arg  # noqa: E402
from training.datasets import SOURCES, DatasetsNotFoundError, datasets_root, load_sources  # noqa: E402
from training.labels import read_label_dir  # noqa: E402
from training.nested import CANDIDATE_KEYS, format_nested, nested_evaluate, parse_candidate, parse_grid  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", help="shared datasets folder (default: $UNBOIL_DATASETS)")
    ap.add_argument("--sources", default=",".join(SOURCES), help="comma-separated sources")
    ap.add_argument("--limit", type=int, default=None, help="pages per source")
    ap.add_argument("--labels", default=str(ROOT / "data"), help="label files added to training ('' for none)")
    ap.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                    help=f"candidate values, KEY one of {', '.join(CANDIDATE_KEYS)}; repeat for a "
                         "product of several (default: the shipped settings only)")
    ap.add_argument("--candidate", action="append", default=[], metavar="'KEY=V KEY=V'",
                    help="one more candidate, e.g. 'stage1_draws=2 stage2_bags=4' (unset keys: shipped); "
                         "repeat for several. Compared with the grid's candidates, which default to "
                         "the shipped settings alone, so a chosen few need no full product")
    ap.add_argument("--outer", default=None, metavar="LIST",
                    help="outer sources to hold out (default: every source with enough pages)")
    ap.add_argument("--seed", type=seed_arg, default=0, help="random seed, 0 to 2**32 - 1 (default: 0)")
    ap.add_argument("--json", help="write the full report as JSON too")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        candidates = parse_grid(args.grid)
        for extra in map(parse_candidate, args.candidate):
            if extra not in candidates:
                candidates.append(extra)
    except ValueError as exc:
        ap.error(str(exc))
    try:
        docs = load_sources(datasets_root(args.datasets), [s for s in args.sources.split(",") if s],
                            limit=args.limit, n_jobs=2)
    except DatasetsNotFoundError as exc:    # no folder, or no such source in it
        ap.error(str(exc))
    if args.labels:
        docs += read_label_dir(args.labels)
    outer = [s for s in args.outer.split(",") if s] if args.outer else None
    try:
        report = nested_evaluate(docs, candidates, seed=args.seed, outer_sources=outer)
    except ValueError as exc:
        print(f"nested.py: error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(docs)} pages; inner = leave-one-source-out inside each outer fold's training "
          f"sources; shingle F1\n")
    print(format_nested(report))
    if args.json:
        with atomic_open(args.json) as fh:
            fh.write(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
