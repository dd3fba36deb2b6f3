"""Nested runs over several seeds as one decision statistic: the paired difference.

A nested run (``benchmarks/nested.py``) ranks candidates by their inner mean; the seed
alone moves that mean by up to 0.009 (docs/experiments.md, session 24), more than the
+0.002 the repository's rules ask of a change. Candidates compared in one run share
the seed, so their *difference* moves less (session 25: stage2_bags 4 against 2 moved
by 0.0004 over three seeds where the inner mean moved by 0.009). This script reads the JSON reports of
runs with several seeds (one file per seed and outer fold, or any other split) and
prints, per candidate, the inner mean per seed, the paired difference with the
baseline in each seed, and its mean and standard deviation over the seeds:

    for s in 0 1 2; do for o in readability dragnet l3s-gn1 cleanportaleval cleaneval-dev cleaneval-final; do
      python benchmarks/nested.py --datasets ../shared/datasets --grid stage2_bags=2,4 --outer $o --seed $s --json bags${s}_$o.json
    done; done
    python benchmarks/nested_seeds.py bags*_*.json

Every seed must cover the same outer folds and every report the same candidates.
The baseline is the shipped setting when it is compared (else the first candidate),
or ``--baseline 'KEY=V ...'``. ``--sources article`` (or a comma-separated list) takes
each fold's inner mean over those inner sources only: ``article`` is the sources of the
article convention, which the default mode's decode is chosen on (docs/experiments.md,
session 26); the default, every inner source, is what chose everything else.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.textio import atomic_open  # noqa: E402
from training.cli import run_script  # noqa: E402
from training.datasets import ARTICLE_SOURCES, SOURCES  # noqa: E402
from training.nested import candidate_name, combine_seeds, format_seeds, parse_candidate  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("reports", nargs="+", metavar="REPORT.json", help="nested.py --json reports")
    ap.add_argument("--baseline", metavar="'KEY=V KEY=V'",
                    help="the candidate the others are paired with (unset keys: shipped; default: the shipped "
                         "settings if compared, else the first candidate)")
    ap.add_argument("--sources", metavar="article|SRC,SRC",
                    help="each fold's inner mean over these inner sources only; 'article' = "
                         f"{','.join(ARTICLE_SOURCES)} (default: every inner source)")
    ap.add_argument("--json", help="write the combined statistic as JSON too")
    args = ap.parse_args(argv)
    try:
        baseline = candidate_name(parse_candidate(args.baseline)) if args.baseline else None
    except ValueError as exc:
        ap.error(str(exc))
    sources = None
    if args.sources is not None:
        sources = list(ARTICLE_SOURCES) if args.sources == "article" else [s for s in args.sources.split(",") if s]
        unknown = [s for s in sources if s not in SOURCES]
        if not sources or unknown:
            ap.error(f"--sources: unknown source {unknown[0]!r} (known: {', '.join(SOURCES)}, or 'article')"
                     if unknown else "--sources: no source given")
    reports = []
    for path in args.reports:
        try:
            with open(path, encoding="utf-8") as fh:
                reports.append(json.load(fh))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            print(f"nested_seeds.py: error: cannot read {path}: {exc}", file=sys.stderr)
            return 2
    try:
        summary = combine_seeds(reports, baseline, sources)
    except (ValueError, KeyError, TypeError) as exc:
        print(f"nested_seeds.py: error: {exc if isinstance(exc, ValueError) else f'not a nested report ({exc!r})'}",
              file=sys.stderr)
        return 2
    print(format_seeds(summary))
    if args.json:
        with atomic_open(args.json) as fh:
            fh.write(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
