"""The campaign picker of the queue pages (refcat.annotate.ui.picker): campaigns in the page's round
are listed first, and without a campaign in the URL the page opens one where it has work for the
user (Annotate: an open blind round with instances left to answer; Revise: an open revision round
with disagreements left to revise); a campaign named in the URL still wins."""

from __future__ import annotations

from datetime import datetime

import pytest
from helpers.annotate_store import DUO_A, DUO_B, populate
from streamlit.testing.v1 import AppTest

from refcat.annotate.campaigns import close_round, create_campaign, list_campaigns
from refcat.annotate.labels import queue, record_answer
from refcat.annotate.state import LABEL_ROUND, REVISION_ROUND, Campaign, QueueItem
from refcat.annotate.ui import picker
from refcat.annotate.ui.navigation import choose_campaign


def campaign(name: str, status: str) -> Campaign:
    return Campaign(
        id=0,
        name=name,
        question_sets=("difficulty",),
        per_instance=1,
        auto_trivial=False,
        pre_annotate=False,
        skip_after_invalid=True,
        annotators=("ann1",),
        n_instances=2,
        created_by=None,
        created_at=datetime(2026, 1, 1),
        status=status,
    )


def items(*complete: bool) -> list[QueueItem]:
    return [QueueItem(f"k{i}", i, done) for i, done in enumerate(complete)]


# By name, as the store lists them: finished, revision with nothing to revise, blind round all
# answered, blind round with work, revision all revised, revision with work.
CAMPAIGNS = [
    campaign("a-finished", "finished"),
    campaign("b-nothing", "revision"),
    campaign("c-answered", "label"),
    campaign("d-todo", "label"),
    campaign("e-revised", "revision"),
    campaign("f-todo", "revision"),
]
QUEUES = {
    "a-finished": items(True),
    "b-nothing": [],
    "c-answered": items(True, True),
    "d-todo": items(True, False),
    "e-revised": items(True),
    "f-todo": items(False),
}


def names(campaigns) -> list[str]:
    return [c.name for c in campaigns]


def test_the_pages_round_is_listed_first_then_the_unfinished_then_the_finished():
    assert names(picker.listed(CAMPAIGNS, LABEL_ROUND)) == [
        "c-answered",
        "d-todo",
        "b-nothing",
        "e-revised",
        "f-todo",
        "a-finished",
    ]
    assert names(picker.listed(CAMPAIGNS, REVISION_ROUND)) == [
        "b-nothing",
        "e-revised",
        "f-todo",
        "c-answered",
        "d-todo",
        "a-finished",
    ]
    by_name = {c.name: c for c in CAMPAIGNS}
    assert picker.label(by_name["d-todo"], LABEL_ROUND) == "d-todo"
    assert picker.label(by_name["f-todo"], LABEL_ROUND) == "f-todo (in revision)"
    assert picker.label(by_name["d-todo"], REVISION_ROUND) == "d-todo (blind round)"
    assert picker.label(by_name["a-finished"], REVISION_ROUND) == "a-finished (finished)"


@pytest.mark.parametrize(
    ("round", "chosen", "read"),
    [
        (LABEL_ROUND, "d-todo", ["c-answered", "d-todo"]),
        (REVISION_ROUND, "f-todo", ["b-nothing", "e-revised", "f-todo"]),
    ],
)
def test_the_default_is_the_first_campaign_with_work_and_queues_are_read_up_to_it(round, chosen, read):
    reads: list[str] = []

    def queue_of(c: Campaign) -> list[QueueItem]:
        reads.append(c.name)
        return QUEUES[c.name]

    assert picker.with_work(picker.listed(CAMPAIGNS, round), round, queue_of).name == chosen
    assert reads == read  # only campaigns in the page's round, stopping at the first with work


def test_without_work_the_default_is_a_campaign_with_a_queue_then_the_first_listed():
    def queue_of(c: Campaign) -> list[QueueItem]:
        return {"f-todo": items(True)}.get(c.name, [])

    assert picker.with_work(picker.listed(CAMPAIGNS, REVISION_ROUND), REVISION_ROUND, queue_of).name == "f-todo"
    assert picker.with_work(picker.listed(CAMPAIGNS, LABEL_ROUND), LABEL_ROUND, lambda c: []).name == "c-answered"
    finished_only = [campaign("x", "finished"), campaign("y", "finished")]
    assert picker.with_work(finished_only, LABEL_ROUND, lambda c: pytest.fail("read a queue")).name == "x"


