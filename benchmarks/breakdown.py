"""Where unboil's leave-one-source-out loss is: one table, error kind x source.

Reads the out-of-fold predictions that ``unboil evaluate`` saves, decodes them as
``unboil clean`` does, and splits every source's loss into kinds of wrong lines
(``training.breakdown``): kept boilerplate before, inside or after the article or
on a page kept whole; dropped content on a missed page, or sentences and other
lines dropped from a found article. Each cell is the kind's mean share per page:
of the page's kept words for ``kept`` kinds (precision), of its content words for
``dropped`` kinds (recall), as the shingle metric averages over pages.

    UNBOIL_DATASETS=../shared/datasets unboil evaluate --labels data/ --predictions loso.npz
    python benchmarks/breakdown.py --datasets ../shared/datasets --predictions loso.npz --examples 5

``--examples N`` prints N lines of each kind, drawn with probability proportional
to their share (seeded): the lines ``docs/errors.md`` is written from.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.textio import atomic_open  # noqa: E402
from training.breakdown import KINDS, breakdown, decode, line_shares  # noqa: E402
from training.cli import run_script, seed_arg  # noqa: E402
from training.datasets import SOURCES, DatasetsNotFoundError, datasets_root, load_sources  # noqa: E402
from training.evaluate import score_documents  # noqa: E402

from quality import predictions_or_exit  # noqa: E402  (read and refused as quality.py does)

EXAMPLE_CHARS = 110


def format_table(table: dict, shingle: dict) -> str:
    sources = list(table)
    lines = ["mean share per page (kept kinds: of the kept words; dropped kinds: of the content words)", "",
             "| kind | " + " | ".join(f"{s} ({table[s]['pages']})" for s in sources) + " |",
             "|" + "---|" * (len(sources) + 1)]
    for kind in KINDS:
        lines.append(f"| {kind} | " + " | ".join(f"{table[s][kind]:.4f}" for s in sources) + " |")
    for name, side, key in (("word precision loss (kept kinds)", "kept", "precision"),
                            ("word recall loss (dropped kinds)", "dropped", "recall")):
        lines.append(f"| **{name}** | " + " | ".join(
            f"{sum(v for k, v in table[s].items() if k.startswith(side)):.4f}" for s in sources) + " |")
        lines.append(f"| shingle 1 - {key} | " + " | ".join(f"{1 - shingle[s][key]:.4f}" for s in sources) + " |")
    return "\n".join(lines)


def examples(docs, decoded, probs, n: int, seed: int) -> str:
    """``n`` lines of each kind, drawn with probability proportional to their share of their page."""
    by_kind: dict[str, list] = {k: [] for k in KINDS}
    for d, (keep, whole), pr in zip(docs, decoded, probs):
        for i, hit in enumerate(line_shares(d, keep, whole)):
            if hit is not None:
                by_kind[hit[0]].append((hit[1], d.doc_id, i, float(pr[i]), d.lines[i]))
    rng = np.random.default_rng(seed)
    out = []
    for kind, rows in by_kind.items():
        out.append(f"\n## {kind} ({len(rows)} lines)")
        if not rows:
            continue
        weight = np.array([r[0] for r in rows])
        pick = rng.choice(len(rows), size=min(n, len(rows)), replace=False, p=weight / weight.sum())
        for j in sorted(pick.tolist()):
            share, doc_id, i, p, line = rows[j]
            text = line.strip()
            text = text if len(text) <= EXAMPLE_CHARS else text[:EXAMPLE_CHARS - 1] + "…"
            out.append(f"{doc_id} line {i}  share {share:.2f}  P {p:.2f}  {text}")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--predictions", required=True,
                    help="out-of-fold predictions from `unboil evaluate --predictions FILE`")
    ap.add_argument("--datasets", help="shared datasets folder (default: $UNBOIL_DATASETS)")
    ap.add_argument("--sources", default=",".join(SOURCES), help="comma-separated sources (default: all six)")
    ap.add_argument("--limit", type=int, default=None, help="pages per source")
    ap.add_argument("--examples", type=int, default=0, metavar="N", help="print N example lines of each kind")
    ap.add_argument("--seed", type=seed_arg, default=0, help="seed of the example draw, 0 to 2**32 - 1 (default: 0)")
    ap.add_argument("--json", help="write the table as JSON too")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    if args.examples < 0:
        ap.error("--examples must be 0 or more")
    sources = [s for s in args.sources.split(",") if s]
    try:
        root = datasets_root(args.datasets)
    except DatasetsNotFoundError as exc:
        ap.error(str(exc))
    saved = predictions_or_exit(ap, args.predictions)
    try:
        docs = load_sources(root, sources, limit=args.limit, n_jobs=2)
    except DatasetsNotFoundError as exc:    # no such source in the folder
        ap.error(str(exc))
    missing = [d.doc_id for d in docs if d.doc_id not in saved]
    if missing:
        ap.error(f"{args.predictions} lacks {len(missing)} pages (e.g. {missing[0]}): run evaluate on the same data")
    probs = [saved[d.doc_id] for d in docs]
    wrong = next((d.doc_id for d, p in zip(docs, probs) if len(p) != len(d.lines)), None)
    if wrong:
        ap.error(f"{args.predictions} has another number of lines for {wrong}: run evaluate on the same data")
    decoded = [decode(d.lines, p) for d, p in zip(docs, probs)]
    table = breakdown(docs, decoded)
    shingle = {}
    for src in table:
        idx = [k for k, d in enumerate(docs) if d.source == src]
        shingle[src] = score_documents([docs[k] for k in idx], [decoded[k][0] for k in idx])["shingle"]
    print(format_table(table, shingle))
    if args.examples:
        print(examples(docs, decoded, probs, args.examples, args.seed))
    if args.json:
        with atomic_open(args.json) as fh:
            fh.write(json.dumps({"kinds": table, "shingle": shingle}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
