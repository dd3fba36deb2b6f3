"""training.render: HTML bytes/text to the lines a scraper hands over."""
from __future__ import annotations

import pytest

from training.render import decode_html, render_lines


# --- lines and blocks ---------------------------------------------------------

def test_block_elements_break_lines_and_inline_text_joins():
    html = "<div>intro<p>first <b>bold</b><i>italic</i> end</p>after<h2>Title</h2></div>"
    assert render_lines(html) == ["intro", "first bolditalic end", "after", "Title"]


def test_whitespace_collapses_and_blank_lines_drop():
    html = "<p>  a \n\t  b\u00a0 c  </p><p> \n </p><div></div><p>d</p>"
    assert render_lines(html) == ["a b c", "d"]


def test_br_and_hr_break_lines():
    assert render_lines("<p>one<br>two<br/>three<hr>four</p>") == ["one", "two", "three", "four"]


def test_lists_tables_and_cells_separate():
    html = ("<ul><li>Home</li><li>News <a href=#>World</a></li></ul>"
            "<table><tr><td>a1</td><td>a2</td></tr><tr><th>b1</th><td>b2</td></tr></table>"
            "<dl><dt>term</dt><dd>definition</dd></dl>"
            "<select><option>Once</option><option>Monthly</option></select>")
    assert render_lines(html) == ["Home", "News World", "a1", "a2", "b1", "b2",
                                  "term", "definition", "Once", "Monthly"]


def test_semantic_blocks_break_lines():
    html = ("<header>Site</header><nav>Menu</nav><main><article><section>S1</section>"
            "<blockquote>Quote</blockquote><figure>img<figcaption>Caption</figcaption></figure>"
            "</article></main><aside>Side</aside><footer><address>Addr</address></footer>")
    assert render_lines(html) == ["Site", "Menu", "S1", "Quote", "img", "Caption", "Side", "Addr"]


def test_pre_keeps_its_line_breaks():
    html = "<p>code:</p><pre>def f():\n    return  1\n\nf()</pre><p>done</p>"
    assert render_lines(html) == ["code:", "def f():", "return 1", "f()", "done"]


# --- what is not shown ----------------------------------------------------------

def test_scripts_styles_and_other_invisible_parts_drop():
    html = ("<html><head><title>T</title><style>p{}</style><script>var a=1;</script></head>"
            "<body><p>a<script>document.write('x')</script>b</p>"
            "<noscript>enable JS</noscript><template><p>tmpl</p></template>"
            "<svg><text>svg text</text></svg><iframe>frame</iframe>"
            "<!-- a comment --><p>visible</p></body></html>")
    assert render_lines(html) == ["ab", "visible"]


@pytest.mark.parametrize("attrs", [
    'hidden', 'hidden=""', 'aria-hidden="true"', 'aria-hidden="TRUE "',
    'style="display:none"', 'style="color:red; DISPLAY : none;"',
    'style="visibility: hidden"',
])
def test_hidden_elements_drop_but_their_tail_stays(attrs):
    html = f"<div>before<span {attrs}>secret <b>text</b></span>after</div>"
    assert render_lines(html) == ["beforeafter"]


def test_visible_attributes_do_not_hide():
    html = ('<p aria-hidden="false">a</p><p style="display:block">b</p>'
            '<p style="visibility:visible">c</p>')
    assert render_lines(html) == ["a", "b", "c"]


def test_object_fallback_content_is_rendered():
    # Flash is gone: what a reader sees is the fallback (video captions here).
    html = '<object data="x.swf"><p>Video caption</p></object>'
    assert render_lines(html) == ["Video caption"]


# --- entities and markup robustness ----------------------------------------------

def test_entities_are_decoded():
    html = "<p>Fish &amp; chips &eacute;t&eacute; &#8217;quoted&#x2019; &lt;tag&gt;&nbsp;x</p>"
    assert render_lines(html) == ["Fish & chips été \u2019quoted\u2019 <tag> x"]


def test_broken_markup_is_tolerated():
    # Stray end tags, a cell outside a table, nothing closed at the end.
    html = "<div><p>one<div>two</span></p>three<td>four</b><p>five"
    lines = render_lines(html)
    assert " ".join(lines).replace("twothree", "two three").split() == [
        "one", "two", "three", "four", "five"]
    assert lines[0] == "one" and lines[-1] == "five"


def test_text_after_closing_html_tag_is_kept():
    # libxml2 drops everything after </html>; browsers (and scrapers) keep it.
    html = "<html><body><p>first</p></body></html><p>second</p><html><body><p>third</p>"
    assert render_lines(html) == ["first", "second", "third"]


def test_self_closed_html_tag_does_not_end_the_page():
    assert render_lines('<html lang="en" /><p>text</p>') == ["text"]


def test_unclosed_title_does_not_swallow_the_page():
    html = "<html><head><title>Page title</titXX><body><p>Body text</p></body></html>"
    assert render_lines(html) == ["Body text"]


