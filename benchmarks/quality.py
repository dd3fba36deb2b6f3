"""Quality benchmark: tool × source → shingle F1 / P / R on the shared datasets.

unboil is scored leave-one-source-out (trained on the other sources plus the seed
labels, never on the source it is scored on) and sees only the rendered text
lines. The peers run in the same process on the same pages:

* keep-all and the C4 line rule, on the same rendered lines;
* unboil ``--repeats`` (``inference/repeats.py``): the same predictions, each source's pages
  cleaned together, so a line of a few words on several of them is boilerplate too;
* jusText on the rendered lines wrapped in ``<p>`` (what it can do given text);
* trafilatura (``include_comments=False``) and readability on the **raw HTML**;
* trafilatura with ``include_comments=True``, beside unboil's inclusive mode (CleanEval's
  gold counts comments as content).

    pip install -e '.[bench]'
    python benchmarks/quality.py --datasets ../shared/datasets          # all pages, ~15 min
    python benchmarks/quality.py --limit 100 --peers trafilatura         # a quick look
"""
from __future__ import annotations

import argparse
import gzip
import html
import importlib
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference.textio import atomic_open  # noqa: E402
from training.baselines import c4_keep  # noqa: E402
from training.cli import run_script, seed_arg  # noqa: E402
from training.datasets import SOURCES, DatasetsNotFoundError, datasets_root, load_sources  # noqa: E402
from training.evaluate import cross_val_predict_modes, load_predictions  # noqa: E402
from inference.model import (DEFAULT_THRESHOLD, INCLUSIVE_SWITCH_COST, INCLUSIVE_THRESHOLD, SWITCH_COST,  # noqa: E402
                             keep_mask)
from inference.repeats import REPEAT_PAGES, REPEAT_WORDS, drop_repeated  # noqa: E402
from training.labels import read_label_dir  # noqa: E402
from training.metrics import shingle_scores  # noqa: E402
from training.render import decode_html  # noqa: E402

log = logging.getLogger("quality")
PEERS = ("justext", "trafilatura", "readability", "trafilatura-comments")
TARGET_SOURCES = ("l3s-gn1", "dragnet", "cleanportaleval", "readability")


def raw_html(root: Path, doc_id: str) -> str:
    source, page = doc_id.split("/", 1)
    return decode_html(gzip.decompress((root / "html" / source / f"{page}.html.gz").read_bytes()))


def run_justext(lines: list[str]) -> str:
    import justext
    page = "<html><body>" + "".join(f"<p>{html.escape(l)}</p>" for l in lines) + "</body></html>"
    paragraphs = justext.justext(page, justext.get_stoplist("English"))
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def run_trafilatura(page: str, comments: bool = False) -> str:
    import trafilatura
    return trafilatura.extract(page, include_comments=comments, include_tables=True) or ""


def run_trafilatura_comments(page: str) -> str:
    return run_trafilatura(page, comments=True)


def run_readability(page: str) -> str:
    from lxml import html as lh
    from readability import Document as Readable
    summary = Readable(page).summary(html_partial=True)
    return lh.fromstring(summary).text_content() if summary.strip() else ""


# peer -> (its row in the table, how it runs, what it reads: the rendered "lines" or the raw
# "html", the module it imports from the bench extra: pip install -e '.[bench]')
PEER_RUNS = {
    "justext": ("justext (text)", run_justext, "lines", "justext"),
    "trafilatura": ("trafilatura (HTML)", run_trafilatura, "html", "trafilatura"),
    "readability": ("readability (HTML)", run_readability, "html", "readability"),
    "trafilatura-comments": ("trafilatura, comments (HTML)", run_trafilatura_comments, "html", "trafilatura"),
}


def peers_problem(peers: list[str], known=PEERS) -> str | None:
    """Why these peers cannot run (unknown, or not installed), before any page is read: a
    missing module would otherwise score every page as empty output."""
    for peer in peers:
        if peer not in known:
            return f"unknown peer {peer!r}; choose from {','.join(known)} or 'none'"
        try:
            importlib.import_module(PEER_RUNS[peer][3])
        except ImportError:
            return f"peer {peer!r} needs its package: pip install -e '.[bench]' (or --peers none)"
    return None


def predictions_or_exit(ap: argparse.ArgumentParser, path: str) -> dict:
    """``load_predictions(path)``, or exit 2 with one line saying why it cannot be read."""
    try:
        return load_predictions(path)
    except OSError as exc:
        ap.error(f"cannot read {path}: {exc.strerror or exc}")
    except ValueError as exc:   # not a predictions file
        ap.error(str(exc))


