"""Pieces the annotation pages share: the RE shown large, the player, the answer buttons,
messages carried over a rerun, and the refusal of bad requests.

Answers are written in callbacks (of the buttons, and of the page's key listener), which run
before the page is drawn again; a refused request (closed round, not your instance...) is kept
in `st.session_state` and shown as an error on the next run, and nothing is written. The answer
panel is a Streamlit fragment: an answer reruns only the panel, so the player (every frame of
the clip) is not sent again.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from refcat.annotate.accounts import User
from refcat.annotate.ui.shortcuts import ANSWER_KEYS, answer_button_key, with_key
from refcat.annotate.ui.text import error_message, html_text, plain, show_errors
from refcat.annotate.ui.video_view import InstanceView, ViewCache
from refcat.errors import RefcatError
from refcat.taxonomy import FIELD_QUESTIONS, FIELD_VALUES

FLASH = "flash"
FIELD_TITLES = {
    "difficulty": "Difficulty",
    "correctness": "Correctness",
    "information": "Information",
    "appearance": "Appearance",
    "location": "Location",
    "motion": "Motion",
    "obj-motion": "Object motion",
    "static": "Static action",
    "obj-static": "Object static action",
    "category": "Category",
}
VALUE_LABELS = {
    "trivial": "trivial",
    "non-trivial": "non-trivial",
    "valid": "valid RE",
    "no-re": "no RE",
    "wrong-object": "wrong object",
    "redundant": "redundant",
    "minimal": "minimal",
    "yes": "yes",
    "no": "no",
}


def require_admin(user: User) -> bool:
    """Show a refusal and return False for non-admins."""
    if user.role != "admin":
        st.error("Refused: this page is for admins only.")
        return False
    return True


def flash(kind: str, text: str) -> None:
    """Keep a message ("error", "success", "info") for the next run of the page."""
    st.session_state.setdefault(FLASH, []).append((kind, text))


def show_flash() -> None:
    """The kept messages, in one container: however many there are, they take one place on the page,
    so the elements after them keep theirs (Streamlit finds a fragment, and keeps a component
    mounted, by its place)."""
    with st.container():
        for kind, text in st.session_state.pop(FLASH, []):
            getattr(st, kind)(plain(text))


def attempt(
    action: Callable[[], object], success: str | None = None, say: Callable[[str, str], None] | None = None
) -> bool:
    """Run a store request from a callback; a refusal becomes an error message, never a crash. The
    message goes to `say(kind, text)`, by default `flash` (shown at the top of the next run)."""
    say = say or flash
    try:
        action()
    except RefcatError as exc:
        say("error", f"Refused: {exc}")
        return False
    except Exception as exc:
        say("error", error_message(exc))
        return False
    if success:
        say("success", success)
    return True


def expression(text: str) -> None:
    """The RE, large."""
    st.markdown(
        f'<div class="refcat-re" style="font-size:2.1rem;font-weight:600;line-height:1.25;margin:0.2em 0 0.5em">'
        f"&ldquo;{html_text(text)}&rdquo;</div>",
        unsafe_allow_html=True,
    )


def player(view: InstanceView) -> None:
    """The client-side player of an instance, its iframe sized to its content."""
    st.iframe(view.html, height="content")


def instance_player(views: ViewCache, key: str) -> None:
    """The player of an instance, or an error naming what is missing (the questions stay usable)."""
    try:
        view = views.view(key)
    except RefcatError as exc:
        st.error(plain(f"Cannot show the clip: {exc}"))
        return
    player(view)


@st.fragment
@show_errors
def answer_panel(
    fields: list[str],
    read_current: Callable[[], dict[str, str]],
    on_answer: Callable[[str, str], None],
    *,
    status: Callable[[], None] | None = None,
    automatic: dict[str, str] | None = None,
    others: dict[str, dict[str, str]] | None = None,
    first: dict[str, str] | None = None,
    key_prefix: str = "answer",
    end: Callable[[], None] | None = None,
    read_fields: Callable[[], list[str]] | None = None,
) -> None:
    """`answer_buttons` over the answers `read_current()` reads from the store on each run,
    after the messages of the last answer and `status()` (e.g. a progress bar), and then `end()`
    (the page's key listener). `read_fields()`, when given, reads on each run which of `fields`
    are asked now (e.g. none of the categories after "no RE"); it is called before `read_current()`,
    once each per run, so the two may come from one read."""
    show_flash()
    if status is not None:
        status()
    asked = fields if read_fields is None else read_fields()
    answer_buttons(
        asked, read_current(), on_answer, automatic=automatic, others=others, first=first, key_prefix=key_prefix
    )
    if end is not None:
        end()


def answer_buttons(
    fields: list[str],
    current: dict[str, str],
    on_answer: Callable[[str, str], None],
    *,
    automatic: dict[str, str] | None = None,
    others: dict[str, dict[str, str]] | None = None,
    first: dict[str, str] | None = None,
    disabled: bool = False,
    key_prefix: str = "answer",
) -> None:
    """One row per question: the paper's question and a button per value, the chosen one highlighted.

    Each button shows its keyboard shortcut (shortcuts.py) and calls `on_answer(field, value)`.
    `automatic` answers are shown as such, without buttons; `others` (revision) lists the
    other annotators' answers under each question; `first` (revision) are the user's first
    answers, marked with a badge and an icon on their button while the question has no
    `current` answer (not highlighted: they are not confirmed yet).
    """
    for field, value in (automatic or {}).items():
        st.markdown(f"**{FIELD_TITLES[field]}**: {VALUE_LABELS[value]} &nbsp; :blue-badge[automatic]")
    for field in fields:
        chosen = current.get(field)
        earlier = None if chosen else (first or {}).get(field)
        if chosen:
            status = f":green-badge[{VALUE_LABELS[chosen]}]"
        elif earlier:
            status = (
                f":violet-badge[:material/history: first answer: {VALUE_LABELS[earlier]}] :orange-badge[to confirm]"
            )
        else:
            status = ":orange-badge[unanswered]"
        text, buttons = st.columns([3, 2], vertical_alignment="center", gap="small")
        text.markdown(f"**{FIELD_TITLES[field]}** {status}  \n{FIELD_QUESTIONS[field]}")
        if others:
            said = ", ".join(
                f"{name}: {VALUE_LABELS[given[field]] if field in given else '-'}"
                for name, given in sorted(others.items())
            )
            text.caption(plain(f"Answers: {said}"))
        with buttons.container(horizontal=True, gap="small"):
            for value in FIELD_VALUES[field]:
                st.button(
                    with_key(VALUE_LABELS[value], ANSWER_KEYS[(field, value)]),
                    key=answer_button_key(key_prefix, field, value),
                    type="primary" if chosen == value else "secondary",
                    icon=":material/history:" if earlier == value else None,
                    help="your first answer: press to keep it" if earlier == value else None,
                    on_click=on_answer,
                    args=(field, value),
                    disabled=disabled,
                )
