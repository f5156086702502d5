"""The Guidelines page: how to answer every question, for annotators and admins alike.

It shows the taxonomy's content (refcat.annotate.guidelines): the questions of difficulty,
correctness and information with what each value means, Table 1's question, definition and
examples (with and without) for each category, the project's decisions for ambiguous cases (the
ones the automatic categorizer follows), how the pages name an RE's source, the keyboard shortcuts
(also on the `?` overlay), and the campaign notes. An annotator sees the notes of their own
campaigns, an admin those of every campaign, and an editor to add and remove them. A plain-text
note is shown as itself (`text.plain`); a markdown note, which only an admin can write, through
`notes.safe_markdown` (no raw HTML, no image).
"""

from __future__ import annotations

import streamlit as st

from refcat.annotate.accounts import User
from refcat.annotate.campaigns import Campaign, list_campaigns
from refcat.annotate.guidelines import answer_questions, decision_answers, source_label
from refcat.annotate.notes import MAX_NOTE_CHARS, Note, add_note, campaign_notes, remove_note, safe_markdown
from refcat.annotate.ui import widgets
from refcat.annotate.ui.help_overlay import help_overlay, hotkey_rows
from refcat.annotate.ui.shortcuts import ANSWER_KEYS
from refcat.annotate.ui.text import plain
from refcat.annotate.ui.widgets import FIELD_TITLES, VALUE_LABELS
from refcat.store.database import Store
from refcat.taxonomy import CATEGORIES, DECISIONS, NO, YES, Example

NOTE_CAMPAIGN, NOTE_BODY, NOTE_MARKDOWN, NOTE_ADD = "note_campaign", "note_body", "note_markdown", "note_add"
SOURCE_EXAMPLES = ("annot1", "annot1_full_video", "sentence0", "exp3", "a2dre+:location:without")


def _quoted(texts: tuple[str, ...] | list[str]) -> str:
    return " · ".join(f"“{plain(t)}”" for t in texts)


def _key(field: str, value: str) -> str:
    return f"`{ANSWER_KEYS[(field, value)]}`"


def questions() -> None:
    st.subheader("The questions")
    for field, question, values in answer_questions():
        lines = [f"**{FIELD_TITLES[field]}**: {plain(question)}"]
        lines += [f"- **{VALUE_LABELS[v]}** {_key(field, v)}: {plain(meaning)}" for v, meaning in values]
        st.markdown("\n".join(lines))


def categories() -> None:
    st.subheader("Semantic categories (Table 1)")
    st.markdown("Answer **yes** with the category's letter, **no** with Shift and the letter.")
    for category in CATEGORIES:
        name = category.name
        st.markdown(
            "\n".join(
                (
                    f"**{FIELD_TITLES[name]}** {_key(name, YES)} / {_key(name, NO)}: *{plain(category.question)}*",
                    f"- {plain(category.definition)}",
                    f"- Has it: {_quoted(category.examples)}",
                    f"- Does not: {_quoted(category.non_examples)}",
                )
            )
        )


def reading(example: Example) -> str:
    """A decision's example as a list item: the RE and the answers the decision gives it, only for the
    categories it is about, e.g. `- “a dog on a leash”: Location no`."""
    said = ", ".join(f"{FIELD_TITLES[c]} {VALUE_LABELS[v]}" for c, v in decision_answers(example))
    return f"- “{plain(example.text)}”: {plain(said)}"


def decisions() -> None:
    st.subheader("Decisions for ambiguous cases")
    st.caption(
        "The automatic categorizer reads REs by the same decisions. Each example gives the answers to the "
        "questions its decision is about; the RE's other categories are answered as usual."
    )
    for decision in DECISIONS:
        lines = [f"**{plain(decision.topic)}**", "", plain(decision.rule)]
        if decision.examples:
            lines += [""] + [reading(example) for example in decision.examples]
        st.markdown("\n".join(lines))


def sources() -> None:
    st.subheader("Where an RE comes from")
    st.markdown(
        "The Annotate and Revise pages name each RE's source under it, for example:\n"
        + "\n".join(f"- {plain(source_label(source))}" for source in SOURCE_EXAMPLES)
    )


def shortcuts() -> None:
    st.subheader("Keyboard shortcuts")
    st.markdown("Press `?` on this page or on Annotate and Revise to show them over the page.")
    st.dataframe(
        [{"group": group, "key": key, "does": what} for group, key, what in hotkey_rows()],
        hide_index=True,
    )


def _note(db: Store, user: User, note: Note) -> None:
    st.caption(plain(f"{note.author} · {note.created_at:%Y-%m-%d %H:%M} UTC"))
    st.markdown(safe_markdown(note.body) if note.markdown else plain(note.body))
    if user.role == "admin":

        def remove() -> None:
            widgets.attempt(lambda: remove_note(db, note.id, user), "Note removed.")

        st.button("Remove this note", key=f"note_remove:{note.id}", on_click=remove)


def _editor(db: Store, user: User, campaigns: list[Campaign]) -> None:
    names = [c.name for c in campaigns]

    def add() -> None:
        state = st.session_state
        added = widgets.attempt(
            lambda: add_note(db, state[NOTE_CAMPAIGN], user, state[NOTE_BODY], markdown=state[NOTE_MARKDOWN]),
            "Note added.",
        )
        if added:  # the next note starts empty, as plain text
            state[NOTE_BODY] = ""
            state[NOTE_MARKDOWN] = False

    with st.container(border=True):
        st.markdown("**Add a campaign note**")
        st.selectbox("Campaign", names, key=NOTE_CAMPAIGN)
        st.text_area("Note", key=NOTE_BODY, max_chars=MAX_NOTE_CHARS)
        st.checkbox("Markdown (no HTML, no images)", key=NOTE_MARKDOWN)
        st.button("Add note", key=NOTE_ADD, on_click=add)


def campaign_notes_section(db: Store, user: User) -> None:
    st.subheader("Campaign notes")
    campaigns = [c for c in list_campaigns(db) if user.role == "admin" or user.name in c.annotators]
    shown = False
    for campaign in campaigns:
        found = campaign_notes(db, campaign)
        if found:
            shown = True
            st.markdown(f"**{plain(campaign.name)}**")
            for note in found:
                _note(db, user, note)
    if not shown:
        st.info("No campaign notes yet." if campaigns or user.role == "admin" else "You annotate no campaign yet.")
    if user.role == "admin" and campaigns:
        _editor(db, user, campaigns)


def render(db: Store, user: User) -> None:
    st.header("Guidelines")
    widgets.show_flash()
    help_overlay()
    questions()
    categories()
    decisions()
    sources()
    shortcuts()
    campaign_notes_section(db, user)