def test_unbalanced_noscript_does_not_swallow_the_page():
    html = "<noscript><div id=x></noscript><p>Article text</p><div>more</div>"
    assert render_lines(html) == ["Article text", "more"]


def test_unknown_element_in_head_keeps_the_body_text():
    html = "<html><head><title>t</title><mbox><p>Article</p></head><body>Body</body></html>"
    assert render_lines(html) == ["Article", "Body"]


def test_xml_declaration_in_str_input():
    html = '<?xml version="1.0" encoding="utf-8"?>\n<html><body><p>x</p></body></html>'
    assert render_lines(html) == ["x"]


def test_malformed_xml_declaration_in_str_input():
    html = '<?xml version="1.0" encoding="utf-8, junk, junk"><html><body><p>y</p></body></html>'
    assert render_lines(html) == ["y"]


def test_nul_characters_do_not_break_parsing():
    assert render_lines("<p>a\x00b</p>") == ["ab"]


def test_deep_nesting_does_not_hit_the_recursion_limit():
    # Deeper than Python's recursion limit (1000), within libxml2's (2048).
    html = "<div>" * 1500 + "deep" + "</div>" * 1500
    assert render_lines(html) == ["deep"]


@pytest.mark.parametrize("html", ["", "   \n", b"", "<html></html>", "<!-- only -->",
                                  "<script>x</script>", "<html><head><title>t</title></head></html>"])
def test_empty_pages_render_to_no_lines(html):
    assert render_lines(html) == []


def test_plain_text_without_tags():
    assert render_lines("just text") == ["just text"]


def test_bytes_input_is_decoded():
    raw = '<meta charset="windows-1252"><p>caf\xe9 \x93q\x94</p>'.encode("latin-1")
    assert render_lines(raw) == ["caf\xe9 \u201cq\u201d"]


# --- decoding ---------------------------------------------------------------------

def test_utf8_bom_wins_over_meta():
    raw = b'\xef\xbb\xbf<meta charset="iso-8859-1"><p>caf\xc3\xa9</p>'
    text = decode_html(raw)
    assert "caf\xe9" in text and not text.startswith("\ufeff")


def test_utf16_bom():
    raw = "\ufeff<p>\u00fcber</p>".encode("utf-16-le")
    assert decode_html(raw) == "<p>\u00fcber</p>"


@pytest.mark.parametrize("meta", [
    '<meta charset="iso-8859-1">',
    "<meta charset=latin-1>",
    '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
    "<META HTTP-EQUIV='content-type' CONTENT='text/html;charset=ISO-8859-1'>",
])
def test_meta_charset_latin1_and_cp1252(meta):
    # Latin-1 labels decode as cp1252, as browsers do: 0x92 is a quote, not a control.
    raw = meta.encode() + b"<p>caf\xe9 it\x92s</p>"
    assert "caf\xe9 it\u2019s" in decode_html(raw)


def test_http_charset_comes_before_meta():
    raw = '<meta charset="utf-8"><p>\u0432\u0430\u0448</p>'.encode("cp1251")
    assert "\u0432\u0430\u0448" in decode_html(raw, http_charset="windows-1251")


@pytest.mark.parametrize("meta", ['<meta charset="x-no-such-charset">', '<meta charset="">',
                                  '<meta charset="utf-8\x00">'])
def test_bogus_meta_charset_does_not_crash(meta):
    assert "caf\xe9" in decode_html(meta.encode() + "<p>caf\xe9</p>".encode("utf-8"))
    assert "caf\xe9" in decode_html(meta.encode() + b"<p>caf\xe9</p>")


def test_bogus_http_charset_is_ignored():
    assert "caf\xe9" in decode_html("<p>caf\xe9</p>".encode("utf-8"), http_charset="bogus/9")


def test_no_charset_utf8():
    assert decode_html("<p>\u201cs\u00fc\u00df\u201d</p>".encode("utf-8")) == "<p>\u201cs\u00fc\u00df\u201d</p>"


def test_no_charset_cp1252_bytes():
    assert decode_html(b"<p>\x93quoted\x94 \x96 caf\xe9</p>") == "<p>\u201cquoted\u201d \u2013 caf\xe9</p>"


def test_declared_utf8_that_is_not_falls_back_to_cp1252():
    assert "caf\xe9" in decode_html(b'<meta charset="utf-8"><p>caf\xe9</p>')


def test_utf16_label_without_bom_means_utf8():
    raw = '<meta charset="utf-16"><p>caf\xe9</p>'.encode("utf-8")
    assert "caf\xe9" in decode_html(raw)


def test_undecodable_bytes_are_replaced_not_raised():
    # 0x81 is undefined in cp1252 and invalid in utf-8.
    text = decode_html(b"<p>a\x81b</p>")
    assert text.startswith("<p>a") and text.endswith("b</p>")


def test_str_passes_through():
    assert decode_html("<p>x</p>") == "<p>x</p>"
