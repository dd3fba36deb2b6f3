"""The ``unboil`` command: ``clean`` and ``info`` (from ``inference.cli``), ``train``, ``evaluate``.

Argument parsing only; the work is in ``training.train`` and ``training.evaluate``.
scikit-learn is imported only when a command needs it, so ``unboil clean`` starts fast.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from inference import cli as icli
from inference.model import DEFAULT_THRESHOLD, INCLUSIVE_THRESHOLD, MIN_ARTICLE_CHARS

__all__ = ["main", "build_parser", "seed_arg", "run_script"]

log = logging.getLogger("unboil")

TRAIN_EPILOG = """\
examples:
  unboil train --datasets ../shared/datasets --labels data/ -o model.npz
  unboil train --labels my_labels/ -o site.npz          (your own label files only)
  unboil train --sources l3s-gn1,dragnet --limit 200 -o small.npz

Label files: one document per .tsv file, rows 'label<TAB>kind<TAB>line' (see data/README.md).
The shared datasets folder comes from --datasets or the UNBOIL_DATASETS variable.
"""
EVAL_EPILOG = """\
examples:
  unboil evaluate --datasets ../shared/datasets --labels data/              (leave-one-source-out)
  unboil evaluate --scheme doc --sources dragnet,l3s-gn1 --limit 300
"""


def seed_arg(value: str) -> int:
    """argparse type of ``--seed``: a whole number from 0 to 2**32 - 1 (what ``train`` accepts)."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 0 <= n < 2 ** 32:
        raise argparse.ArgumentTypeError(f"must be from 0 to 2**32 - 1, got {value}")
    return n


def _common_data_args(p):
    p.add_argument("--datasets", metavar="DIR",
                   help="the shared datasets folder (default: $UNBOIL_DATASETS)")
    p.add_argument("--sources", default="all", metavar="LIST",
                   help="comma-separated shared sources to use, 'all' or 'none' (default: all)")
    p.add_argument("--labels", action="append", default=[], metavar="PATH",
                   help="a label file or a folder of *.tsv label files (repeatable)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="use at most N pages per shared source (quick runs)")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="where rendered pages are cached (default: $UNBOIL_CACHE or ~/.cache/unboil)")
    p.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                   help="processes for rendering pages (default: 1)")
    p.add_argument("--seed", type=seed_arg, default=0, metavar="N",
                   help="random seed, 0 to 2**32 - 1: it draws the cross-validation folds, stage 2's samples "
                        "and the order training reads the documents in, so the order of --labels does not "
                        "matter (default: 0)")
    p.add_argument("-q", "--quiet", action="store_true", help="errors only")


