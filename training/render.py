"""Render an HTML page to text lines, the way a scraper hands text over.

One line per block-level element (paragraph, heading, list item, table cell,
...), inline text joined with whitespace collapsed to single spaces, invisible
parts (scripts, styles, hidden elements, ``<head>``) dropped, blank lines
dropped. ``<pre>`` keeps its inner line breaks.

The walk over the tree is a single iterative pass (no recursion, so deeply
nested pages do not hit Python's recursion limit).
"""
from __future__ import annotations

import codecs
import re

from lxml import etree
import lxml.html

__all__ = ["decode_html", "render_lines", "SKIP_TAGS", "BLOCK_TAGS", "BREAK_TAGS",
           "PRE_TAGS"]

# Elements whose content a reader never sees as page text: code, styling,
# metadata, embedded documents and graphics, and fallback content that
# browsers with scripting or media support do not show. <object> is not here:
# its fallback content is what shows now that plugins (Flash) are gone, and
# annotators kept video captions placed there.
SKIP_TAGS = frozenset({
    "script", "style", "noscript", "template", "svg", "iframe", "title",
    "embed", "canvas", "video", "audio", "frameset", "noframes",
    "meta", "link", "base",
})

# <head> is walked rather than skipped: everything that belongs in a head is
# in SKIP_TAGS, and libxml2 leaves body content inside <head> when a page puts
# an unknown element before <body> (a browser would start the body there).

# Elements that start and end a line: the HTML block-level and table/list
# elements, plus form controls whose text renders as separate boxes.
BLOCK_TAGS = frozenset({
    "html", "head", "body", "address", "article", "aside", "blockquote", "center",
    "details", "dialog", "dir", "div", "dl", "dt", "dd", "fieldset",
    "figure", "figcaption", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hgroup", "legend", "li", "main", "menu", "nav", "ol", "ul", "p",
    "pre", "section", "summary", "table", "caption", "thead", "tbody", "tfoot",
    "tr", "td", "th", "colgroup", "select", "option", "optgroup", "textarea",
    "listing", "plaintext", "xmp", "frame",
})

# Void elements that only break the line (they have no content of their own).
BREAK_TAGS = frozenset({"br", "hr"})

# Elements whose inner line breaks are kept as line breaks.
PRE_TAGS = frozenset({"pre", "listing", "plaintext", "xmp", "textarea"})

# Inline CSS that hides an element; computed styles from stylesheets are not
# evaluated (that would need a CSS engine), only the style attribute.
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)

# How far into the bytes to look for a <meta> charset; browsers look at 1024
# bytes, but real pages put long comments and scripts before the meta tag.
META_SNIFF_BYTES = 8192

