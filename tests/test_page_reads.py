"""The annotate page's reads after Next (issue 14): the combined read (`instance_page`) and the flags'
own query give what the separate reads give, on hand-worked cases, and a page run reads the campaign
state twice (the queue, the instance), not seven times, while showing every answer given."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.annotate_store import DUO_A, DUO_B, SOLO, populate
from helpers.demo import build_demo, use_demo_copy
from streamlit.testing.v1 import AppTest

from refcat.annotate import labels, state
from refcat.annotate.campaigns import close_round, create_campaign, get_campaign
from refcat.annotate.labels import (
    InstanceFlags,
    InstancePage,
    answers,
    automatic_answers,
    flag,
    instance_flags,
    instance_page,
    instance_text,
    questions_for,
    record_answer,
    unflag,
)
from refcat.annotate.state import COMMENT, UNSURE
from refcat.annotate.ui.widgets import FIELD_TITLES, VALUE_LABELS
from refcat.errors import StoreError
from refcat.store.database import open_store
from refcat.taxonomy import CATEGORY_NAMES

APP = str(Path(__file__).resolve().parents[1] / "app.py")
EVERY = ("difficulty", "correctness", *CATEGORY_NAMES, "information")


@pytest.fixture
def camp(store):
    populate(store)
    create_campaign(store, "c", [DUO_A, DUO_B, SOLO], ["ann1", "ann2", "ann3"])
    return store


def test_instance_page_is_the_separate_reads(camp):
    # SOLO is its video's only object: trivial is answered automatically, so difficulty is not asked.
    for key, asked, auto in ((DUO_A, list(EVERY), {}), (SOLO, list(EVERY[1:]), {"difficulty": "trivial"})):
        page = instance_page(camp, "ann1", "c", key)
        assert page == InstancePage(instance_text(camp, key), asked, auto, asked, {})
        assert questions_for(camp, "c", key) == asked == questions_for(camp, "c", key, "ann1")
        assert automatic_answers(camp, "c", key) == auto
    with pytest.raises(StoreError):
        instance_page(camp, "ann1", "nope", DUO_A)


def test_instance_page_follows_the_skip_after_no_re(camp):
    def mine():
        page = instance_page(camp, "ann1", "c", DUO_A)
        assert page.fields == list(EVERY)  # before anyone's answers
        return page.asked, page.given

    record_answer(camp, "ann1", "c", DUO_A, "appearance", "yes")
    record_answer(camp, "ann1", "c", DUO_A, "correctness", "no-re")
    record_answer(camp, "ann2", "c", DUO_A, "correctness", "valid")  # another's answer changes nothing of ann1's
    # After "no RE" the categories are not asked and the appearance answer is not counted.
    assert mine() == (["difficulty", "correctness"], {"correctness": "no-re"})
    record_answer(camp, "ann1", "c", DUO_A, "correctness", "valid")
    assert mine() == (list(EVERY), {"appearance": "yes", "correctness": "valid"})
    assert mine() == (questions_for(camp, "c", DUO_A, "ann1"), answers(camp, "ann1", "c", DUO_A))


def test_instance_flags_reads_only_the_users_standing_flags(camp):
    assert instance_flags(camp, "ann1", "c", DUO_A) == InstanceFlags(False, ())
    flag(camp, "ann1", "c", DUO_A, UNSURE)
    flag(camp, "ann1", "c", DUO_A, COMMENT, "  box is off  ")
    flag(camp, "ann2", "c", DUO_A, COMMENT, "not mine")
    flag(camp, "ann1", "c", DUO_B, UNSURE)
    record_answer(camp, "ann1", "c", DUO_A, "correctness", "valid")
    assert instance_flags(camp, "ann1", "c", DUO_A) == InstanceFlags(True, ("box is off",))
    unflag(camp, "ann1", "c", DUO_A)
    labels.undo_last(camp, "ann1", "c")  # an answer's undo retracts no flag
    assert instance_flags(camp, "ann1", "c", DUO_A) == InstanceFlags(False, ("box is off",))
    assert instance_flags(camp, "ann1", "c", DUO_B) == InstanceFlags(True, ())
    flag(camp, "ann1", "c", DUO_A, UNSURE)  # marked again after the unmark
    assert instance_flags(camp, "ann1", "c", DUO_A).unsure


def test_a_campaign_object_read_before_a_round_close_sees_the_close(camp):
    kept = get_campaign(camp, "c")  # as a page keeps it across runs
    for user, key in (("ann1", DUO_A), ("ann2", DUO_A)):
        record_answer(camp, user, "c", key, "correctness", "valid" if user == "ann1" else "no-re")
    close_round(camp, "c", "boss")
    # the revision queue (only the disagreement), not round 1's three instances, and the status read afresh
    assert [item.instance_key for item in labels.queue(camp, "ann1", kept)] == [DUO_A]
    assert instance_page(camp, "ann1", kept, DUO_A).given == {"correctness": "valid"}
    with camp.session() as session:
        assert state.load_state(session, kept, instance_pk=None).campaign.status == "revision"


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("reads"))


def test_a_page_run_after_next_reads_the_state_twice(demo_files, tmp_path, monkeypatch):
    store = open_store(use_demo_copy(demo_files, tmp_path, monkeypatch))
    reads = []

    def counted(*args, **kwargs):
        reads.append(kwargs.get("instance_pk"))
        return state.load_state(*args, **kwargs)

    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_name").input("ann1")
    at.text_input(key="login_password").input("ann1")
    at.button[0].click()
    at.run()
    first = at.query_params["instance"]
    record_answer(store, "ann1", "demo", first, "correctness", "no-re")  # as from another tab of ann1's
    monkeypatch.setattr(labels, "load_state", counted)
    next(b for b in at.button if b.key == "nav:next").click()
    at.run()
    second = at.query_params["instance"]
    assert second != first and not at.exception
    # the queue (all instances), then the instance's page: its RE, ann1's questions and answers there
    assert len(reads) == 2 and reads[0] is None and reads[1] is not None
    reads.clear()
    next(b for b in at.button if b.key == "nav:prev").click()
    at.run()
    assert at.query_params["instance"] == first and len(reads) == 2
    # the answer given elsewhere is shown: correctness answered, and the categories skipped after it
    titles = [m.value for m in at.markdown if m.value.startswith("**")]
    assert any(t.startswith(f"**{FIELD_TITLES['correctness']}** :green-badge[{VALUE_LABELS['no-re']}]") for t in titles)
    assert not any(t.startswith(f"**{FIELD_TITLES[c]}**") for c in CATEGORY_NAMES for t in titles)
    store.dispose()