def build_parser() -> argparse.ArgumentParser:
    parser = icli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    t = sub.add_parser("train", help="train a model on label files and/or the shared datasets",
                       description="Train a two-stage TF-IDF + logistic regression model.",
                       epilog=TRAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _common_data_args(t)
    t.add_argument("-o", "--output", default="model.npz", metavar="PATH",
                   help="model file to write (default: model.npz); its card goes beside it as .card.json")
    t.add_argument("--metrics", metavar="JSON",
                   help="an `unboil evaluate --json` report to record in the model card")
    t.set_defaults(run=run_train)
    e = sub.add_parser("evaluate", help="grouped cross-validation: leave-one-source-out or by document",
                       description="Cross-validate unboil and the baselines; print shingle and line F1.",
                       epilog=EVAL_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _common_data_args(e)
    e.add_argument("--scheme", choices=("loso", "doc"), default="loso",
                   help="loso: leave one source out (default); doc: 5 folds grouped by document")
    e.add_argument("--threshold", type=icli._threshold, default=None, metavar="T",
                   help="P(boilerplate) at or above which a line is dropped, in both modes (default: each "
                        f"mode's own, as `unboil clean` uses it: {DEFAULT_THRESHOLD}, inclusive {INCLUSIVE_THRESHOLD})")
    e.add_argument("--min-chars", type=icli._min_chars, default=None, metavar="N",
                   help="keep a page whole when its content lines would hold fewer than N "
                        "characters, as `unboil clean` does (default: "
                        f"{MIN_ARTICLE_CHARS}; 0 turns this off)")
    e.add_argument("--json", metavar="FILE", help="also write the full report as JSON")
    e.add_argument("--predictions", metavar="FILE",
                   help="also save every line's out-of-fold P(boilerplate) (.npz; benchmarks/quality.py reads it)")
    e.set_defaults(run=run_evaluate)
    return parser


def load_documents(args) -> list:
    """Shared-dataset pages and label files, as the options ask."""
    from training.labels import read_label_dir

    docs = []
    for path in args.labels:
        docs += read_label_dir(path)
    wanted = args.sources.strip().lower()
    use_shared = args.datasets or os.environ.get("UNBOIL_DATASETS") or not args.labels or wanted != "all"
    if wanted != "none" and use_shared:
        from training.datasets import SOURCES, datasets_root, load_sources
        sources = list(SOURCES) if wanted == "all" else [s.strip() for s in wanted.split(",") if s.strip()]
        unknown = [s for s in sources if s not in SOURCES]
        if unknown:
            raise ValueError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(SOURCES)}")
        root = datasets_root(args.datasets)
        cache = False if args.cache_dir == "none" else args.cache_dir
        docs += load_sources(root, sources, limit=args.limit, cache_dir=cache, n_jobs=args.jobs)
    elif wanted == "all" and args.labels:
        log.info("training on label files only (pass --datasets to add the shared benchmarks)")
    if not docs:
        raise ValueError("nothing to train on: pass --labels PATH and/or --datasets DIR")
    return docs


def run_train(args) -> int:
    from training.train import train
    docs = load_documents(args)
    log.info("training on %d documents, %d lines", len(docs), sum(len(d.lines) for d in docs))
    model = train(docs, seed=args.seed)
    if args.metrics:
        model.header["card"]["metrics"] = json.loads(Path(args.metrics).read_text(encoding="utf-8"))
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    card = out.with_name(out.stem + ".card.json")
    from inference.textio import atomic_write_text
    atomic_write_text(card, json.dumps(model.header["card"], indent=2, sort_keys=True) + "\n")
    log.info("wrote %s (%.1f MB) and %s", out, out.stat().st_size / 1e6, card)
    return icli.EXIT_OK


def run_evaluate(args) -> int:
    from training.evaluate import evaluate, format_report
    docs = load_documents(args)
    report = evaluate(docs, args.scheme, threshold=args.threshold, min_chars=args.min_chars, seed=args.seed)
    probs = report.pop("probabilities")
    probs_inclusive = report.pop("probabilities_inclusive")
    print(format_report(report))
    if args.predictions:
        from training.evaluate import save_predictions
        save_predictions(args.predictions, docs, probs, probs_inclusive)
    if args.json:
        from inference.textio import atomic_write_text
        atomic_write_text(args.json, json.dumps(report, indent=2, sort_keys=True) + "\n")
    return icli.EXIT_OK


def _guard(run):
    """Training-side errors (bad label files, missing data) become one line and exit 1."""
    def wrapped(args):
        from training.labels import LabelFormatError
        try:
            return run(args)
        except (LabelFormatError, FileNotFoundError, ValueError) as exc:
            log.error("%s", exc)
            return icli.EXIT_INPUT
    return wrapped


def run_script(main) -> int:
    """A script's ``main()`` with its exit code; a reader of stdout that leaves early
    (``| head``) ends it quietly with ``EXIT_BROKEN_PIPE``, as ``unboil`` does, not with a
    traceback. For the benchmarks' ``if __name__ == "__main__"``."""
    try:
        try:
            code = main()
        finally:
            sys.stdout.flush()      # a piped stdout is block-buffered: the write that fails is here
    except BrokenPipeError:
        icli._silence_stdout()
        return icli.EXIT_BROKEN_PIPE
    return code


def main(argv=None) -> int:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name in ("train", "evaluate"):
                sp = action.choices[name]
                sp.set_defaults(run=_guard(sp.get_default("run")))
    return icli.dispatch(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
