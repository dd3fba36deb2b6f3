"""The model file: numpy arrays plus a JSON header in one ``.npz``, never a pickle.

Loading uses ``np.load(allow_pickle=False)``, so a model file cannot run code, and
it holds no scikit-learn objects, so it keeps loading under any later
scikit-learn (dragnet's pickles broke on upgrades). The header records a format
version, the feature version the arrays were trained for, the model card, and a
SHA-256 of every array, checked on load: a truncated, corrupted or edited file
is refused with a clear error instead of giving silently wrong labels.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from .textio import atomic_open

__all__ = ["FORMAT", "FORMAT_VERSION", "ModelFileError", "read_model_file", "write_model_file",
           "array_digest"]

FORMAT = "unboil-model"
FORMAT_VERSION = 1
_HEADER = "__header__"


class ModelFileError(ValueError):
    """A model file that cannot be used; the message says why and names the file."""


def array_digest(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a)
    h = hashlib.sha256()
    h.update(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.tobytes())
    return h.hexdigest()


def write_model_file(path, arrays: dict[str, np.ndarray], header: dict) -> None:
    """Write arrays and header atomically (temp file in the same folder, then rename)."""
    path = Path(path)
    header = dict(header, format=FORMAT, format_version=FORMAT_VERSION,
                  digests={k: array_digest(v) for k, v in arrays.items()})
    blob = np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    with atomic_open(path, "wb") as fh:
        np.savez_compressed(fh, **{_HEADER: blob}, **arrays)


def read_model_file(path) -> tuple[dict[str, np.ndarray], dict]:
    """Read and verify a model file; raises ``ModelFileError`` with a one-line reason."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file")
    if path.is_dir():
        raise ModelFileError(f"{path}: is a folder, not a model file")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path}: not an unboil model file (not an .npz archive), or truncated")
    try:
        with np.load(path, allow_pickle=False) as npz:
            names = list(npz.files)
            if _HEADER not in names:
                raise ModelFileError(f"{path}: not an unboil model (no header)")
            header = json.loads(npz[_HEADER].tobytes().decode("utf-8"))
            arrays = {k: npz[k] for k in names if k != _HEADER}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"{path}: not an unboil model file, or truncated ({exc})") from None
    except (ValueError, OSError, KeyError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: unreadable model file ({type(exc).__name__}: {exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not an unboil model file")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model format version {version!r}, this unboil reads version {FORMAT_VERSION}; "
            "retrain with `unboil train` or use the matching unboil release")
    digests = header.get("digests")
    if not isinstance(digests, dict) or set(digests) != set(arrays):
        raise ModelFileError(f"{path}: model arrays do not match its header (tampered or corrupted)")
    for name, a in arrays.items():
        if array_digest(a) != digests[name]:
            raise ModelFileError(f"{path}: checksum mismatch in array {name!r} (tampered or corrupted)")
    return arrays, header
