"""Round control: closing with incomplete work needs an explicit confirmation (library, CLI exit 2
with the counts, admin page), reopening the last closed round keeps every answer, and every round
change is an event (who, when) listed by the library, the CLI and the admin page."""

import pytest
from helpers.annotate_store import DUO_A, DUO_C, SOLO, populate
from streamlit.testing.v1 import AppTest

from refcat.annotate.campaigns import (
    IncompleteRound,
    close_round,
    create_campaign,
    current_round,
    get_campaign,
    incomplete_items,
    reopen_round,
    round_history,
)
from refcat.annotate.labels import answers, questions_for, record_answer
from refcat.cli import main
from refcat.errors import PermissionDenied, UsageError
from refcat.taxonomy import FIELD_VALUES


def _answer_all(store, user, key, correctness="valid"):
    for f in questions_for(store, "c", key):
        record_answer(store, user, "c", key, f, correctness if f == "correctness" else FIELD_VALUES[f][0])


@pytest.fixture
def campaign(store):
    populate(store)
    create_campaign(store, "c", [DUO_A, DUO_C, SOLO], ["ann1", "ann2", "ann3"], created_by="boss")
    return store


def test_close_with_incomplete_work_is_refused_unless_confirmed(campaign):
    store = campaign
    _answer_all(store, "ann1", DUO_A)
    _answer_all(store, "ann1", DUO_C)
    _answer_all(store, "ann2", DUO_A)
    # Each annotator has 3 instances; ann1 did 2, ann2 did 1, ann3 none.
    assert incomplete_items(store, "c") == {"ann1": 1, "ann2": 2, "ann3": 3}
    with pytest.raises(IncompleteRound, match=r"6 incomplete queue items \(ann1 1, ann2 2, ann3 3\)") as refused:
        close_round(store, "c", "boss", require_complete=True)
    assert refused.value.incomplete == {"ann1": 1, "ann2": 2, "ann3": 3}
    assert get_campaign(store, "c").status == "label"  # nothing written
    with pytest.raises(PermissionDenied):
        close_round(store, "c", "ann1", require_complete=True)
    assert close_round(store, "c", "boss").number == 2  # confirmed: closed anyway
    closed = round_history(store, "c")[-1]
    assert (closed.action, closed.round, closed.by, closed.incomplete) == ("close", 1, "boss", 6)


def test_reopen_keeps_every_answer_and_records_events(campaign):
    store = campaign
    for user in ("ann1", "ann2", "ann3"):
        for key, correctness in ((DUO_A, "valid"), (DUO_C, "valid"), (SOLO, "valid")):
            _answer_all(store, user, key, "no-re" if (user, key) == ("ann3", DUO_C) else correctness)
    assert incomplete_items(store, "c") == {}
    close_round(store, "c", "boss", require_complete=True)  # complete: no confirmation needed
    record_answer(store, "ann3", "c", DUO_C, "correctness", "valid", round=2)  # a revision
    first = answers(store, "ann3", "c", DUO_C, round=1)
    revised = answers(store, "ann3", "c", DUO_C)
    assert revised["correctness"] == "valid" and first["correctness"] == "no-re"

    back = reopen_round(store, "c", "boss")  # revision -> blind round open again
    assert (back.number, back.open) == (1, True) and get_campaign(store, "c").status == "label"
    assert answers(store, "ann3", "c", DUO_C, round=1) == first  # first answers kept
    record_answer(store, "ann1", "c", SOLO, "location", "yes")  # the blind round takes answers again
    close_round(store, "c", "boss")
    assert answers(store, "ann3", "c", DUO_C) == revised  # the revision given before counts again

    close_round(store, "c", "boss")  # finishes
    assert get_campaign(store, "c").finished and incomplete_items(store, "c") == {}
    again = reopen_round(store, "c", "boss")  # finished -> revision open again
    assert (again.number, again.open) == (2, True) and current_round(store, "c").open
    assert answers(store, "ann3", "c", DUO_C) == revised

    history = [(e.action, e.round, e.by) for e in round_history(store, "c")]
    assert history == [
        ("open", 1, "boss"),
        ("close", 1, "boss"),
        ("reopen", 1, "boss"),
        ("close", 1, "boss"),
        ("close", 2, "boss"),
        ("reopen", 2, "boss"),
    ]
    times = [e.time for e in round_history(store, "c")]
    assert times == sorted(times)


