"""Auto-advance (refcat.annotate.settings, refcat.annotate.ui.navigation): the answer that completes
an instance opens the next one, after it is stored; a press made before the page showed the next
instance never lands there.

The keys go the way the browser sends them: `Tab` is a browser page's key listener as the script
of refcat.annotate.ui.shortcuts runs it (the key table the page mounts, `key_actions` of the
questions asked; the page id and press numbers; every press not yet handled sent again with the
next), and the server side is the page's (`parse_presses`, then `apply_presses` with the store
handlers of the Annotate page). The same loop in Chromium is tested in test_e2e_auto_advance.py.

Hand-counted keys on the annotate store (helpers/annotate_store.py; a campaign asking both question
sets, so 10 questions; SOLO is its video's only object, so its difficulty is automatic):
- a valid RE: 10 answer keys (2, 3, A, Shift+L, M, Shift+O, S, Shift+T, N, 7), and the 10th opens the next;
- a "no RE": 2 (2, 4); a "wrong object" on SOLO: 1 (5);
- without the setting: 10 answers and Next, 11 keys.
"""

from __future__ import annotations

import pytest
from helpers.annotate_store import DUO_A, DUO_B, DUO_C, SOLO, populate
from helpers.app_test import logged_in
from helpers.browser import VALID
from streamlit.testing.v1 import AppTest

from refcat.annotate.accounts import get_user
from refcat.annotate.campaigns import close_round, create_campaign, get_campaign
from refcat.annotate.labels import answers, questions_for, queue, record_answer
from refcat.annotate.settings import auto_advance, set_auto_advance
from refcat.annotate.state import LABEL_ROUND, REVISION_ROUND
from refcat.annotate.ui import navigation
from refcat.annotate.ui.annotate import AUTO_ADVANCE_KEY
from refcat.annotate.ui.shortcuts import ANSWER, FLAG, MOVE_BACK, MOVE_ON, PLAYER, TAKE_BACK, key_actions, parse_presses
from refcat.errors import PermissionDenied
from refcat.taxonomy import CATEGORY_NAMES

VALID_KEYS = ["2", "3", "A", "Shift+L", "M", "Shift+O", "S", "Shift+T", "N", "7"]


@pytest.fixture
def loop(store):
    populate(store)
    create_campaign(store, "c", [DUO_A, DUO_B, DUO_C, SOLO], ["ann1", "ann2"], per_instance=2)
    return store


class Tab:
    """One Annotate page of `user` in campaign "c", in a browser: what it shows, its key listener's
    mount (the view it was drawn for and the keys it knows) and the presses not yet handled."""

    def __init__(self, store, user: str = "ann1", start: str = DUO_A) -> None:
        self.store, self.user = store, user
        items = queue(store, user, "c")
        keys = [item.instance_key for item in items]
        self.place = navigation.Place(get_campaign(store, "c"), items, keys.index(start), None, "annotate", LABEL_ROUND)
        self.view = navigation.View(start, 0)  # what the server says the page shows
        self.said: list[tuple[str, str]] = []
        self.seq = 0
        self.pending: list[dict] = []
        self.presses = 0  # keys pressed
        self.draw()

    def draw(self) -> None:
        """The page drawn for what it shows: the listener is mounted again with that view's data."""
        self.mounted = self.view
        self.keys = key_actions(questions_for(self.store, "c", self.view.key))  # annotate.load_page's fields

    @property
    def shown(self) -> str:
        return self.view.key

    def press(self, *names: str, draw: bool = True) -> None:
        """Press keys on the page as drawn (all before it is drawn again, when `draw` is False: quick
        presses); the listener sends each with those not yet handled, and the page applies them."""
        for name in names:
            self.presses += 1
            action = self.keys[name]  # a key the listener does not route fails here
            if action["action"] in (FLAG, PLAYER):
                continue  # done in the browser: nothing is sent
            self.seq += 1
            mount = {"page": self.place.scope, "instance": self.mounted.key, "view": self.mounted.number}
            self.pending.append({**action, "seq": self.seq, **mount})
        client, pressed = parse_presses({"client": "tab1", "presses": self.pending})
        assert client == "tab1"
        handlers = navigation.store_handlers(
            self.store,
            get_user(self.store, self.user),
            self.place,
            lambda what: what.instance_key,
            advance=auto_advance(self.store, self.user),
        )
        self.view = navigation.apply_presses(self.place.keys, self.view, pressed, handlers, self._say)
        self.pending = []
        if draw:
            self.draw()

    def _say(self, kind: str, text: str) -> None:
        self.said.append((kind, text))


