"""The adjudication and quality pages through streamlit's AppTest, on the demo store (refcat demo-store:
ann1, ann2, ann3 label every instance of campaign "demo"; admin).

The case: on the first instance K1, motion is a tie (ann1 yes, ann2 no, ann3 silent) and static has a
majority (ann1 yes, ann2 yes, ann3 no); on the second, K2, motion is a tie again (ann1 no, ann2 yes)
and ann3 leaves a comment. Then the blind round is closed.
"""

from __future__ import annotations

import re

import pytest
from helpers.demo import build_demo, use_demo_copy
from sqlalchemy import insert, select
from streamlit.testing.v1 import AppTest

from refcat.annotate.campaigns import close_round
from refcat.annotate.guidelines import instance_source_label
from refcat.annotate.labels import final_labels, queue, record_answer
from refcat.annotate.quality import case_link
from refcat.annotate.state import campaign_row, instance_row
from refcat.annotate.ui.text import plain
from refcat.store.database import open_store
from refcat.store.schema import LabelEventRow, UserRow

TIMEOUT = 60
ANSWERS = {  # (instance index, field) -> {annotator: value}
    (0, "motion"): {"ann1": "yes", "ann2": "no"},
    (0, "static"): {"ann1": "yes", "ann2": "yes", "ann3": "no"},
    (1, "motion"): {"ann1": "no", "ann2": "yes"},
}


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("adjudication"))


@pytest.fixture
def case(demo_files, tmp_path, monkeypatch):
    """A fresh copy of the demo store with the module's answers, the blind round closed; (store, K1, K2)."""
    store = open_store(use_demo_copy(demo_files, tmp_path, monkeypatch))
    keys = [item.instance_key for item in queue(store, "ann1", "demo")][:2]
    for (index, field), given in ANSWERS.items():
        for name, value in given.items():
            record_answer(store, name, "demo", keys[index], field, value)
    with store.session() as session:
        session.execute(
            insert(LabelEventRow).values(
                campaign_pk=campaign_row(session, "demo").id,
                instance_pk=instance_row(session, keys[1]).id,
                user_pk=session.scalar(select(UserRow.id).where(UserRow.name == "ann3")),
                round=1,
                kind="comment",
                field="",
                value="",
                reason="the box jumps to the other person",
            )
        )
    close_round(store, "demo", "admin")
    yield store, keys[0], keys[1]
    store.dispose()