def test_a_requested_campaign_wins_and_the_default_is_computed_only_without_one():
    listed = picker.listed(CAMPAIGNS, LABEL_ROUND)
    calls: list[int] = []

    def default() -> Campaign:
        calls.append(1)
        return listed[1]

    assert choose_campaign(listed, "b-nothing", default) == (CAMPAIGNS[1], None)
    assert calls == []
    assert choose_campaign(listed, None, default) == (listed[1], None)
    chosen, refusal = choose_campaign(listed, "secret", default)
    assert chosen == listed[1] and refusal == "Refused: you are not an annotator of campaign 'secret'."
    assert calls == [1, 1]


def three_states(store) -> None:
    """The reviewer's campaigns, for ann1: aa-old in revision with nothing to revise (ann1 labels alone),
    bb-new in its blind round (nothing answered), demo in revision with a disagreement on DUO_A's
    correctness (ann1 valid, ann2 no RE)."""
    populate(store)
    create_campaign(store, "aa-old", [DUO_A], ["ann1"], per_instance=1, question_sets=("difficulty",))
    create_campaign(store, "bb-new", [DUO_A, DUO_B], ["ann1"], per_instance=1, question_sets=("difficulty",))
    create_campaign(store, "demo", [DUO_A], ["ann1", "ann2"], per_instance=2, question_sets=("difficulty",))
    record_answer(store, "ann1", "aa-old", DUO_A, "correctness", "valid")
    for user, value in (("ann1", "valid"), ("ann2", "no-re")):
        record_answer(store, user, "demo", DUO_A, "difficulty", "non-trivial")
        record_answer(store, user, "demo", DUO_A, "correctness", value)
    close_round(store, "aa-old", "boss")
    close_round(store, "demo", "boss")


def test_the_default_on_stored_campaigns_in_the_three_states(store):
    three_states(store)
    mine = list_campaigns(store)
    assert [(c.name, c.status) for c in mine] == [("aa-old", "revision"), ("bb-new", "label"), ("demo", "revision")]
    assert queue(store, "ann1", "aa-old") == []
    assert [item.complete for item in queue(store, "ann1", "demo")] == [False]
    for round, chosen in ((LABEL_ROUND, "bb-new"), (REVISION_ROUND, "demo")):
        listed = picker.listed(mine, round)
        assert picker.with_work(listed, round, lambda c: queue(store, "ann1", c)).name == chosen


def _queue_page(module: str) -> None:
    import importlib
    import os

    from refcat.annotate.accounts import get_user
    from refcat.store.database import open_store

    db = open_store(os.environ["REFCAT_DB"])
    importlib.import_module(module).render(db, get_user(db, "ann1"))


@pytest.mark.parametrize(
    ("module", "chosen", "options", "closed"),
    [
        (
            "refcat.annotate.ui.annotate",
            "bb-new",
            ["bb-new", "aa-old (in revision)", "demo (in revision)"],
            "The blind round of campaign 'aa-old' is closed.",
        ),
        (
            "refcat.annotate.ui.revise",
            "demo",
            ["aa-old", "demo", "bb-new (blind round)"],
            "Campaign 'bb-new' is still in its blind round",
        ),
    ],
)
def test_each_queue_page_opens_a_campaign_where_it_has_work(store, monkeypatch, module, chosen, options, closed):
    if not store.is_sqlite:
        pytest.skip("the page test runs on the SQLite store")
    three_states(store)
    monkeypatch.setenv("REFCAT_DB", store.url)
    at = AppTest.from_function(_queue_page, args=(module,), default_timeout=60).run()
    assert not at.exception
    pick = at.selectbox(key="campaign_pick")
    assert pick.options == options
    assert pick.value == chosen and at.query_params["campaign"] == chosen
    assert at.query_params["instance"] == DUO_A
    assert not [m.value for m in at.info if "closed" in m.value or "blind round" in m.value]

    # The URL's campaign wins, even where the page has nothing to do.
    named = "aa-old" if chosen == "bb-new" else "bb-new"
    at = AppTest.from_function(_queue_page, args=(module,), default_timeout=60)
    at.query_params["campaign"] = named
    at.run()
    assert at.selectbox(key="campaign_pick").value == named
    assert any(closed in m.value for m in at.info), [m.value for m in at.info]
