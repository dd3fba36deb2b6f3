"""Command line for cleaning text: argument parsing only; the work is in ``inference``.

``unboil clean`` and ``python -m inference clean`` land here; ``main(argv)``
returns the exit code, so tests call it in-process. Results go to stdout (or to
``-o DIR``), logs and errors to stderr.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from . import __version__
from .allocator import keep_freed_memory
from .model import DEFAULT_THRESHOLD, INCLUSIVE_THRESHOLD, MIN_ARTICLE_CHARS, load_model, split_lines
from .modelfile import ModelFileError
from .repeats import REPEAT_WORDS, count_pages, template_lines
from . import batch as B
from .textio import DECOMPRESS_ERRORS, InputError, broken_data, decode_text, open_binary

__all__ = ["main", "build_parser", "add_clean_parser", "add_info_parser", "EXIT_OK", "EXIT_INPUT",
           "EXIT_USAGE", "EXIT_MODEL", "EXIT_OUTPUT", "EXIT_SOFTWARE", "EXIT_INTERRUPTED", "EXIT_BROKEN_PIPE"]

EXIT_OK = 0
EXIT_INPUT = 1          # one or more inputs could not be read; the others were processed
EXIT_USAGE = 2          # bad command line (argparse's own code)
EXIT_MODEL = 3          # the model file could not be loaded
EXIT_OUTPUT = 4         # an output could not be written (the run stops)
EXIT_SOFTWARE = 70      # an internal error (a bug): please report it
EXIT_INTERRUPTED = 130  # Ctrl-C
EXIT_BROKEN_PIPE = 141  # the reader of stdout went away (e.g. `| head`), as for other Unix tools

log = logging.getLogger("unboil")

CLEAN_EPILOG = """\
examples:
  unboil clean article.txt                 print the article's content lines
  unboil clean --format tsv article.txt    every line as label<TAB>P(boilerplate)<TAB>text
  cat a.txt b.txt | unboil clean -         read stdin ('-' or no FILE)
  unboil clean -o cleaned/ scraped/*.txt   write cleaned/<name> for each input
  unboil clean --threshold 0.7 a.txt       keep more lines (boilerplate from P = 0.7, not 0.4)
  unboil clean --min-chars 0 a.txt         an empty result when no line looks like content
  unboil clean --inclusive forum.txt       keep user comments, lists and tables too
  unboil clean --repeats 3 -o out/ site/*.txt   one site's pages: a short line on 3+ of them goes
  unboil clean -r --glob '*.txt' -j 2 -o out/ crawl/      a folder tree, two processes
  unboil clean --input-format jsonl --text-field text corpus.jsonl.gz > clean.jsonl
  unboil clean --input-format warc -o cleaned/ CC-MAIN-*.warc.wet.gz   WET in, WET out

Inputs may be gzip- or zstd-compressed (detected by content; zstd needs the
zstandard package). A JSONL record that cannot be read is reported and passed
through unchanged. WARC input (needs warcio: pip install 'unboil[warc]') cleans
conversion and text/plain resource records, passes every other record through,
and writes WARC again, gzip-compressed per record when the input was.

exit codes: 0 ok; 1 some inputs could not be read (the others were written);
2 bad usage; 3 model file unusable; 4 an output could not be written;
70 internal error (a bug; set UNBOIL_DEBUG=1 for the traceback); 130 interrupted; 141 stdout closed early (e.g. piped into head).
"""


def _threshold(value: str) -> float:
    try:
        t = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0.0 <= t <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return t


def _min_chars(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return n


def _repeat_pages(value: str) -> int:
    n = _min_chars(value)
    if n == 1:
        raise argparse.ArgumentTypeError("must be 0 (off) or 2 or more: every line is on one document")
    return n


def add_clean_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "clean", help="keep the article lines of scraped text",
        description="Label every line of scraped article text content or boilerplate and keep the content.",
        epilog=CLEAN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="text files (UTF-8, UTF-16 with BOM, cp1252; .gz ok); none or '-' reads stdin")
    p.add_argument("-o", "--output-dir", metavar="DIR",
                   help="write DIR/<file name> for each input instead of printing (created if missing)")
    p.add_argument("--overwrite", action="store_true",
                   help="allow -o to replace existing files, including an input itself")
    p.add_argument("--format", choices=("text", "tsv", "jsonl"), default=None,
                   help="text: the content lines; tsv: label<TAB>score<TAB>line for every line; "
                        "jsonl: one JSON record per document (default: text, or jsonl for JSONL input)")
    p.add_argument("-r", "--recursive", action="store_true",
                   help="FILE may be a folder: clean every file below it that matches --glob "
                        "(with -o, the folder structure is kept)")
    p.add_argument("--glob", default="*", metavar="PATTERN",
                   help="file-name pattern for -r, e.g. '*.txt' (default: every file)")
    p.add_argument("--input-format", choices=("text", "jsonl", "warc"), default="text",
                   help="text: each file is one document; jsonl: one document per JSON record, "
                        "streamed, every other field passed through unchanged; warc: WARC or WET "
                        "files (.warc, .warc.gz, .warc.wet.gz), streamed, text records cleaned and "
                        "every other record passed through, written as WARC (needs warcio) "
                        "(default: text)")
    p.add_argument("--text-field", default="text", metavar="NAME",
                   help="the JSONL field holding the text, replaced by the cleaned text (default: text)")
    p.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                   help="worker processes; output order is kept (default: 1)")
    p.add_argument("--threshold", type=_threshold, default=None, metavar="T",
                   help="a line is boilerplate when P(boilerplate) >= T, unless its neighbours outweigh "
                        "it (the labels are the page's most likely sequence); raise T to keep more, "
                        f"lower it to drop more (default: the model's for the mode, usually {DEFAULT_THRESHOLD}; "
                        f"with --inclusive {INCLUSIVE_THRESHOLD})")
    p.add_argument("--min-chars", type=_min_chars, default=None, metavar="N",
                   help="when a document's content lines would hold fewer than N characters and the "
                        "model dropped sentences (or kept nothing), it found no article and every line "
                        "is kept; 0 keeps only what the model labels content, even nothing (default: "
                        f"the model's, usually {MIN_ARTICLE_CHARS})")
    p.add_argument("--inclusive", action="store_true",
                   help="count user comments, lists, tables and code as content too, as CleanEval's "
                        "annotators did (forums, mixed pages that are not news); default: the article only")
    p.add_argument("--repeats", type=_repeat_pages, default=0, metavar="N",
                   help="a line of at most %d words that is on N or more of the input documents is "
                        "boilerplate too: a site's menus, footers and prompts, found in the inputs "
                        "themselves (give the pages of one site or crawl together; 3 was chosen by "
                        "nested cross-validation). Reads the inputs twice, so they must be files; a "
                        "document's output then depends on the others; memory grows with the inputs' "
                        "distinct lines (default: off)" % REPEAT_WORDS)
    p.add_argument("--model", metavar="PATH", help="model file (default: the bundled model)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, errors only")
    p.set_defaults(run=run_clean)
    return p


def add_info_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("info", help="show a model's card (data, parameters, metrics)",
                       description="Print a model's card as JSON.")
    p.add_argument("--model", metavar="PATH", help="model file (default: the bundled model)")
    p.set_defaults(run=run_info)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="unboil", description="Find the boilerplate in scraped article text, line by line.")
    parser.add_argument("--version", action="version", version=f"unboil {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_clean_parser(sub)
    add_info_parser(sub)
    return parser


def _load(path):
    try:
        return load_model(path)
    except ModelFileError as exc:
        log.error("%s", exc)
        return None


def run_info(args) -> int:
    model = _load(args.model)
    if model is None:
        return EXIT_MODEL
    print(json.dumps(model.card, indent=2, sort_keys=True))
    return EXIT_OK


def _read_stdin() -> str:
    if sys.stdin is None:      # started with stdin closed (`<&-`)
        raise InputError("stdin is closed")
    try:
        return decode_text(sys.stdin.buffer.read())
    except OSError as exc:
        raise InputError(f"cannot read stdin: {exc.strerror or exc}") from None


def _file_id(path):
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _output_path(out_dir: Path, name: str, rel: str, overwrite: bool, taken: set,
                 inputs: frozenset = frozenset()) -> Path:
    """Where -o writes ``name``'s result: ``out_dir/rel`` (the file name, or the path
    below a folder given with -r). ``inputs`` holds the file ids of all this run's
    inputs: --overwrite may replace an input with its own result, never another input."""
    target = out_dir / rel
    if target in taken:
        raise InputError(f"another input already writes {target}; rename one of them")
    if target.exists():
        same = os.path.exists(name) and os.path.samefile(target, name)
        if same and not overwrite:
            raise InputError(f"{target} is the input itself; choose another -o folder or pass --overwrite")
        if not same and _file_id(target) in inputs:
            raise InputError(f"{target} is another input of this run; choose another -o folder")
        if not overwrite:
            raise InputError(f"{target} exists; pass --overwrite to replace it")
    taken.add(target)
    return target


def _silence_stdout() -> None:
    """Point stdout at devnull so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _write_stdout(text: str) -> None:
    """Write all of ``text`` to stdout, or raise: BrokenPipeError when the reader left,
    ``_OutputError`` for anything else (disk full, closed stdout, an encoding that
    cannot show the text).

    The bytes are written in a loop because ``BufferedWriter.write`` can report a short
    write instead of an error when the pipe's reader leaves mid-write, and
    ``TextIOWrapper.write`` ignores the count: the rest would vanish with exit 0.
    """
    out = sys.stdout
    if out is None:
        raise _OutputError("stdout is closed; use -o DIR to write files")
    try:
        buf = getattr(out, "buffer", None)
        if buf is None or os.linesep != "\n":    # a text-only stream, or newline translation
            out.write(text)
            return
        data = text.encode(out.encoding or "utf-8", out.errors or "strict")
        out.flush()
        _write_all(buf, data)
    except UnicodeEncodeError as exc:
        raise _OutputError(f"stdout: its encoding ({exc.encoding}) cannot represent "
                           f"{exc.object[exc.start:exc.end]!r}; set PYTHONIOENCODING=utf-8 or use -o DIR") from None
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _OutputError(f"stdout: cannot write: {exc.strerror or exc}") from None


def _write_all(buf, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = buf.write(view)
        if not n:
            raise _OutputError("stdout: cannot write (it accepts no more data)")
        view = view[n:]


def _write_stdout_bytes(data: bytes) -> None:
    """Write binary output (WARC records) to stdout's byte stream, with the errors of
    ``_write_stdout``."""
    out = sys.stdout
    if out is None:
        raise _OutputError("stdout is closed; use -o DIR to write files")
    buf = getattr(out, "buffer", None)
    if buf is None:
        raise _OutputError("stdout takes only text here, and WARC output is binary; use -o DIR")
    try:
        out.flush()
        _write_all(buf, data)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _OutputError(f"stdout: cannot write: {exc.strerror or exc}") from None


def _flush_stdout() -> None:
    if sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _OutputError(f"stdout: cannot write: {exc.strerror or exc}") from None


def run_clean(args) -> int:
    jsonl_in = args.input_format == "jsonl"
    warc_in = args.input_format == "warc"
    if warc_in and args.format is not None:     # none of the --format choices is WARC
        log.error("--input-format warc writes WARC records: --format %s does not apply", args.format)
        return EXIT_USAGE
    fmt = "warc" if warc_in else args.format or ("jsonl" if jsonl_in else "text")
    if jsonl_in and fmt != "jsonl":
        log.error("--input-format jsonl writes JSONL records: --format %s does not apply", fmt)
        return EXIT_USAGE
    if args.jobs < 1:
        log.error("-j needs a number of processes >= 1")
        return EXIT_USAGE
    W = None
    if warc_in:
        from . import warc as W     # imported only when needed: warcio is optional
        try:
            W.require_warcio()
        except W.WarcUnavailable as exc:
            log.error("%s", exc)
            return EXIT_USAGE
    keep_freed_memory()     # a speed hint for the batch loop (see allocator.py)
    model = _load(args.model)
    if model is None:
        return EXIT_MODEL
    if args.inclusive and not model.supports_inclusive:
        log.error("%s: this model has no inclusive mode (trained before it existed, or without "
                  "inclusive sources such as cleaneval-dev); retrain it or drop --inclusive",
                  args.model or "the bundled model")
        return EXIT_MODEL
    out_dir = Path(args.output_dir) if args.output_dir else None
    files = args.files or ["-"]
    if out_dir is not None:
        if "-" in files:
            log.error("-o needs named input files: stdin has no file name")
            return EXIT_USAGE
        if out_dir.exists() and not out_dir.is_dir():
            log.error("%s: -o needs a folder, and this is a file", out_dir)
            return EXIT_OUTPUT
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.error("%s: cannot create output folder: %s", out_dir, exc.strerror or exc)
            return EXIT_OUTPUT
    paths = list(B.expand_paths(files, args.glob)) if args.recursive else [(f, Path(f).name) for f in files]
    inputs = frozenset(filter(None, (_file_id(p) for p, _ in paths))) if out_dir is not None else frozenset()
    taken: set = set()
    counts = {"failed": 0, "docs": 0}

    def documents(path):
        """The documents of one input, as items without an output target."""
        if warc_in:
            yield from W.iter_file(path)
            return
        if not jsonl_in:
            yield _read_stdin_item() if path == "-" else B.read_text_item(path, path)
            return
        try:
            stream = _stdin_binary() if path == "-" else open_binary(path)
        except InputError as exc:
            yield B.Item(path, error=str(exc))
            return
        except OSError as exc:
            yield B.Item(path, error=_os_reason(exc))
            return
        try:
            yield from B.iter_jsonl(stream, path, args.text_field)
        except DECOMPRESS_ERRORS as exc:   # e.g. truncated gzip mid-stream
            yield B.Item(path, error=broken_data(exc))
        except OSError as exc:
            yield B.Item(path, error=_os_reason(exc))
        finally:
            if path != "-":
                stream.close()

    # --repeats: a first pass counts on how many documents each line is (what cannot be
    # read is skipped here and reported by the second pass)
    on_pages = None
    if args.repeats:
        if "-" in files:
            log.error("--repeats reads its inputs twice: give files, not stdin")
            return EXIT_USAGE
        on_pages = count_pages(it.lines for path, _ in paths for it in documents(path) if it.lines is not None)

    def items():
        for path, rel in paths:
            try:
                target = _output_path(out_dir, path, rel, args.overwrite, taken, inputs) if out_dir else None
            except InputError as exc:
                yield B.Item(path, error=str(exc))
                continue
            for item in documents(path):
                item.target = target
                if on_pages is not None and item.lines is not None:
                    item.template = template_lines([item.lines], args.repeats, REPEAT_WORDS, on_pages)[0]
                yield item

    progress = None
    if (len(paths) > 1 or jsonl_in or warc_in) and not args.quiet and sys.stderr.isatty():
        try:
            from tqdm import tqdm
            progress = tqdm(unit="doc", file=sys.stderr)
        except ImportError:
            progress = None
    sink = B.OutputSink(_write_stdout_bytes, binary=True) if warc_in else B.OutputSink(_write_stdout)
    encoder = W.RecordEncoder() if warc_in else None
    emitted = 0
    try:
        results = B.clean_items(B.batched(items()), model=model, model_path=args.model, fmt=fmt,
                                threshold=args.threshold, text_field=args.text_field, n_jobs=args.jobs,
                                min_chars=args.min_chars, inclusive=args.inclusive)
        for batch, outputs in results:
            for item, data in zip(batch, outputs):
                if item.error:
                    log.error("%s: %s", item.name, item.error)
                    counts["failed"] += 1
                    if not data and item.warc is None:
                        continue
                counts["docs"] += 1
                if item.warc is not None:   # cleaned, or passed through when it has no lines
                    cleaned = data if item.lines is not None else None
                    for chunk in encoder.chunks(item.warc, cleaned, to_stdout=item.target is None):
                        _sink_call(sink.write, item.target, chunk)
                    continue
                if item.target is None and fmt == "text" and emitted and data:
                    data = "\n" + data          # a blank line between documents
                _sink_call(sink.write, item.target, data)
                emitted += bool(data)
            if progress is not None:
                progress.update(len(batch))
        _sink_call(sink.commit)
        _flush_stdout()
    except _OutputError as exc:
        sink.abort(exc)
        log.error("%s", exc)
        if out_dir is None:
            _silence_stdout()  # what is still buffered cannot be written either
        return EXIT_OUTPUT
    except BaseException as exc:
        sink.abort(exc)
        raise
    finally:
        if progress is not None:
            progress.close()
    if counts["failed"]:
        if jsonl_in or warc_in:
            log.error("%d records or inputs could not be read", counts["failed"])
        else:
            log.error("%d of %d inputs could not be read", counts["failed"], len(paths))
        return EXIT_INPUT
    return EXIT_OK


def _sink_call(fn, *args):
    """Run a sink write/commit; a file system error becomes an ``_OutputError`` naming the file
    (a broken stdout pipe stays a BrokenPipeError: that ends the run quietly)."""
    try:
        fn(*args)
    except (BrokenPipeError, _OutputError):
        raise
    except OSError as exc:
        where = exc.filename or (args[0] if args else "output")
        raise _OutputError(f"{where}: cannot write: {exc.strerror or exc}") from None


def _os_reason(exc) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _stdin_binary():
    if sys.stdin is None:
        raise InputError("stdin is closed")
    return sys.stdin.buffer


def _read_stdin_item() -> "B.Item":
    try:
        return B.Item("-", lines=split_lines(_read_stdin()))
    except InputError as exc:
        return B.Item("-", error=str(exc))


class _OutputError(Exception):
    pass


def setup_logging(quiet: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("unboil: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.ERROR if quiet else logging.INFO)


def dispatch(parser: argparse.ArgumentParser, argv) -> int:
    """Parse argv, run the chosen command, and turn the ways a run can end into exit codes."""
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:   # argparse exits on --help, --version and bad usage
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if getattr(args, "run", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    setup_logging(getattr(args, "quiet", False))
    try:
        return args.run(args)
    except KeyboardInterrupt:
        log.error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # stdout's reader left (`| head`): stop quietly; point stdout at devnull so
        # the interpreter's final flush does not fail again
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except MemoryError:
        log.error("out of memory; try fewer or smaller inputs at a time")
        return EXIT_SOFTWARE
    except Exception as exc:   # a bug: one line for users, the traceback on request
        if os.environ.get("UNBOIL_DEBUG"):
            raise
        log.error("internal error: %s: %s (set UNBOIL_DEBUG=1 for a traceback, and please report it)",
                  type(exc).__name__, exc)
        return EXIT_SOFTWARE


def main(argv=None) -> int:
    return dispatch(build_parser(), argv)