def _safe(fn, arg) -> str:
    try:
        return fn(arg)
    except Exception as exc:  # a peer failing on a page scores that page as empty output
        log.debug("peer failed: %s", exc)
        return ""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", help="shared datasets folder (default: $UNBOIL_DATASETS)")
    ap.add_argument("--sources", default=",".join(SOURCES), help="comma-separated sources")
    ap.add_argument("--limit", type=int, default=None, help="pages per source")
    ap.add_argument("--peers", default=",".join(PEERS), help=f"subset of {','.join(PEERS)} or 'none'")
    ap.add_argument("--labels", default=str(ROOT / "data"), help="label files added to training")
    ap.add_argument("--seed", type=seed_arg, default=0, help="random seed, 0 to 2**32 - 1 (default: 0)")
    ap.add_argument("--json", help="write the table as JSON too")
    ap.add_argument("--predictions", help="unboil's out-of-fold predictions from "
                    "`unboil evaluate --predictions FILE` (same data and seed) instead of retraining")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)

    peers = [] if args.peers == "none" else [p for p in args.peers.split(",") if p]
    problem = peers_problem(peers)
    if problem:
        ap.error(problem)
    try:
        root = datasets_root(args.datasets)
    except DatasetsNotFoundError as exc:
        ap.error(str(exc))
    sources = [s for s in args.sources.split(",") if s]
    if args.predictions:        # read before the pages load: a bad file is refused at once
        saved = predictions_or_exit(ap, args.predictions)
    try:
        docs = load_sources(root, sources, limit=args.limit, n_jobs=2)
    except DatasetsNotFoundError as exc:    # no such source in the folder
        ap.error(str(exc))
    labelled = read_label_dir(args.labels) if args.labels else []
    everything = docs + labelled
    t0 = time.perf_counter()
    if args.predictions:
        missing = [d.doc_id for d in docs if d.doc_id not in saved]
        if missing:
            ap.error(f"{args.predictions} lacks {len(missing)} pages (e.g. {missing[0]}): run evaluate on the same data")
        probs = [saved[d.doc_id] for d in docs]
        try:
            saved = load_predictions(args.predictions, inclusive=True)
        except ValueError:
            saved = {}
        probs_inclusive = [saved.get(d.doc_id) for d in docs]
    else:
        by_mode = cross_val_predict_modes(everything, "loso", seed=args.seed, required=False)
        probs, probs_inclusive = by_mode[False][: len(docs)], by_mode[True][: len(docs)]
    log.info("unboil leave-one-source-out: %.0fs", time.perf_counter() - t0)

    def keep(d, pr, inclusive=False):
        # each mode decoded with its own threshold and switch cost, as `unboil clean` and `evaluate` do
        t, c = (INCLUSIVE_THRESHOLD, INCLUSIVE_SWITCH_COST) if inclusive else (DEFAULT_THRESHOLD, SWITCH_COST)
        return keep_mask(d.lines, pr, t, switch_cost=c)

    def text(d, mask):
        return "\n".join(l for l, k in zip(d.lines, mask) if k)

    masks = [keep(d, pr) for d, pr in zip(docs, probs)]
    # `unboil clean --repeats`: each source's pages cleaned together, as a crawl would be
    with_repeats = list(masks)
    for src in sources:
        idx = [i for i, d in enumerate(docs) if d.source == src]
        dropped = drop_repeated([docs[i].lines for i in idx], [masks[i] for i in idx], REPEAT_PAGES, REPEAT_WORDS)
        for i, m in zip(idx, dropped):
            with_repeats[i] = m
    outputs: dict[str, list] = {
        "keep-all": ["\n".join(d.lines) for d in docs],
        "c4-rule": [text(d, c4_keep(d.lines)) for d in docs],
        "unboil (text)": [text(d, m) for d, m in zip(docs, masks)],
        f"unboil --repeats {REPEAT_PAGES} (text, a source's pages together)":
            [text(d, m) for d, m in zip(docs, with_repeats)],
        # None where the page's fold model had no inclusive mode
        "unboil --inclusive (text)": [None if pr is None else text(d, keep(d, pr, inclusive=True))
                                      for d, pr in zip(docs, probs_inclusive)],
    }
    for peer in peers:      # checked by peers_problem above
        t0 = time.perf_counter()
        tool, run, reads, _ = PEER_RUNS[peer]
        outputs[tool] = [_safe(run, d.lines if reads == "lines" else raw_html(root, d.doc_id)) for d in docs]
        log.info("%s: %.0fs", peer, time.perf_counter() - t0)

    table = {}
    for tool, texts in outputs.items():
        table[tool] = {}
        for src in sources:
            idx = [i for i, d in enumerate(docs) if d.source == src]
            if any(texts[i] is None for i in idx):
                continue            # not scored on this source: a cell of "-"
            table[tool][src] = shingle_scores([(texts[i], docs[i].gold_text()) for i in idx])
    print(format_table(table, sources, len(docs)))
    if args.json:
        with atomic_open(args.json) as fh:
            fh.write(json.dumps(table, indent=2) + "\n")
    return 0


def format_table(table: dict, sources: list[str], n_docs: int) -> str:
    targets = [s for s in TARGET_SOURCES if s in sources]
    head = "| tool | " + " | ".join(sources) + (" | mean of 4 news/article sources |" if targets else " |")
    lines = [f"shingle F1 (P / R), {n_docs} pages; unboil leave-one-source-out", "",
             head, "|" + "---|" * (len(sources) + 1 + bool(targets))]
    for tool, per in table.items():
        if not per:
            continue
        cells = [f"{per[s]['f1']:.3f} ({per[s]['precision']:.2f} / {per[s]['recall']:.2f})" if s in per else "-"
                 for s in sources]
        if targets:
            cells.append(f"{np.mean([per[s]['f1'] for s in targets]):.3f}" if all(s in per for s in targets)
                         else "-")
        lines.append(f"| {tool} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(run_script(main))
