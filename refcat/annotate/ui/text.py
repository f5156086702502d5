"""Text the pages do not control (REs, user and campaign names, comments, sources, instance keys,
URL parameters, error messages quoting any of them), made safe to show: it always shows as
itself, never as markdown or HTML; and errors, shown without a traceback.

Most Streamlit elements that show text render markdown: st.markdown, st.caption, st.header,
st.info / st.error / st.warning / st.success, the labels of buttons, checkboxes, tabs and
progress bars, tooltips (`help=`), the options of st.radio, the section names of st.navigation.
Such text goes through `plain`. Text placed inside an HTML fragment (a page's own
`st.markdown(..., unsafe_allow_html=True)`) goes through `html_text` instead. Text-only
elements (st.text, st.code, st.dataframe, the options of st.selectbox) need neither.

The conventions, which the escaping tests check in Chromium:
- `plain` backslash-escapes the characters that start markdown, GitHub-flavoured markdown,
  math and HTML syntax (\\ ` * _ [ ] < > & # | ~ $), and `-` `+` `=` or a number's `.` `)` at
  the start of a line (lists, headings). A `_` between two letters or digits is left as it is
  (it cannot emphasise there), so names such as `demo/two-dogs/2/annot1` or `x_labels.csv`
  read the same in the markdown source.
- Streamlit and GitHub-flavoured markdown also act on the text after escapes are resolved: bare
  links (`http://`, `www.`, `a@b.c`), emoji and icon codes (`:smile:`, `:material/home:`) and
  directives (`:red[...]`). `plain` puts an invisible word joiner (U+2060) after a `:` that a
  letter, `_`, `/`, `+`, `-` or `:` follows, after an `@` that a non-space follows, and between
  `www` and `.`, which none of those patterns matches. A `:` before a digit is left alone, so that
  times (12:30) stay as they are; the only codes this lets through are the emoji :100: and :1234:.
- A line ending becomes a hard line break (a blank line stays a blank line, and no line can
  start a markdown block); line endings and blank lines at the end are dropped.
- `html_text` escapes HTML (`& < > " '`), writes `:` as `&#58;` (Streamlit rewrites the
  icon code `:material/` in the markdown source, HTML blocks included) and turns line endings
  into `<br>`, so that the HTML block it sits in never ends (in markdown a blank line ends an
  HTML block, and what follows it would be read as markdown again).

Errors: a RefcatError shows as its one line (`str(exc)`); any other exception shows as a short
message with an error id (8 hex digits), and its traceback goes to the server log (the logger
of this module, Streamlit's console format) under that id. `error_message` makes the text,
`show_errors` wraps a page (pages.main) or a fragment so that nothing it raises reaches the
browser as a traceback; Streamlit's own error details are off as well (.streamlit/config.toml).
"""

from __future__ import annotations

import functools
import html
import re
import secrets
from collections.abc import Callable
from typing import ParamSpec

import streamlit as st
from streamlit.errors import FragmentHandledException
from streamlit.logger import get_logger

from refcat.errors import RefcatError

P = ParamSpec("P")
LOG = get_logger(__name__)

WORD_JOINER = "\u2060"
_LINE_ENDING = re.compile(r"\r\n|\r|\n")
_ALWAYS = frozenset("\\`*[]<>&#|~$")
_LINE_START = re.compile(r"^(\s*)(?:([-+=])|(\d+)([.)]))")
# The starts of bare links, emoji and icon codes and directives (see the module's conventions).
_JOIN = re.compile(r"(?<=:)(?=[^\W\d]|[/+:-])|(?<=@)(?=\S)|(?i:(?<=www)(?=\.))")


def _plain_line(line: str) -> str:
    line = _JOIN.sub(WORD_JOINER, line)
    out = []
    for index, char in enumerate(line):
        if char in _ALWAYS:
            out.append("\\" + char)
        elif char == "_" and not (
            0 < index < len(line) - 1 and line[index - 1].isalnum() and line[index + 1].isalnum()
        ):
            out.append("\\_")
        else:
            out.append(char)
    escaped = "".join(out)
    start = _LINE_START.match(escaped)
    if start is None:
        return escaped
    indent, sign, number, mark = start.groups()
    marker = f"\\{sign}" if sign else f"{number}\\{mark}"
    return indent + marker + escaped[start.end() :]


def plain(text: object) -> str:
    """`text` (or `str(text)`) as markdown that shows exactly that text (see the module's conventions)."""
    lines = _LINE_ENDING.split(str(text))
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    return "\\\n".join(_plain_line(line) for line in lines)


def html_text(text: object) -> str:
    """`text` (or `str(text)`) as HTML text: escaped, `:` as `&#58;`, line endings as `<br>` (none left)."""
    lines = _LINE_ENDING.split(str(text))
    return "<br>".join(html.escape(line, quote=True).replace(":", "&#58;") for line in lines)


def error_message(exc: Exception, *, reveal: bool = True) -> str:
    """What a page says of `exc`: a RefcatError's one line (unless `reveal` is False, for errors that
    name server paths to visitors who have not logged in); for anything else a message with a new
    error id, after logging the traceback under that id."""
    if reveal and isinstance(exc, RefcatError):
        return str(exc)
    error_id = secrets.token_hex(4)
    LOG.error("error %s: %s", error_id, type(exc).__name__, exc_info=exc)
    return f"Unexpected error (error id {error_id}). The server log holds the details under this id."


def show_errors(run: Callable[P, None]) -> Callable[P, None]:
    """`run`, showing what it raises as `error_message` in an st.error instead of raising it.

    Streamlit's reruns and stops are not exceptions of this kind and pass; so does a fragment's
    error that Streamlit has already shown (FragmentHandledException).
    """

    @functools.wraps(run)
    def shown(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            run(*args, **kwargs)
        except FragmentHandledException:
            raise
        except Exception as exc:
            st.error(plain(error_message(exc)))

    return shown
