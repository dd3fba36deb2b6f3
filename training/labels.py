"""Labelled documents and the label-file format.

A label file holds one document: one row per non-blank line of the text,

    label<TAB>kind<TAB>line

``label`` is ``content`` or ``boilerplate``; ``kind`` says what the boilerplate
is (see ``KINDS``) and is ``-`` for content. The line text is everything after
the second tab, so it may contain tabs itself. Rows starting with ``#`` are
comments. Files are UTF-8. ``data/README.md`` documents the format for users.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CONTENT", "BOILERPLATE", "LABELS", "KINDS", "NO_KIND",
    "Document", "LabelFormatError", "read_label_file", "write_label_file",
    "read_label_dir",
]

CONTENT = "content"
BOILERPLATE = "boilerplate"
LABELS = (CONTENT, BOILERPLATE)
NO_KIND = "-"
# appeal: donation/paywall/subscription text; widget: buttons and UI words;
# caption: photo captions and credits.
KINDS = ("appeal", "widget", "caption", "navigation", "related", "other")
LABEL_SUFFIX = ".tsv"


class LabelFormatError(ValueError):
    """A label file that does not follow the format; the message names file and line."""


@dataclass
class Document:
    """One document's lines with their labels.

    ``labels`` holds ``content``/``boilerplate`` per line; ``kinds`` the
    boilerplate kind per line (``-`` for content, ``None`` when unknown).
    ``gold`` is the reference main text used for text-level scores; for
    hand-labelled documents it is the content lines themselves.
    """

    doc_id: str
    source: str
    lines: list[str]
    labels: list[str]
    kinds: list[str] | None = None
    gold: str | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if len(self.lines) != len(self.labels):
            raise ValueError(
                f"document {self.doc_id}: {len(self.lines)} lines but {len(self.labels)} labels")
        if self.kinds is not None and len(self.kinds) != len(self.lines):
            raise ValueError(
                f"document {self.doc_id}: {len(self.lines)} lines but {len(self.kinds)} kinds")

    @property
    def group(self) -> str:
        """Grouping key for cross-validation: documents of one source share templates."""
        return self.source

    def gold_text(self) -> str:
        if self.gold is not None:
            return self.gold
        return "\n".join(l for l, y in zip(self.lines, self.labels) if y == CONTENT)


def read_label_file(path, source: str | None = None) -> Document:
    """Read one label file; the document id is the file stem, the source its folder name."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LabelFormatError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise LabelFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    lines, labels, kinds = [], [], []
    for n, row in enumerate(text.splitlines(), start=1):
        if not row.strip() or row.startswith("#"):
            continue
        parts = row.split("\t", 2)
        if len(parts) != 3:
            raise LabelFormatError(
                f"{path}:{n}: expected 3 tab-separated columns (label, kind, line), found {len(parts)}")
        label, kind, line = parts
        if label not in LABELS:
            raise LabelFormatError(
                f"{path}:{n}: unknown label {label!r} (expected 'content' or 'boilerplate')")
        if label == CONTENT and kind != NO_KIND:
            raise LabelFormatError(f"{path}:{n}: content lines take kind '-', found {kind!r}")
        if label == BOILERPLATE and kind not in KINDS:
            raise LabelFormatError(
                f"{path}:{n}: unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
        if not line.strip():
            raise LabelFormatError(f"{path}:{n}: empty line text")
        lines.append(line)
        labels.append(label)
        kinds.append(kind)
    if not lines:
        raise LabelFormatError(f"{path}: no labelled lines (empty document)")
    return Document(doc_id=path.stem, source=source or path.parent.name,
                    lines=lines, labels=labels, kinds=kinds)


def write_label_file(doc: Document, path) -> None:
    """Write a document in the label format, atomically."""
    kinds = doc.kinds or [NO_KIND if y == CONTENT else "other" for y in doc.labels]
    rows = [f"# label\tkind\tline  ({doc.source}/{doc.doc_id})"]
    for line, label, kind in zip(doc.lines, doc.labels, kinds):
        if "\n" in line or "\r" in line:
            raise ValueError(f"document {doc.doc_id}: a line contains a line break")
        rows.append(f"{label}\t{kind}\t{line}")
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text("\n".join(rows) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_label_dir(path, source: str | None = None) -> list[Document]:
    """Read a label file, or every ``*.tsv`` below a folder (sorted, so runs are reproducible)."""
    path = Path(path)
    if path.is_file():
        return [read_label_file(path, source)]
    if not path.is_dir():
        raise LabelFormatError(f"{path}: no such label file or folder")
    files = sorted(path.rglob(f"*{LABEL_SUFFIX}"))
    if not files:
        raise LabelFormatError(f"{path}: no *{LABEL_SUFFIX} label files in this folder")
    return [read_label_file(f, source) for f in files]
