"""Which of an annotator's campaigns a queue page lists first, and opens when the URL names none.

A queue page answers in one round: Annotate in the blind round (LABEL_ROUND), Revise in the
revision round (REVISION_ROUND). Its campaign picker lists the campaigns whose open round is the
page's first, then the other unfinished campaigns, then the finished ones; by name within each
group, as the store lists them (refcat.annotate.campaigns `list_campaigns`). `Campaign.status`
says which group a campaign is in, so listing reads nothing more from the store.

Opened without a campaign in the URL, the page shows the first listed campaign in the page's
round where the user's queue has an incomplete item (Annotate: instances to answer; Revise:
disagreements to revise); else the first such campaign whose queue is not empty (everything
answered, which can still be changed); else the first listed (the page then says why it shows
nothing). Only that choice reads queues: those of the campaigns in the page's round, in list
order, up to the first with an incomplete item; once a campaign is shown the URL names it, so
the page's later runs (every key press) read none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from refcat.annotate.state import ROUND_STATUS, Campaign, QueueItem

STATUS_NOTE = {"label": "blind round", "revision": "in revision", "finished": "finished"}


def listed(campaigns: Sequence[Campaign], round: int) -> list[Campaign]:
    """`campaigns` in the picker's order for a page answering in `round` (module doc); the sort
    is stable, so the order given (by name) holds within each group."""

    def group(campaign: Campaign) -> int:
        if campaign.status == ROUND_STATUS[round]:
            return 0
        return 2 if campaign.finished else 1

    return sorted(campaigns, key=group)


def with_work(
    campaigns: Sequence[Campaign], round: int, queue_of: Callable[[Campaign], Sequence[QueueItem]]
) -> Campaign:
    """The campaign a page answering in `round` opens by default among `campaigns` (non-empty,
    in `listed` order); `queue_of(campaign)` is the user's queue there, read as the module doc says."""
    not_empty: Campaign | None = None
    for campaign in campaigns:
        if campaign.status != ROUND_STATUS[round]:
            continue
        items = queue_of(campaign)
        if any(not item.complete for item in items):
            return campaign
        if items and not_empty is None:
            not_empty = campaign
    return not_empty or campaigns[0]


def label(campaign: Campaign, round: int) -> str:
    """The campaign's name in the picker, with its state when that is not the page's round
    (e.g. "demo (in revision)" on Annotate)."""
    if campaign.status == ROUND_STATUS[round]:
        return campaign.name
    return f"{campaign.name} ({STATUS_NOTE[campaign.status]})"
