"""Outside benchmark: pages with expected article text that are not in ``../shared``.

A check that a model generalises beyond the sources it was trained and chosen on,
never a place to choose anything. It reads a folder laid out as

    PAGES/html/NAME.html    the page as fetched
    PAGES/txt/NAME.txt      the expected article text

and scores each tool on every NAME present in both (pages whose expected text is
empty are skipped). newspaper4k's source distribution (MIT) ships such a folder:

    pip download --no-deps --no-binary :all: newspaper4k==0.9.6 && tar xzf newspaper4k-0.9.6.tar.gz
    python benchmarks/outside.py --pages newspaper4k-0.9.6/tests/data --per-page

unboil (the bundled model, or ``--model``) sees only the project's rendering of the
page; trafilatura and readability get the raw HTML; keep-all, the C4 line rule and
jusText (the lines wrapped in ``<p>``, English stop words) see the same rendered
lines. The folder is read, never copied.

Scores are the project's shingle F1 (training/metrics.py). Its tokens are runs of
word characters, so in Chinese or Japanese a token is a whole clause: their pages
are scored coarsely (a one-paragraph gold is a handful of shingles).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inference import ModelFileError, load_model  # noqa: E402
from inference.textio import atomic_open  # noqa: E402
from training.baselines import c4_keep  # noqa: E402
from training.cli import run_script  # noqa: E402
from training.metrics import shingle_prf, shingle_scores  # noqa: E402
from training.render import decode_html, render_lines  # noqa: E402

from quality import PEER_RUNS, _safe, peers_problem  # noqa: E402  (the peers run as quality.py runs them)

log = logging.getLogger("outside")
PEERS = ("justext", "trafilatura", "readability")


def find_pages(folder: Path) -> list[tuple[str, Path, str]]:
    """(name, html path, expected text) for every page with both files and non-empty text."""
    html_dir, txt_dir = folder / "html", folder / "txt"
    if not html_dir.is_dir() or not txt_dir.is_dir():
        raise FileNotFoundError(f"{folder} needs html/ and txt/ subfolders (NAME.html beside NAME.txt)")
    pages = []
    for txt in sorted(txt_dir.glob("*.txt")):
        page = html_dir / f"{txt.stem}.html"
        gold = txt.read_text(encoding="utf-8", errors="replace") if page.is_file() else ""
        if gold.strip():
            pages.append((txt.stem, page, gold))
    if not pages:
        raise FileNotFoundError(f"{folder} has no NAME.html with a non-empty txt/NAME.txt")
    return pages


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", required=True, help="folder with html/NAME.html and txt/NAME.txt")
    ap.add_argument("--model", help="model file (default: the bundled model)")
    ap.add_argument("--peers", default=",".join(PEERS), help=f"subset of {','.join(PEERS)} or 'none'")
    ap.add_argument("--per-page", action="store_true", help="also print each page's F1 per tool")
    ap.add_argument("--json", help="write the scores as JSON too")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)

    peers = [] if args.peers == "none" else [p for p in args.peers.split(",") if p]
    problem = peers_problem(peers, PEERS)      # the peers run as quality.py runs them
    if problem:
        ap.error(problem)
    try:
        pages = find_pages(Path(args.pages))
        model = load_model(args.model)
    except (OSError, ModelFileError) as exc:
        ap.error(str(exc))

    outputs: dict[str, list[str]] = {"keep-all": [], "c4-rule": [], "unboil (text)": []}
    outputs.update({PEER_RUNS[p][0]: [] for p in peers})
    golds = [gold for _, _, gold in pages]
    for name, page, _ in pages:
        try:
            html = decode_html(page.read_bytes())
        except OSError as exc:
            ap.error(f"cannot read {exc.filename}: {exc.strerror}")
        lines = render_lines(html)
        outputs["keep-all"].append("\n".join(lines))
        outputs["c4-rule"].append("\n".join(l for l, k in zip(lines, c4_keep(lines)) if k))
        outputs["unboil (text)"].append(model.clean(lines))
        for p in peers:
            tool, run, reads, _ = PEER_RUNS[p]
            outputs[tool].append(_safe(run, lines if reads == "lines" else html))
        log.info("%s: %d lines", name, len(lines))

    scores = {tool: shingle_scores(list(zip(texts, golds))) for tool, texts in outputs.items()}
    print(f"shingle F1 / P / R over {len(pages)} pages from {args.pages} (P and R averaged over pages, F1 from them)\n")
    print("| tool | F1 | P | R |\n|---|---|---|---|")
    for tool, s in scores.items():
        print(f"| {tool} | {s['f1']:.3f} | {s['precision']:.3f} | {s['recall']:.3f} |")
    per_page = {tool: {name: shingle_prf(text, gold)[2] for (name, _, _), text, gold in zip(pages, texts, golds)}
                for tool, texts in outputs.items()}
    if args.per_page:
        tools = list(outputs)
        print("\n| page | " + " | ".join(tools) + " |\n|" + "---|" * (len(tools) + 1))
        for name, _, _ in pages:
            print(f"| {name} | " + " | ".join(f"{per_page[t][name]:.3f}" for t in tools) + " |")
    if args.json:
        with atomic_open(args.json) as fh:
            fh.write(json.dumps({"pages": args.pages, "scores": scores, "per_page": per_page}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
