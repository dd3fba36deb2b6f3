"""Speed benchmark: whole processes on the same pages, one core each, in one run.

* unboil — ``unboil clean -q -o OUT`` over the shared pages rendered to text files
  (start-up and model load included);
* a C4-style line rule in plain Python over the same text files (a floor: the
  least work a line filter can do);
* trafilatura over the same pages' HTML (``include_comments=False``).

Each runs as its own process pinned to one core (``taskset`` when present), so the
numbers are comparable; the machine is shared and noisy, so read the ratios
between tools of one run, not the absolute numbers.

    pip install -e '.[bench]'
    python benchmarks/speed.py --datasets ../shared/datasets
    python benchmarks/speed.py --limit 300 --jobs 1,2       # plus unboil -j 2
"""
from __future__ import annotations

import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.datasets import SOURCES, datasets_root, load_sources  # noqa: E402

C4_SCRIPT = r"""
import sys, pathlib
out = pathlib.Path(sys.argv[1])
for name in sys.argv[2:]:
    p = pathlib.Path(name)
    keep = [l for l in p.read_text(encoding="utf-8").splitlines()
            if l.strip().endswith((".", "!", "?", '"')) and len(l.split()) >= 3]
    (out / p.name).write_text("\n".join(keep) + "\n", encoding="utf-8")
"""
TRAFILATURA_SCRIPT = r"""
import sys, gzip, pathlib
import trafilatura
from training.render import decode_html
out = pathlib.Path(sys.argv[1])
for name in sys.argv[2:]:
    p = pathlib.Path(name)
    html = decode_html(gzip.decompress(p.read_bytes()))
    text = trafilatura.extract(html, include_comments=False) or ""
    (out / (p.name + ".txt")).write_text(text, encoding="utf-8")
"""


# A fresh parent per measurement, so RUSAGE_CHILDREN's peak is this one child's.
_MEASURE = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def _run(cmd: list[str], files: list[str], cores: str | None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process over ``files`` (passed via argv)."""
    if cores and shutil.which("taskset"):
        cmd = ["taskset", "-c", cores] + cmd
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURE, *cmd, *files], check=True, cwd=ROOT,
                          capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1",
                                   OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1"))
    wall = time.perf_counter() - t0
    return wall, int(done.stdout.strip().splitlines()[-1]) / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", help="shared datasets folder (default: $UNBOIL_DATASETS)")
    ap.add_argument("--limit", type=int, default=None, help="pages per source")
    ap.add_argument("--model", help="model file for unboil (default: the bundled one)")
    ap.add_argument("--jobs", default="1", help="comma-separated -j values for unboil (default: 1)")
    ap.add_argument("--no-trafilatura", action="store_true")
    args = ap.parse_args(argv)

    root = datasets_root(args.datasets)
    docs = load_sources(root, SOURCES, limit=args.limit, n_jobs=2)
    work = Path(tempfile.mkdtemp(prefix="unboil-speed-"))
    try:
        text_dir, out = work / "text", work / "out"
        text_dir.mkdir()
        texts = []
        for d in docs:
            p = text_dir / (d.doc_id.replace("/", "__") + ".txt")
            p.write_text("\n".join(d.lines) + "\n", encoding="utf-8")
            texts.append(str(p))
        htmls = []
        for d in docs:
            src, page = d.doc_id.split("/", 1)
            htmls.append(str(root / "html" / src / f"{page}.html.gz"))
        n_pages = len(docs)
        n_lines = sum(len(d.lines) for d in docs)
        mb_text = sum(os.path.getsize(p) for p in texts) / 1e6
        mb_html = sum(len(gzip.decompress(Path(p).read_bytes())) for p in htmls) / 1e6

        rows = []
        model = ["--model", args.model] if args.model else []
        for j in [int(x) for x in args.jobs.split(",")]:
            shutil.rmtree(out, ignore_errors=True)
            cmd = [sys.executable, "-m", "inference", "clean", "-q", "--overwrite", "-o", str(out), *model]
            if j > 1:
                cmd += ["-j", str(j)]
            cores = "0" if j == 1 else f"0-{j - 1}"
            wall, rss = _run(cmd, texts, cores)
            rows.append((f"unboil clean (text, -j {j})", wall, rss, mb_text))
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        wall, rss = _run([sys.executable, "-c", C4_SCRIPT, str(out)], texts, "0")
        rows.append(("C4 line rule (text)", wall, rss, mb_text))
        if not args.no_trafilatura:
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            wall, rss = _run([sys.executable, "-c", TRAFILATURA_SCRIPT, str(out)], htmls, "0")
            rows.append(("trafilatura (HTML)", wall, rss, mb_html))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ref = next((r[1] for r in rows if r[0].startswith("trafilatura")), None)
    print(f"{n_pages} pages, {n_lines} lines, {mb_text:.1f} MB text, {mb_html:.1f} MB HTML; "
          "whole process incl. start-up, one core unless -j > 1")
    print()
    print("| tool | seconds | pages/s | lines/s | MB/s | peak RSS MB | × trafilatura pages/s |")
    print("|---|---|---|---|---|---|---|")
    for name, wall, rss, mb in rows:
        ratio = f"{ref / wall:.1f}×" if ref else "–"
        print(f"| {name} | {wall:.1f} | {n_pages / wall:.0f} | {n_lines / wall:.0f} | {mb / wall:.1f} "
              f"| {rss:.0f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