def test_the_setting_is_on_by_default_and_per_account(loop):
    assert auto_advance(loop, "ann1") and auto_advance(loop, "ann2")
    set_auto_advance(loop, "ann1", False)
    assert not auto_advance(loop, "ann1") and auto_advance(loop, "ann2")
    set_auto_advance(loop, "ann1", True)
    assert auto_advance(loop, "ann1")
    with pytest.raises(PermissionDenied, match="unknown user"):
        set_auto_advance(loop, "nobody", False)
    with pytest.raises(PermissionDenied, match="unknown user"):
        auto_advance(loop, "nobody")


def test_a_valid_instance_takes_10_keys_a_no_re_2_and_each_opens_the_next(loop):
    tab = Tab(loop)
    tab.press(*VALID_KEYS[:9])
    assert tab.shown == DUO_A  # one question left
    tab.press(VALID_KEYS[9])
    assert (tab.presses, tab.shown) == (10, DUO_B)
    assert answers(loop, "ann1", "c", DUO_A) == VALID  # stored where it was pressed, before the page moved
    assert tab.view.advanced

    tab.press("2", "4")  # non-trivial, no RE: the categories are not asked
    assert (tab.presses, tab.shown) == (12, DUO_C)
    assert answers(loop, "ann1", "c", DUO_B) == {"difficulty": "non-trivial", "correctness": "no-re"}

    tab.press("1", "5")
    assert (tab.presses, tab.shown) == (14, SOLO)
    tab.press("5")  # difficulty is automatic: one key; the last instance, so the page stays
    assert (tab.presses, tab.shown) == (15, SOLO)
    assert [item.complete for item in queue(loop, "ann1", "c")] == [True] * 4
    assert [kind for kind, _ in tab.said] == []


def test_without_the_setting_an_instance_takes_its_answers_and_next(loop):
    set_auto_advance(loop, "ann1", False)
    tab = Tab(loop)
    tab.press(*VALID_KEYS)
    assert tab.shown == DUO_A and answers(loop, "ann1", "c", DUO_A) == VALID
    tab.press("Right")
    assert (tab.presses, tab.shown) == (11, DUO_B)


def test_presses_made_before_the_page_showed_the_next_instance_never_land_there(loop):
    """The 10th answer and, before the page is drawn again, Next and an answer (a habit, a quick
    hand): Next does not skip DUO_B, the answer is refused, not filed on DUO_B nor on DUO_A."""
    tab = Tab(loop)
    tab.press(*VALID_KEYS[:9])
    tab.press("7", "Right", "Shift+A", draw=False)
    assert tab.shown == DUO_B
    assert answers(loop, "ann1", "c", DUO_A) == VALID  # appearance still "yes"
    assert answers(loop, "ann1", "c", DUO_B) == {}
    kinds = [kind for kind, _ in tab.said]
    assert kinds == ["info", "error"], tab.said
    assert tab.said[0][1] == f"Stayed on {DUO_B}: the page had moved on by itself when Next was pressed."
    assert "an answer pressed before the page showed" in tab.said[1][1]
    tab.draw()  # the page shows DUO_B: from now on the keys answer there
    tab.press("Shift+A")
    assert answers(loop, "ann1", "c", DUO_B) == {"appearance": "no"}
    tab.press("Right")  # pressed on DUO_B as shown: a move like any other
    assert tab.shown == DUO_C


def test_only_the_answer_that_completes_an_instance_moves_the_page(loop):
    tab = Tab(loop)
    tab.press("2", "4")  # no RE: complete, on to DUO_B
    assert tab.shown == DUO_B
    tab.press("Left")
    assert tab.shown == DUO_A
    tab.press("1")  # a changed answer on a complete instance: it stays complete, the page stays
    assert tab.shown == DUO_A
    tab.press("3")  # valid again: the categories are asked, incomplete
    assert tab.shown == DUO_A and not queue(loop, "ann1", "c")[0].complete
    tab.press("A", "Shift+L", "M", "Shift+O", "S", "Shift+T", "N")
    assert tab.shown == DUO_A
    tab.press("7")  # the last question asked: complete again, on to the next
    assert tab.shown == DUO_B
    assert answers(loop, "ann1", "c", DUO_A) == {**VALID, "difficulty": "trivial"}