def page(name: str, query: dict[str, str] | None = None) -> AppTest:
    def script(page_name):
        import importlib
        import os

        from refcat.annotate.accounts import get_user
        from refcat.store.database import open_store

        db = open_store(os.environ["REFCAT_DB"])
        importlib.import_module(f"refcat.annotate.ui.{page_name}").render(db, get_user(db, "admin"))

    at = AppTest.from_function(script, args=(name,), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def cases(at: AppTest) -> list[tuple[str, str]]:
    return list(at.selectbox(key="adj_case").options)


def shown_case(at: AppTest) -> tuple[str, str]:
    return at.selectbox(key="adj_case").value


def test_a_case_shows_the_re_source_clip_answers_flags_and_majority(case):
    store, k1, k2 = case
    at = page("adjudicate")
    assert not at.exception
    assert cases(at) == [f"{k1} · Motion", f"{k1} · Static action", f"{k2} · Motion"]
    assert shown_case(at) == (k1, "motion")
    re_text = next(m.value for m in at.markdown if "refcat-re" in m.value)
    from refcat.annotate.labels import instance_text

    assert instance_text(store, k1).split()[0] in re_text
    source = instance_source_label(k1)
    assert any(m.value == f"**Source**: {plain(source)}" for m in at.markdown)
    assert at.get("iframe"), "the clip's player"
    answers = next(d.value for d in at.dataframe if "first answer" in d.value.columns)
    assert answers.values.tolist() == [["ann1", "yes", "—", "yes"], ["ann2", "no", "—", "no"], ["ann3", "—", "—", "—"]]
    assert "**Majority**: none (a tie)" in [m.value for m in at.markdown]
    assert "No flags or comments on this instance." in [c.value for c in at.caption]

    at.selectbox(key="adj_case").set_value((k2, "motion")).run()
    assert not [d for d in at.dataframe if "kind" in d.value.columns]  # as text, not cut off in a narrow table
    (flag,) = [m.value for m in at.markdown if m.value.startswith("**ann3")]
    said, comment = flag.split("  \n")
    assert re.fullmatch(r"\*\*ann3 · comment · blind round · \d{4}-\d\d-\d\d \d\d:\d\d UTC\*\*", said)
    assert comment == "the box jumps to the other person"
    at.selectbox(key="adj_case").set_value((k1, "static")).run()
    assert "**Majority**: yes (a majority agrees)" in [m.value for m in at.markdown]


def test_filters_ties_flagged_and_one_question(case):
    _, k1, k2 = case
    at = page("adjudicate")
    at.toggle(key="adj_ties").set_value(True).run()
    assert cases(at) == [f"{k1} · Motion", f"{k2} · Motion"]
    at.toggle(key="adj_flagged").set_value(True).run()
    assert cases(at) == [f"{k2} · Motion"]
    at.toggle(key="adj_ties").set_value(False)
    at.toggle(key="adj_flagged").set_value(False).run()
    at.button_group(key="adj_field").set_value("static").run()
    assert cases(at) == [f"{k1} · Static action"]


def test_a_flags_comment_is_shown_whole_and_as_text():
    from datetime import datetime

    from refcat.annotate.ui.adjudicate import flag_text

    long = "<b>bold?</b> **md** the box " + "is on the wrong dog " * 10
    shown = flag_text("ann2", "comment", long, 2, datetime(2026, 12, 2, 1, 45, 18))
    assert shown == f"**ann2 · comment · revision round · 2026-12-02 01:45 UTC**  \n{plain(long)}"
    assert (
        flag_text("ann1", "unsure", "", 1, datetime(2026, 1, 2, 3, 4))
        == "**ann1 · unsure · blind round · 2026-01-02 03:04 UTC**"
    )


def _beside_the_button(at: AppTest) -> list[str]:
    """The messages in the column of the "Set final label" button (where the admin is)."""
    (column,) = [c for c in at.columns if any(b.key == "adj_set" for b in c.button)]
    return [e.value for e in [*column.error, *column.success]]


def test_a_reason_is_required_and_never_carried_over(case):
    store, k1, k2 = case
    at = page("adjudicate")
    at.toggle(key="adj_ties").set_value(True).run()
    assert shown_case(at) == (k1, "motion")
    assert at.radio(key=f"adj_value:{k1}:motion").value is None  # a tie suggests no label
    button(at, "adj_set").click().run()
    assert [e for e in _beside_the_button(at) if "choose a final label" in e]
    at.radio(key=f"adj_value:{k1}:motion").set_value("yes")
    button(at, "adj_set").click().run()
    (refusal,) = [e.value for e in at.error]  # once, beside the button, not at the top of the page
    assert "needs a reason" in refusal and _beside_the_button(at) == [refusal]
    assert final_labels(store, "demo").set_index(["item", "field"]).loc[(k1, "motion"), "source"] == "none"

    at.text_input(key=f"adj_reason:{k1}:motion").input("the person walks to the door")
    button(at, "adj_set").click().run()
    final = final_labels(store, "demo").set_index(["item", "field"]).loc[(k1, "motion")]
    assert (final["label"], final["source"], final["reason"]) == ("yes", "adjudication", "the person walks to the door")
    # The next tie is shown, its reason box empty; the widget keys name the case.
    assert shown_case(at) == (k2, "motion")
    assert _beside_the_button(at) == [plain(f"{k1} · Motion = yes")]
    assert [t.key for t in at.text_input] == [f"adj_reason:{k2}:motion"]
    assert at.text_input(key=f"adj_reason:{k2}:motion").value == ""
    at.radio(key=f"adj_value:{k2}:motion").set_value("no")
    button(at, "adj_set").click().run()  # one click does not record the previous reason
    assert [e for e in _beside_the_button(at) if "needs a reason" in e]
    assert final_labels(store, "demo").set_index(["item", "field"]).loc[(k2, "motion"), "source"] == "none"


def test_quality_view_links_each_disagreement_to_its_adjudication(case):
    _, k1, _ = case
    at = page("quality")
    assert not at.exception
    summary = at.dataframe[0].value.set_index("annotator")
    assert summary["answers"].tolist() == [3, 3, 1]
    assert summary["flags"].tolist() == [0, 0, 1]
    links = {tuple(r) for d in at.dataframe if "link" in d.value.columns for r in d.value[["item", "link"]].values}
    assert (k1, case_link("demo", k1, "motion")) in links and (k1, case_link("demo", k1, "static")) in links
    assert len(links) == 3

    link = case_link("demo", k1, "static")
    query = dict(part.split("=", 1) for part in link.split("?", 1)[1].split("&"))
    from urllib.parse import unquote_plus

    adjudicate = page("adjudicate", {k: unquote_plus(v) for k, v in query.items()})
    assert not adjudicate.exception
    assert shown_case(adjudicate) == (k1, "static")
    assert adjudicate.button_group(key="adj_field").value == "static"
    assert adjudicate.radio(key=f"adj_value:{k1}:static").value == "yes"  # the majority is the default


def test_a_link_to_no_case_says_so(case):
    _, k1, _ = case
    at = page("adjudicate", {"campaign": "demo", "instance": k1, "field": "category"})  # nobody answered it
    assert not at.exception
    assert [w.value for w in at.warning] == [f"{k1} · Category is not a disagreement in campaign 'demo'."]
    assert shown_case(at) == (k1, "motion")  # the first case instead
    at = page("adjudicate", {"campaign": "<b>nope</b>", "instance": "x", "field": "y"})
    assert any("no campaign '<b>nope</b>'" in e.value.replace("\\", "") for e in at.error)


CODES = ("no-re", "wrong-object", "obj-motion", "obj-static")


def _with_codes(texts: list[str]) -> list[str]:
    """The texts that show an answer code: a multi-word code, or "valid" not written as "valid RE"."""
    return [t for t in texts if any(code in t for code in CODES) or re.search(r"\bvalid\b(?! RE)", t)]


def _frame_texts(at: AppTest) -> list[str]:
    return [str(cell) for d in at.dataframe for cell in d.value.astype(str).to_numpy().ravel()]


def test_cases_answers_and_final_labels_use_display_names(case):
    store, k1, k2 = case
    for name, value in (("ann1", "no-re"), ("ann2", "wrong-object")):  # revisions of K2, in their revision queue
        record_answer(store, name, "demo", k2, "correctness", value)
    at = page("adjudicate")
    assert not at.exception
    assert f"{k2} · Correctness" in cases(at)
    table = next(d.value for d in at.dataframe if "tie" in d.value.columns).set_index(["item", "field"])
    assert table.loc[(k2, "Correctness"), "answers"] == "ann1: no RE, ann2: wrong object"
    assert table.loc[(k1, "Motion"), ["answers", "majority"]].tolist() == ["ann1: yes, ann2: no", "—"]
    assert table.loc[(k1, "Static action"), "majority"] == "yes"
    at.selectbox(key="adj_case").set_value((k2, "correctness")).run()
    answers = next(d.value for d in at.dataframe if "first answer" in d.value.columns)
    assert answers.values.tolist() == [
        ["ann1", "—", "no RE", "no RE"],
        ["ann2", "—", "wrong object", "wrong object"],
        ["ann3", "—", "—", "—"],
    ]
    assert list(at.radio(key=f"adj_value:{k2}:correctness").options) == ["valid RE", "no RE", "wrong object"]
    final = next(d.value for d in at.dataframe if "source" in d.value.columns)
    assert "Correctness" in set(final["field"]) and not set(final["field"]) & {"correctness", "obj-motion"}
    texts = _frame_texts(at) + [m.value for m in at.markdown] + list(cases(at))
    assert _with_codes(texts) == []

    quality = page("quality")
    assert not quality.exception
    shown = next(d.value for d in quality.dataframe if "link" in d.value.columns and k2 in set(d.value["item"]))
    assert "ann1: no RE, ann2: wrong object" in set(shown["answers"])
    assert _with_codes(_frame_texts(quality)) == []
