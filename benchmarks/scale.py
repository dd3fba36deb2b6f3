"""Scale benchmark: does memory stay flat as a streamed JSONL input grows?

Builds JSONL corpora of the requested sizes from the shared pages rendered to text
(or from the seed articles when ../shared is absent), then runs
``unboil clean --input-format jsonl`` over each as one whole process and prints
its wall time, throughput and peak RSS. Streaming means the peak RSS of the largest
corpus should match the smallest: memory is bounded by the batch, not the corpus.

    python benchmarks/scale.py --sizes 0.1,2      # GB; the 2 GB run takes minutes
    python benchmarks/scale.py --sizes 0.05,0.2 --jobs 2
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.cli import run_script  # noqa: E402


def _pages(datasets: str | None) -> list[str]:
    from training.datasets import SOURCES, datasets_root, load_sources
    try:
        docs = load_sources(datasets_root(datasets), SOURCES, n_jobs=2)
        return ["\n".join(d.lines) for d in docs]
    except OSError as exc:            # no ../shared (DatasetsNotFoundError is one): the seeds still make a corpus
        print(f"(shared datasets unavailable: {exc}; using the seed articles)", file=sys.stderr)
        return [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]


def _write_corpus(path: Path, pages: list[str], size: float) -> int:
    """Write JSONL records cycling through ``pages`` until ``size`` bytes; returns records."""
    n = 0
    written = 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < size:
            page = pages[n % len(pages)]
            line = json.dumps({"id": n, "url": f"https://example.org/{n}", "text": page}, ensure_ascii=False) + "\n"
            fh.write(line)
            written += len(line.encode("utf-8"))
            n += 1
    return n


def _measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process (its own parent, so the peak is its own)."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
             "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe, *cmd], check=True, capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return time.perf_counter() - t0, int(done.stdout.strip().splitlines()[-1]) / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="0.1,2", help="corpus sizes in GB, comma-separated (default: 0.1,2)")
    ap.add_argument("--jobs", type=int, default=1, help="unboil -j (default: 1)")
    ap.add_argument("--datasets", help="shared datasets folder (default: $UNBOIL_DATASETS)")
    ap.add_argument("--workdir", help="where to write the corpora (default: a temporary folder)")
    args = ap.parse_args(argv)
    sizes = [float(s) for s in args.sizes.split(",")]
    pages = _pages(args.datasets)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="unboil-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for gb in sizes:
        path = work / f"corpus-{gb:g}GB.jsonl"
        records = _write_corpus(path, pages, gb * 1e9)
        mb = path.stat().st_size / 1e6
        cmd = [sys.executable, "-m", "inference", "clean", "-q", "--input-format", "jsonl", str(path)]
        if args.jobs > 1:
            cmd += ["-j", str(args.jobs)]
        wall, rss = _measure(cmd)
        rows.append((mb, records, wall, rss))
        path.unlink()
    print(f"unboil clean --input-format jsonl -j {args.jobs}, output to /dev/null; "
          "peak RSS of the largest process (with -j, of one process)")
    print()
    print("| corpus MB | records | seconds | records/s | MB/s | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for mb, records, wall, rss in rows:
        print(f"| {mb:.0f} | {records} | {wall:.0f} | {records / wall:.0f} | {mb / wall:.1f} | {rss:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