def test_reopen_needs_a_closed_round_and_an_admin(campaign):
    with pytest.raises(UsageError, match="no closed round"):
        reopen_round(campaign, "c", "boss")
    close_round(campaign, "c", "boss")
    with pytest.raises(PermissionDenied, match="only admins may reopen"):
        reopen_round(campaign, "c", "ann1")


def test_cli_close_round_exit_2_with_counts_then_force_reopen_and_rounds(campaign, capsys):
    store = campaign
    if not store.is_sqlite:
        pytest.skip("the CLI test runs on the SQLite store")
    db = store.url
    _answer_all(store, "ann2", DUO_A)
    assert main(["campaign", "close-round", "c", "--db", db]) == 2
    err = capsys.readouterr().err
    assert "8 incomplete queue items (ann1 3, ann2 2, ann3 3)" in err and "--force" in err
    assert get_campaign(store, "c").status == "label"
    assert main(["campaign", "close-round", "c", "--force", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "closed with 8 incomplete queue items (ann1 3, ann2 2, ann3 3)" in out
    assert "campaign c: the blind round closed, the revision round open" in out
    assert main(["campaign", "reopen", "c", "--db", db]) == 0
    assert "campaign c: the blind round open again; every answer kept" in capsys.readouterr().out
    assert answers(store, "ann2", "c", DUO_A, round=1)  # kept
    assert main(["campaign", "reopen", "c", "--db", db]) == 2  # nothing closed now
    assert "no closed round" in capsys.readouterr().err
    assert main(["campaign", "rounds", "c", "--db", db]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [line[1:4] for line in lines] == [
        ["open", "round 1", "boss"],
        ["close", "round 1", "boss"],
        ["reopen", "round 1", "boss"],
    ]
    assert lines[1][4] == "8 incomplete"


def _admin_page(user):
    def script(user_name):
        import os

        from refcat.annotate.accounts import get_user
        from refcat.annotate.ui import admin
        from refcat.store.database import open_store

        db = open_store(os.environ["REFCAT_DB"])
        admin.render(db, get_user(db, user_name))

    return AppTest.from_function(script, args=(user,), default_timeout=60).run()


def test_admin_page_states_incomplete_work_asks_confirmation_and_reopens(campaign, monkeypatch):
    store = campaign
    if not store.is_sqlite:
        pytest.skip("the page test runs on the SQLite store")
    monkeypatch.setenv("REFCAT_DB", store.url)
    _answer_all(store, "ann1", DUO_A)
    at = _admin_page("boss")
    warnings = [w.value for w in at.warning]
    assert any("8 queue items are incomplete (ann1: 2, ann2: 3, ann3: 3)" in w for w in warnings)
    close = next(b for b in at.button if b.key == "close:c")
    assert close.disabled  # the confirmation comes first
    box = at.checkbox(key="close_ok:c:label")
    assert "although 8 queue items are incomplete" in box.label
    box.check()
    at.run()
    next(b for b in at.button if b.key == "close:c").click()
    at.run()
    assert get_campaign(store, "c").status == "revision"
    assert not at.checkbox(key="close_ok:c:revision").value  # no confirmation carried over
    next(b for b in at.button if b.key == "reopen:c:revision").click()
    at.run()
    assert get_campaign(store, "c").status == "label"
    assert any("Reopened" in s.value for s in at.success)
    assert not at.checkbox(key="close_ok:c:label").value  # the reopened round asks again
    assert answers(store, "ann1", "c", DUO_A, round=1)
    shown = next(d.value for d in at.dataframe if "action" in d.value.columns)
    assert shown[["action", "round", "by", "incomplete"]].values.tolist() == [  # rounds by name; no "None"
        ["open", "blind round", "boss", ""],
        ["close", "blind round", "boss", "8"],
        ["reopen", "blind round", "boss", ""],
    ]


def test_the_close_message_names_the_round_closed_and_what_is_open(campaign):
    from refcat.annotate.ui.admin import closed_text

    store = campaign
    after_blind = close_round(store, "c", "boss")
    assert closed_text("c", after_blind) == "Closed the blind round of 'c': the revision round is open."
    after_revision = close_round(store, "c", "boss")
    assert closed_text("c", after_revision) == (
        "Closed the revision round of 'c': the campaign is finished, no round is open."
    )