def test_undo_after_the_page_moved_on_shows_what_it_took_back(loop):
    tab = Tab(loop)
    tab.press("2", "4")
    assert tab.shown == DUO_B
    tab.press("U")
    assert tab.shown == DUO_A and answers(loop, "ann1", "c", DUO_A) == {"difficulty": "non-trivial"}
    tab.press("5")  # wrong object: complete again, on to DUO_B
    assert tab.shown == DUO_B


def test_complete_is_the_queue_s_complete_in_both_rounds(loop):
    """The handlers' `complete` (read for one instance) agrees with the queue's items, in the blind
    round and in the revision round (where only the questions in dispute are asked)."""

    def check(user: str, number: int) -> None:
        items = queue(loop, user, "c")
        place = navigation.Place(get_campaign(loop, "c"), items, 0, None, "x", number)
        account = get_user(loop, user)
        complete = navigation.store_handlers(loop, account, place, lambda what: None, advance=True).complete
        assert complete is not None
        assert {item.instance_key: complete(item.instance_key) for item in items} == {
            item.instance_key: item.complete for item in items
        }

    for name, given in (("ann1", {"difficulty": "trivial", "correctness": "no-re"}), ("ann2", VALID)):
        for field, value in given.items():
            record_answer(loop, name, "c", DUO_A, field, value)
    record_answer(loop, "ann1", "c", DUO_B, "correctness", "valid")
    check("ann1", LABEL_ROUND)
    assert [item.complete for item in queue(loop, "ann1", "c")] == [True, False, False, False]
    close_round(loop, "c", "boss")
    check("ann1", REVISION_ROUND)  # DUO_A: difficulty and correctness in dispute, unanswered
    record_answer(loop, "ann1", "c", DUO_A, "difficulty", "trivial", round=REVISION_ROUND)
    check("ann1", REVISION_ROUND)
    record_answer(loop, "ann1", "c", DUO_A, "correctness", "no-re", round=REVISION_ROUND)
    check("ann1", REVISION_ROUND)
    assert [item.complete for item in queue(loop, "ann1", "c")] == [True]


def test_the_keys_of_a_page_are_answers_moves_and_browser_keys():
    keys = key_actions([*CATEGORY_NAMES, "information", "difficulty", "correctness"])
    actions = {press["action"] for press in keys.values()}
    assert actions == {ANSWER, MOVE_BACK, MOVE_ON, TAKE_BACK, FLAG, PLAYER}


# ------------------------------------------------------------------ the page (AppTest: button callbacks)


def shown(at: AppTest) -> str:
    return at.caption[0].value.split(" · ")[-1]


def test_the_annotate_page_toggles_the_setting_and_moves_on_by_itself(app_demo):
    store = app_demo
    first, second = [item.instance_key for item in queue(store, "ann1", "demo")][:2]
    at = logged_in("ann1")
    assert not at.exception
    assert at.toggle(key=AUTO_ADVANCE_KEY).value is True
    at.toggle(key=AUTO_ADVANCE_KEY).set_value(False).run()
    assert auto_advance(store, "ann1") is False and auto_advance(store, "ann2") is True
    assert at.toggle(key=AUTO_ADVANCE_KEY).value is False
    at.toggle(key=AUTO_ADVANCE_KEY).set_value(True).run()
    assert auto_advance(store, "ann1") is True

    def click(key: str) -> None:
        next(b for b in at.button if b.key == key).click()
        at.run()

    assert shown(at) == first
    click("answer:correctness:no-re")
    if "difficulty" in questions_for(store, "demo", first):  # not where the referent is its video's only object
        assert shown(at) == first  # difficulty is still to answer
        click("answer:difficulty:trivial")
    assert not at.exception and not at.error
    assert shown(at) == second
    assert answers(store, "ann1", "demo", first)["correctness"] == "no-re"
