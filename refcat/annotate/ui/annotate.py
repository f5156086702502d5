"""The annotate page: one instance at a time from the annotator's queue in the blind round.

Shows the RE large, the clip with the referent's box, and the campaign's questions; each
answer is written the moment its button (or key) is pressed. Nobody's answers but the
annotator's own are read here, so labelling stays blind until the admin closes the round.
In campaigns with pre-annotation on, the automatic suggestions are shown under the clip
(suggestions.py); otherwise they are neither computed nor shown.
The next two instances' clips are prefetched in the background while this one is answered; served
with the clip route, the desk (refcat.annotate.ui.desk) shows the next one without waiting for the server.

The toggle at the end of the navigation bar is the annotator's auto-advance setting
(refcat.annotate.settings, stored with their account): while it is on, the answer that completes an
instance opens the next one (refcat.annotate.ui.navigation).
"""

from __future__ import annotations

import streamlit as st

from refcat.annotate.accounts import User
from refcat.annotate.campaigns import Campaign
from refcat.annotate.labels import InstancePage, Undone, instance_page, queue
from refcat.annotate.settings import auto_advance, set_auto_advance
from refcat.annotate.state import LABEL_ROUND
from refcat.annotate.ui import flags, navigation, widgets
from refcat.annotate.ui.desk import advance_rule
from refcat.annotate.ui.help_overlay import HELP_KEY
from refcat.annotate.ui.shortcuts import CATEGORY_KEYS, COMMENT_KEY, UNSURE_KEY
from refcat.annotate.ui.text import plain
from refcat.store.database import Store

KEY_HELP = (
    "Keys: 1 trivial · 2 non-trivial · 3 valid RE · 4 no RE · 5 wrong object · 6 redundant · 7 minimal · "
    + " · ".join(f"{k} / Shift+{k} {widgets.FIELD_TITLES[f]} yes / no" for f, k in CATEGORY_KEYS.items())
    + f" · ← / → previous / next · U undo · {UNSURE_KEY} unsure · {COMMENT_KEY} comment"
    + " · Space play / pause · `,` / `.` one frame back / forward · `<` / `>` slower / faster"
    + f" · {HELP_KEY} every key"
)


def load_page(db: Store, user: User, place: navigation.Place) -> InstancePage:
    """The page's store reads for the instance at `place`: one (refcat.annotate.labels `instance_page`),
    of the annotator's own and the automatic events only (nobody else's: the round is blind)."""
    return instance_page(db, user, place.campaign, place.key)


AUTO_ADVANCE_KEY = "auto_advance"  # the widget key of the setting's toggle


def _set_auto_advance(db: Store, user: User) -> None:
    widgets.attempt(lambda: set_auto_advance(db, user, bool(st.session_state[AUTO_ADVANCE_KEY])))


def auto_advance_toggle(db: Store, user: User, on: bool) -> None:
    """The annotator's auto-advance setting, `on` as the store has it, turned on or off in place."""
    st.session_state[AUTO_ADVANCE_KEY] = on  # the store decides, also after a refusal
    st.toggle(
        "Next by itself",
        key=AUTO_ADVANCE_KEY,
        on_change=_set_auto_advance,
        args=(db, user),
        help="Open the next instance as soon as every question of this one is answered (your own setting)",
    )


def blind_round_closed(campaign: Campaign) -> str | None:
    """Why the page shows nothing of `campaign`: its blind round is closed (None while it is open)."""
    if campaign.status == "label":
        return None
    return (
        f"The blind round of campaign {campaign.name!r} is closed. Compare and revise your answers on the Revise page."
    )


def render(db: Store, user: User) -> None:
    st.header("Annotate")
    place = navigation.open_queue(
        db,
        user,
        page="annotate",
        round=LABEL_ROUND,
        no_campaign="You are not an annotator of any campaign yet. An admin adds you to one.",
        closed=blind_round_closed,
        empty=lambda campaign: st.info(plain(f"Your queue in campaign {campaign.name!r} is empty.")),
    )
    if place is None:
        return
    page = load_page(db, user, place)
    campaign, key = place.campaign, place.key
    done = st.container()  # shown or not, it takes one place: the answer panel's place stays the same
    if all(item.complete for item in place.items):
        done.success(
            "You have answered every instance of this campaign. You can still change answers until the round closes."
        )

    def undone(what: Undone) -> str:
        field, value = widgets.FIELD_TITLES[what.field], widgets.VALUE_LABELS[what.value]
        widgets.flash("info", f"Undid {field}: {value} on {what.instance_key}.")
        return what.instance_key  # shown next

    advance = auto_advance(db, user)
    handlers = navigation.store_handlers(db, user, place, undone, advance=advance)
    navigation.nav_bar(place, handlers, extra=lambda: auto_advance_toggle(db, user, advance))
    # The panel's reads, once per run of it. Its first run is in this page run, where nothing is written
    # after `open_queue` read the queue and `load_page` the answers (presses are callbacks, handled before
    # a run), so it shows those; its own reruns (after an answer) read them afresh. On each run the panel
    # reads its questions before the current answers (widgets.answer_panel), which come from the same
    # read and are taken once, so an answer is never shown from an earlier run.
    items, reads = [place.items], [page]
    mine: dict[str, dict[str, str]] = {}

    def read_fields() -> list[str]:
        latest = reads.pop() if reads else instance_page(db, user, campaign, key)
        mine["answers"] = latest.given
        return latest.asked

    rule = advance_rule(page.fields, page.given, campaign.skip_after_invalid)
    with navigation.instance_columns(db, place, page.text, rule=rule, advance=advance):
        widgets.answer_panel(
            page.fields,
            lambda: mine.pop("answers"),
            navigation.answer_click(place, handlers),
            status=lambda: navigation.progress_bar(items.pop() if items else queue(db, user, campaign), place.index),
            automatic=page.automatic,
            end=navigation.listener(place, handlers, page.fields),
            read_fields=read_fields,
        )
    st.caption(KEY_HELP)
    flags.flag_panel(db, user, campaign.name, key, LABEL_ROUND, place.shown_at)
    navigation.prefetch_ahead(place)
