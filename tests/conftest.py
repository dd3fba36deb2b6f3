"""Shared fixtures: the seed label files, a small model trained on them, the shared datasets."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
LABELS = ROOT / "data" / "seeds"
SEED_WITH_WIDGET = SEEDS / "001_ea03a8fd4054f144.txt"


def shared_datasets() -> Path | None:
    """The shared datasets folder: $UNBOIL_DATASETS, else ../shared/datasets beside the repo."""
    env = os.environ.get("UNBOIL_DATASETS")
    path = Path(env) if env else ROOT.parent / "shared" / "datasets"
    return path if (path / "html").is_dir() else None


needs_shared = pytest.mark.skipif(
    shared_datasets() is None,
    reason="shared datasets not found: set UNBOIL_DATASETS or put them at ../shared/datasets")


@pytest.fixture(scope="session")
def seed_docs():
    from training.labels import read_label_dir
    return read_label_dir(LABELS)


@pytest.fixture(scope="session")
def seed_model(seed_docs):
    """A model trained on the two seed label files only: small, fast, deterministic."""
    from training.train import train
    return train(seed_docs, seed=0)


@pytest.fixture(scope="session")
def seed_model_path(seed_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "seed.npz"
    seed_model.save(path)
    return path


HELD_OUT_SOURCE = "l3s-gn1"
HELD_OUT_TRAIN_PAGES = 80   # pages per training source: a small model, quick to train


@pytest.fixture(scope="session")
def held_out_model():
    """Trained on shared pages of every source but l3s-gn1, plus seed 000's labels only:
    never saw l3s-gn1 nor seed 001, so both can test it (one training for both tests)."""
    from training.datasets import SOURCES, load_source
    from training.labels import read_label_file
    from training.train import train
    root = shared_datasets()
    docs = [d for s in SOURCES if s != HELD_OUT_SOURCE
            for d in load_source(root, s, limit=HELD_OUT_TRAIN_PAGES, n_jobs=2)]
    docs.append(read_label_file(LABELS / "000_3b6ea9010d9179f4.tsv"))
    return train(docs, seed=0)
