import pytest

from training.labels import (BOILERPLATE, CONTENT, Document, LabelFormatError, read_label_dir,
                             read_label_file, write_label_file)

from conftest import LABELS, SEEDS


def test_round_trip_keeps_lines_labels_and_kinds(tmp_path):
    doc = Document("d1", "src", ["Héllo\twith a tab", "Menu", "  spaced  "],
                   [CONTENT, BOILERPLATE, CONTENT], ["-", "navigation", "-"])
    path = tmp_path / "d1.tsv"
    write_label_file(doc, path)
    back = read_label_file(path, source="src")
    assert (back.lines, back.labels, back.kinds) == (doc.lines, doc.labels, doc.kinds)
    assert back.doc_id == "d1"


def test_seed_labels_cover_every_nonblank_seed_line():
    for tsv in sorted(LABELS.glob("*.tsv")):
        doc = read_label_file(tsv)
        text = (SEEDS / f"{tsv.stem}.txt").read_text(encoding="utf-8")
        assert doc.lines == [l for l in text.split("\n") if l.strip()]


def test_seed_labels_mark_the_appeal_widget_caption_and_read_more(seed_docs):
    doc = next(d for d in seed_docs if d.doc_id.startswith("001"))
    label = dict(zip(doc.lines, doc.labels))
    for line in ("A Message from The Moscow Times:", "Once", "Monthly", "Annual", "Continue",
                 "Read more", "Remind me later.", "Support us"):
        assert label[line] == BOILERPLATE, line
    assert label["Russia to 'Develop' Its Military Facilities in Kyrgyzstan"] == CONTENT
    caption = next(l for l in doc.lines if "Mikhail Metzel / TASS" in l)
    assert label[caption] == BOILERPLATE


@pytest.mark.parametrize("row, message", [
    ("maybe\t-\ttext", "unknown label 'maybe'"),
    ("content\ttext only", "expected 3 tab-separated columns"),
    ("boilerplate\tbanner\ttext", "unknown kind 'banner'"),
    ("content\twidget\ttext", "content lines take kind '-'"),
    ("content\t-\t   ", "empty line text"),
])
def test_malformed_rows_name_file_and_line(tmp_path, row, message):
    path = tmp_path / "bad.tsv"
    path.write_text("content\t-\tfine line\n" + row + "\n", encoding="utf-8")
    with pytest.raises(LabelFormatError) as err:
        read_label_file(path)
    assert f"{path}:2:" in str(err.value)
    assert message in str(err.value)


def test_empty_document_and_bad_encoding_are_refused(tmp_path):
    empty = tmp_path / "empty.tsv"
    empty.write_text("# only a comment\n", encoding="utf-8")
    with pytest.raises(LabelFormatError, match="empty document"):
        read_label_file(empty)
    latin = tmp_path / "latin.tsv"
    latin.write_bytes("content\t-\tcaf\xe9\n".encode("latin-1"))
    with pytest.raises(LabelFormatError, match="not UTF-8"):
        read_label_file(latin)


def test_label_dir_reads_sorted_and_refuses_empty_folder(tmp_path):
    assert [d.doc_id for d in read_label_dir(LABELS)] == sorted(p.stem for p in LABELS.glob("*.tsv"))
    with pytest.raises(LabelFormatError, match="no \\*.tsv"):
        read_label_dir(tmp_path)


def test_document_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="2 lines but 1 labels"):
        Document("d", "s", ["a", "b"], [CONTENT])
