"""Text from users and files shows as text on the pages, never as markdown or HTML (issue 13).

`text.plain` and `text.html_text` are checked on their own, then the pages through AppTest:
every element that Streamlit renders as markdown is run through a CommonMark renderer
(markdown-it-py, with GitHub's tables and strikethrough), and must give no link, image or
formatting to any of the payload's markup (tests/helpers/markup.py), no line ending inside an
HTML block, and the payload's own text. Streamlit's own renderer (with GitHub's bare links,
math, emoji and directives) is checked in Chromium by tests/test_e2e_injection.py.
"""

from __future__ import annotations

import html
import re

import pytest
from helpers.app_test import TIMEOUT, logged_in
from helpers.demo import build_demo, use_demo_copy
from helpers.markup import ANNOTATOR, CAMPAIGN, add_payload_instance, payload
from streamlit.testing.v1 import AppTest

from refcat.annotate.ui.text import WORD_JOINER, html_text, plain
from refcat.store.database import open_store

NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing is served there
PAYLOAD = payload(NOWHERE)
# What GitHub-flavoured markdown and Streamlit find in text after escapes are resolved (the
# patterns of Streamlit 1.67's bundle: bare links, e-mail addresses, emoji, icons, directives).
AFTER_ESCAPES = {
    "bare link": re.compile(r"(https?://|www(?=\.))", re.IGNORECASE),
    "e-mail": re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)"),
    "emoji": re.compile(r":\+1:|:-1:|:[\w-]+:"),
    "icon": re.compile(r":material/"),
    "directive": re.compile(r":{1,3}[A-Za-z][\w-]*[\[{]"),
}
MARKUP_TAGS = ("a", "img", "strong", "em", "code", "del", "s", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre")


def render(source: str, html_allowed: bool) -> str:
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py (a dependency of rich) renders CommonMark")
    renderer = markdown_it.MarkdownIt("commonmark", {"html": html_allowed}).enable(["table", "strikethrough"])
    return renderer.render(source)


def text_of(rendered: str) -> str:
    """The text a browser shows of rendered HTML: line breaks as newlines, tags dropped."""
    lines = re.sub(r"<br\s*/?>\n?", "\n", rendered)
    return html.unescape(re.sub(r"<[^>]+>", "", lines)).replace(WORD_JOINER, "").strip()


def markup_found(rendered: str) -> list[str]:
    """The elements of `rendered` that took a payload marker, or point at a payload URL."""
    found = re.findall(rf"<({'|'.join(MARKUP_TAGS)})\b[^>]*>[^<]*INJ", rendered)
    found += re.findall(r"<(?:a|img)\b[^>]*(?:127\.0\.0\.1:9|inj\.invalid)[^>]*>", rendered)
    return found


# ------------------------------------------------------------------ the helpers


def test_plain_leaves_names_and_words_as_they_are():
    for name in ["demo/two-dogs/2/annot2", "x_labels.csv", "demo_RE_categorization.csv", "Refused: no", "12:30:05"]:
        assert plain(name) == name
    assert plain("The blind round of campaign 'demo' is closed.") == "The blind round of campaign 'demo' is closed."


@pytest.mark.parametrize(
    "text",
    [
        PAYLOAD,
        "a\n\n    indented\n\n```\nfenced\n```",
        "1. one\n2) two\n+ three\n* four\n> quote\n---\n===\n| a | b |\n|---|---|",
        "x\n",
        "\r\nwindows\r\nlines\r",
        "&lt;entity&gt; &amp; \\*escaped\\*",
        "<http://127.0.0.1:9/auto>",
        "_a_ __b__ a_b_c *c* ***d*** [ref]: http://127.0.0.1:9/ref [ref]",
    ],
)
def test_plain_shows_the_text_itself(text):
    out = plain(text)
    rendered = render(out, html_allowed=False)
    assert not markup_found(rendered) and not re.search(r"<(?!/?p>|br />)", rendered), rendered
    expected = "\n".join(line for line in re.split(r"\r\n|\r|\n", text)).strip()
    shown = text_of(rendered)
    # Paragraph lines lose their leading blanks in markdown; the characters are all there.
    assert re.sub(r"\n[ \t]+", "\n", shown) == re.sub(r"\n[ \t]+", "\n", expected)
    resolved = re.sub(r"\\(.)", r"\1", out, flags=re.DOTALL)
    assert {name for name, pattern in AFTER_ESCAPES.items() if pattern.search(resolved)} == set()


def test_html_text_is_one_line_of_escaped_html():
    out = html_text(PAYLOAD)
    assert "\n" not in out and "\r" not in out
    assert re.sub(r"<br>", "", out).count("<") == 0
    assert html.unescape(out.replace("<br>", "\n")) == PAYLOAD
    rendered = render(f'<div class="x">{out}</div>', html_allowed=True)
    assert not markup_found(rendered) and "<img" not in rendered and "<a " not in rendered


# ------------------------------------------------------------------ the pages (AppTest)


@pytest.fixture(scope="module")
def payload_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("escaping")
    url, data = build_demo(folder)
    store = open_store(url)
    key = add_payload_instance(store, PAYLOAD)
    store.dispose()
    return url, data, key


@pytest.fixture
def payload_store(payload_files, tmp_path, monkeypatch):
    url, data, key = payload_files
    use_demo_copy((url, data), tmp_path, monkeypatch)
    return key


def shown_texts(node) -> list[tuple[str, str, bool]]:
    """(element type, markdown source, HTML allowed) of every element under `node` whose text
    Streamlit renders as markdown: bodies of markdown, captions, headings and alerts, and labels."""
    found = []
    for child in getattr(node, "children", {}).values():
        proto = getattr(child, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            fields = {f.name: v for f, v in proto.ListFields()}
            for name in ("body", "label", "text", "help"):
                if isinstance(fields.get(name), str) and child.type != "html":
                    found.append((child.type, fields[name], bool(fields.get("allow_html"))))
        found += shown_texts(child)
    return found


def assert_shown_as_text(at: AppTest) -> list[str]:
    """Every markdown-rendered text of the page is safe; returns the texts a reader sees."""
    assert not at.exception
    seen = []
    for kind, source, html_allowed in shown_texts(at._tree):
        rendered = render(source, html_allowed)
        assert not markup_found(rendered), (kind, source, rendered)
        if html_allowed:  # one HTML block: a blank line would end it and let markdown in again
            assert not re.search(r"\n\s*\n", source.strip()), (kind, source)
        else:
            resolved = re.sub(r"\\(.)", r"\1", source, flags=re.DOTALL)
            assert not [n for n, p in AFTER_ESCAPES.items() if "INJ" in source and p.search(resolved)], source
        seen.append(text_of(rendered))
    return seen


def test_the_re_shows_as_text_on_the_annotate_page_and_in_the_suggestions(payload_store):
    at = logged_in(ANNOTATOR, {"campaign": CAMPAIGN})
    seen = assert_shown_as_text(at)
    assert f"“{PAYLOAD}”" in seen  # the RE, large: every character, line breaks kept
    assert f"{CAMPAIGN} · {payload_store}" in seen  # the instance key caption
    suggestions = [s for _, s, html_allowed in shown_texts(at._tree) if html_allowed and "Information: " in s]
    assert len(suggestions) == 1 and text_of(render(suggestions[0], html_allowed=True)).startswith(PAYLOAD)


@pytest.mark.parametrize("param", ["campaign", "instance"])
def test_url_parameters_show_as_text_in_the_refusals(payload_store, param):
    query = {"campaign": CAMPAIGN, "instance": PAYLOAD} if param == "instance" else {"campaign": PAYLOAD}
    at = logged_in(ANNOTATOR, query)
    seen = assert_shown_as_text(at)
    refusal = next(s for s in seen if s.startswith("Refused:"))
    assert repr(PAYLOAD) in refusal  # quoted as typed, markup and all


def test_the_videos_page_shows_the_re_as_text(payload_store):
    def script(key: str) -> None:
        import os

        import streamlit as st

        from refcat.annotate.accounts import get_user
        from refcat.annotate.ui import videos
        from refcat.store.database import open_store

        dataset, video, *_ = key.split("/")
        st.session_state.setdefault("videos_video", f"{dataset}/{video}")
        st.session_state.setdefault("videos_instance", key)
        db = open_store(os.environ["REFCAT_DB"])
        videos.render(db, get_user(db, "ann1"))

    at = AppTest.from_function(script, args=(payload_store,), default_timeout=TIMEOUT).run()
    assert f"“{PAYLOAD}”" in assert_shown_as_text(at)
