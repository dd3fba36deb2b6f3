"""Dask scaling: the same JSONL corpus cleaned with 1 and 2 worker processes, twice each.

The corpus is built from the seed articles and variations of them (the generator of
``tests/test_distributed.py``), so the benchmark needs no ../shared:

    pip install -e '.[dask]'
    python benchmarks/dask_scaling.py --records 20000

Prints one line per run and a table of throughput per worker count; the outputs of all
runs are compared byte for byte.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from training.cli import run_script  # noqa: E402


def _corpus(folder: Path, n: int) -> None:
    from test_distributed import variations      # the seed articles and variations of them
    texts = variations(n, seed=3)
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(4):
        with open(folder / f"crawl-{f}.jsonl", "w", encoding="utf-8") as fh:
            for i in range(f * n // 4, (f + 1) * n // 4):
                t = texts[i]
                fh.write(json.dumps({"id": i, "url": f"https://example.org/{i}",
                                     "text": t if isinstance(t, str) else None}) + "\n")


def _read_all(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.glob("*.jsonl")))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--workers", default="1,2", help="worker counts, comma-separated (default: 1,2)")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    from inference.distributed import clean_jsonl

    work = Path(tempfile.mkdtemp(prefix="unboil-dask-"))
    try:
        corpus = work / "corpus"
        _corpus(corpus, args.records)
        mb = sum(p.stat().st_size for p in corpus.glob("*.jsonl")) / 1e6
        times: dict[int, list[float]] = {}
        outputs = set()
        for rep in range(args.repeats):
            for workers in [int(w) for w in args.workers.split(",")]:
                out = work / f"out-{workers}"
                shutil.rmtree(out, ignore_errors=True)
                t0 = time.perf_counter()
                parts = clean_jsonl(f"{corpus}/*.jsonl", str(out), blocksize="4MB",
                                    scheduler="processes", num_workers=workers)
                dt = time.perf_counter() - t0
                times.setdefault(workers, []).append(dt)
                outputs.add(_read_all(out))
                print(f"rep {rep} workers={workers}: {dt:.1f} s, {args.records / dt:.0f} records/s, "
                      f"{len(parts)} partitions, load average {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = min(times[min(times)])
    print(f"\n{args.records} records, {mb:.1f} MB JSONL; outputs identical across runs: {len(outputs) == 1}\n")
    print("| workers | best seconds | records/s | speed-up |")
    print("|---|---|---|---|")
    for w, ts in sorted(times.items()):
        print(f"| {w} | {min(ts):.1f} | {args.records / min(ts):.0f} | {base / min(ts):.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