_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._\-]+)""")
# lxml refuses str input that starts with an XML declaration naming an encoding.
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")

# Markup repairs before parsing, for what libxml2 handles unlike a browser:
# libxml2 stops at </html> (and at a self-closed <html .../>) and drops the
# rest, while browsers ignore those end tags; pages that concatenate two
# documents or close the body early lose their text otherwise.
_DOC_END_TAG = re.compile(r"</(?:html|body)\s*>", re.I)
_SELF_CLOSED_ROOT = re.compile(r"(<(?:html|body)\b[^>]*?)\s*/>", re.I)
# With scripting on, a browser reads <noscript> as raw text up to the first
# </noscript>; libxml2 parses it as markup, and an unbalanced tag inside
# (<noscript><div></noscript>) keeps it open so that it swallows the page.
_NOSCRIPT = re.compile(r"<noscript\b[^>]*>.*?</noscript\s*>", re.I | re.S)
# A <title> whose end tag is missing or mangled swallows the page as title
# text; a title holds no markup, so it ends at the next "<".
_TITLE_START = re.compile(r"<title\b[^>]*>", re.I)
_TITLE_END = re.compile(r"</title\s*>", re.I)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Labels that browsers (the WHATWG encoding standard) decode as windows-1252:
# pages that say latin-1 or ascii use cp1252's curly quotes and dashes in
# 0x80-0x9F, which latin-1 would turn into invisible control characters.
_AS_CP1252 = frozenset({"latin-1", "iso8859-1", "ascii", "cp1252", "iso8859-15"})


def _charset(name) -> str | None:
    """Python codec name for a charset label, or None if unknown or bogus."""
    if not name:
        return None
    if isinstance(name, bytes):
        name = name.decode("ascii", "ignore")
    name = name.strip().strip("\"'").lower()
    try:
        codec = codecs.lookup(name).name
    except (LookupError, ValueError):
        return None
    if codec in _AS_CP1252:
        return "cp1252"
    # A byte page cannot really be UTF-16/32 without a BOM (the meta tag itself
    # would not be readable as ASCII); browsers treat the label as UTF-8.
    if codec.startswith(("utf-16", "utf-32")):
        return "utf-8"
    return codec


def _sniff_charset(raw: bytes) -> str | None:
    head = raw[:META_SNIFF_BYTES]
    m = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return _charset(m.group(1)) if m else None


def _try(raw: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        return raw.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(raw: bytes, http_charset: str | None = None) -> str:
    """Decode page bytes to text.

    Order: byte-order mark, then the HTTP charset, then a ``<meta>`` charset
    (or XML declaration) in the first 8 KB, then strict UTF-8, then cp1252.
    A declared charset that fails to decode strictly is passed over (pages
    often lie); the last resort is cp1252 with replacement characters.
    Unknown charset names are ignored.
    """
    if isinstance(raw, str):
        return raw
    raw = bytes(raw)
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom):].decode(codec, errors="replace")
    for codec in (_charset(http_charset), _sniff_charset(raw), "utf-8", "cp1252"):
        text = _try(raw, codec)
        if text is not None:
            return text
    return raw.decode("cp1252", errors="replace")


def _repair_markup(html: str) -> str:
    lower = html.lower()
    if "</html" in lower or "</body" in lower:
        html = _DOC_END_TAG.sub("", html)
    if "/>" in html:
        html = _SELF_CLOSED_ROOT.sub(r"\1>", html)
    if "<noscript" in lower:
        html = _NOSCRIPT.sub("", html)
    m = _TITLE_START.search(html)
    if m:
        lt = html.find("<", m.end())
        if lt >= 0 and not _TITLE_END.match(html, lt):
            html = f"{html[:lt]}</title>{html[lt:]}"
    return html


def _parse(html: str):
    html = _repair_markup(html)
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True,
                                  huge_tree=True)
    if "\x00" in html:
        html = html.replace("\x00", "")
    try:
        return etree.fromstring(html, parser)
    except ValueError:
        # "Unicode strings with encoding declaration are not supported".
        pass
    try:
        return etree.fromstring(_XML_DECL.sub("", html, count=1), parser)
    except ValueError:
        # A declaration we could not cut off (malformed, or not at the start):
        # hand lxml bytes with the encoding fixed, which overrides any declaration.
        utf8 = lxml.html.HTMLParser(remove_comments=True, remove_pis=True,
                                    huge_tree=True, encoding="utf-8")
        return etree.fromstring(html.encode("utf-8", "replace"), utf8)


def _hidden(el) -> bool:
    get = el.get
    if get("hidden") is not None:
        return True
    aria = get("aria-hidden")
    if aria is not None and aria.strip().lower() == "true":
        return True
    style = get("style")
    return style is not None and _HIDDEN_STYLE.search(style) is not None


def render_lines(html: str | bytes) -> list[str]:
    """Render a page (text, or bytes decoded with :func:`decode_html`) to its text lines."""
    if isinstance(html, (bytes, bytearray)):
        html = decode_html(bytes(html))
    if not html or html.isspace():
        return []
    try:
        root = _parse(html)
    except (etree.ParserError, etree.XMLSyntaxError):
        return []
    if root is None:
        return []

    lines: list[str] = []
    parts: list[str] = []  # text pieces of the line being built

    def flush():
        if parts:
            line = " ".join("".join(parts).split())
            parts.clear()
            if line:
                lines.append(line)

    def add(text, pre):
        if not pre:
            parts.append(text)
            return
        pieces = text.split("\n")
        parts.append(pieces[0])
        for piece in pieces[1:]:
            flush()
            parts.append(piece)

    pre_depth = 0
    # Stack entries: (element, closing). A closing entry ends the element:
    # breaks the line after a block and emits the element's tail text.
    stack = [(root, False)]
    pop, push = stack.pop, stack.append
    while stack:
        el, closing = pop()
        if closing:
            tag = el.tag
            if tag in BLOCK_TAGS:
                flush()
            if tag in PRE_TAGS:
                pre_depth -= 1
            if el.tail:
                add(el.tail, pre_depth)
            continue
        tag = el.tag
        if not isinstance(tag, str):  # comment, processing instruction, entity
            if el.tail:
                add(el.tail, pre_depth)
            continue
        if tag in SKIP_TAGS or (el.attrib and _hidden(el)):
            if el.tail:
                add(el.tail, pre_depth)
            continue
        if tag in BREAK_TAGS:
            flush()
            if el.tail:
                add(el.tail, pre_depth)
            continue
        if tag in BLOCK_TAGS:
            flush()
        if tag in PRE_TAGS:
            pre_depth += 1
        if el.text:
            add(el.text, pre_depth)
        push((el, True))
        children = list(el)
        if children:
            children.reverse()
            stack.extend((child, False) for child in children)
    flush()
    return lines
