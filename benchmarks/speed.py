"""Speed benchmark: whole processes on the same pages, one core each, in one run.

* unboil — ``unboil clean -q`` over the shared pages rendered to text files
  (start-up and model load included), and once more with ``--repeats`` (every file read
  twice: a first pass counts the lines, then the pages are cleaned);
* a C4-style line rule in plain Python over the same text files (a floor: the
  least work a line filter can do);
* trafilatura over the same pages' HTML (``include_comments=False``).

Every tool writes its output as one stream (stdout to a file), which measures the
tool rather than the file system. unboil is also measured with ``-o DIR``: a file per
page, each written atomically (a temporary file and a rename); creating 2,919 files
costs 0.3-1.5 s here depending on the disk's mood, so read that row as a floor.

Each run is its own process pinned to one core (``taskset`` when present); written
data are flushed to disk (``os.sync``) before each run so no run pays for another's
writes. The machine is shared and noisy: ``--repeats N`` runs every tool N times,
interleaved, and keeps each tool's fastest run; read the ratios between tools of one
invocation, not the absolute numbers.

    pip install -e '.[bench]'
    python benchmarks/speed.py --datasets ../shared/datasets
    python benchmarks/speed.py --limit 300 --jobs 1,2 --repeats 3   # plus unboil -j 2
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

from inference.repeats import REPEAT_PAGES  # noqa: E402
from training.cli import run_script  # noqa: E402
from training.datasets import SOURCES, DatasetsNotFoundError, datasets_root, load_sources  # noqa: E402

C4_SCRIPT = r"""
import sys, pathlib
out = sys.stdout
for name in sys.argv[1:]:
    p = pathlib.Path(name)
    keep = [l for l in p.read_text(encoding="utf-8").splitlines()
            if l.strip().endswith((".", "!", "?", '"')) and len(l.split()) >= 3]
    out.write("\n".join(keep) + "\n")
"""
TRAFILATURA_SCRIPT = r"""
import sys, gzip, pathlib
import trafilatura
from training.render import decode_html
out = sys.stdout
for name in sys.argv[1:]:
    p = pathlib.Path(name)
    html = decode_html(gzip.decompress(p.read_bytes()))
    text = trafilatura.extract(html, include_comments=False) or ""
    out.write(text + "\n")
"""


# A fresh parent per measurement, so RUSAGE_CHILDREN's peak is this one child's.
# argv: the file the child's stdout goes to, then the child's command.
_MEASURE = """
import resource, subprocess, sys
with open(sys.argv[1], "wb") as out:
    subprocess.run(sys.argv[2:], check=True, stdout=out)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _run(cmd: list[str], files: list[str], cores: str | None, stdout: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process over ``files`` (passed via argv)."""
    if cores and shutil.which("taskset"):
        cmd = ["taskset", "-c", cores] + cmd
    os.sync()
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(stdout), *cmd, *files], check=True, cwd=ROOT,
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
    ap.add_argument("--repeats", type=int, default=1,
                    help="runs per tool, interleaved; the fastest is kept (default: 1)")
    ap.add_argument("--no-trafilatura", action="store_true")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats needs at least 1 run")

    try:
        root = datasets_root(args.datasets)
        docs = load_sources(root, SOURCES, limit=args.limit, n_jobs=2)
    except DatasetsNotFoundError as exc:    # no folder, or no such source in it
        ap.error(str(exc))
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

        model = ["--model", args.model] if args.model else []
        unboil = [sys.executable, "-m", "inference", "clean", "-q", *model]
        stream = work / "stdout.txt"
        # (name, command, inputs, cores, MB in, folder to write into or None)
        runs = []
        for j in [int(x) for x in args.jobs.split(",")]:
            jobs = ["-j", str(j)] if j > 1 else []
            runs.append((f"unboil clean (text, -j {j})", unboil + jobs, texts,
                         "0" if j == 1 else f"0-{j - 1}", mb_text, None))
        runs.append((f"unboil clean --repeats {REPEAT_PAGES} (text, -j 1, inputs read twice)",
                     unboil + ["--repeats", str(REPEAT_PAGES)], texts, "0", mb_text, None))
        runs.append(("unboil clean -o DIR (text, -j 1, a file per page)", unboil + ["--overwrite", "-o", str(out)],
                     texts, "0", mb_text, out))
        runs.append(("C4 line rule (text)", [sys.executable, "-c", C4_SCRIPT], texts, "0", mb_text, None))
        if not args.no_trafilatura:
            runs.append(("trafilatura (HTML)", [sys.executable, "-c", TRAFILATURA_SCRIPT], htmls, "0", mb_html, None))
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.repeats):
            for name, cmd, inputs, cores, _mb, folder in runs:
                if folder is not None:
                    shutil.rmtree(folder, ignore_errors=True)
                wall, rss = _run(cmd, inputs, cores, stream)
                if name not in best or wall < best[name][0]:
                    best[name] = (wall, rss)
        rows = [(name, *best[name], mb) for name, _c, _i, _k, mb, _f in runs]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ref = next((r[1] for r in rows if r[0].startswith("trafilatura")), None)
    print(f"{n_pages} pages, {n_lines} lines, {mb_text:.1f} MB text, {mb_html:.1f} MB HTML; "
          "whole process incl. start-up, one core unless -j > 1; "
          f"output to one stream unless -o; fastest of {args.repeats} run(s)")
    print()
    print("| tool | seconds | pages/s | lines/s | MB/s | peak RSS MB | × trafilatura pages/s |")
    print("|---|---|---|---|---|---|---|")
    for name, wall, rss, mb in rows:
        ratio = f"{ref / wall:.1f}×" if ref else "–"
        print(f"| {name} | {wall:.1f} | {n_pages / wall:.0f} | {n_lines / wall:.0f} | {mb / wall:.1f} "
              f"| {rss:.0f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
