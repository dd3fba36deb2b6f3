"""Fuzz target: random bytes → ``decode_text`` → ``split_lines`` → ``Model.classify``.

The only exception allowed is ``InputError`` (the bytes are refused as binary, with a
one-line reason); anything else, or a result that breaks the model's promises (one
result per line, scores in [0, 1]), is a crash that libFuzzer reports and saves.

Run it with atheris (``pip install atheris``; libFuzzer flags pass through)::

    python tests/fuzz_decode.py -runs=100000 -max_len=8192 fuzz-corpus/

The model is ``$UNBOIL_FUZZ_MODEL`` when set, else one trained on data/seeds (2 s).
``tests/test_fuzz.py`` runs this briefly in CI and reuses ``check`` with hypothesis.
"""
from __future__ import annotations

import gzip
import os
import sys
import tempfile
from pathlib import Path

import numpy as np  # noqa: F401  imported before instrumentation: only unboil's own code is instrumented

ROOT = Path(__file__).resolve().parents[1]


def load_fuzz_model():
    from inference import load_model
    path = os.environ.get("UNBOIL_FUZZ_MODEL")
    if path:
        return load_model(path)
    from training.labels import read_label_dir
    from training.train import train
    return train(read_label_dir(ROOT / "data" / "seeds"), seed=0)


def check(data: bytes, model) -> None:
    """Raise if ``data`` makes the read → split → classify path misbehave."""
    from inference.model import split_lines
    from inference.textio import InputError, decode_text
    try:
        text = decode_text(data)
    except InputError as exc:
        message = str(exc)
        assert message and "\n" not in message, f"unclear refusal: {message!r}"
        return
    lines = split_lines(text)
    results = model.classify(text)
    assert [r.text for r in results] == lines, "lines lost, added or reordered"
    for r in results:
        assert r.label in ("content", "boilerplate"), r.label
        assert 0.0 <= r.score <= 1.0, f"score {r.score} outside [0, 1]"
    cleaned = model.clean(text)
    assert all(l in lines for l in cleaned.split("\n") if l), "clean() invented a line"


def check_file(data: bytes, model) -> None:
    """The same through ``read_text_file``, gzip-compressed, as ``unboil clean x.gz`` reads it."""
    from inference.textio import InputError, read_text_file
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.gz"
        path.write_bytes(gzip.compress(data))
        try:
            text = read_text_file(path)
        except InputError:
            return
    check(text.encode("utf-8"), model)


def main(argv=None) -> None:
    import atheris
    with atheris.instrument_imports(include=["inference"]):
        import inference.model  # noqa: F401
        import inference.textio  # noqa: F401
    model = load_fuzz_model()

    def test_one_input(data: bytes) -> None:
        check(data, model)

    atheris.Setup(list(argv if argv is not None else sys.argv), test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
