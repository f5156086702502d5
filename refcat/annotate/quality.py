"""The figures of the quality view (admin only): per annotator, how much and how fast they answered,
how often they agree with the others, what they flagged; per question, where they disagree.

Conventions:
- Answers given: an annotator's standing (not undone) answers of the blind round, one per question
  answered on an instance; `revisions` counts their standing answers given in the revision round.
- Time on item: refcat.annotate.state.time_on_item in the blind round, per instance answered: from
  the annotator's first view of it (or, for an instance answered without a recorded view, their
  first answer) to their last answer event (undone answers included, since they were pressed),
  with idle gaps (over state.IDLE_SECONDS) and time on other instances left out. Without a view an
  instance answered with one press counts 0 s. The median is over the instances they answered.
- Agreement with the majority of the others, per annotator a and question f, in a round (the blind
  round by default): over the instances a answered, the others' majority is the label given by more
  than half of the instance's other assigned annotators (2 of 2 with 3 per instance; refcat.analysis.
  consensus.strict_majority); instances where the others reach none are left out. `kappa` is Cohen's
  kappa (refcat.analysis.agreement.cohen_kappa) between a's answers and those majorities (NaN when it
  is undefined, e.g. one label throughout), `agreement` the share of equal labels, `n` the instances
  compared.
- Flags: events of any kind other than "answer", "undo", "auto" and "adjudication" (an "unsure"
  flag, a comment), unless an undo takes them back. Their text is the event's reason, else its value.
- Case links: a question on an instance is adjudicated at `adjudicate?campaign=C&instance=K&field=F`
  (relative to the app's pages; `case_link`), which the adjudication page opens.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from urllib.parse import urlencode

import pandas as pd

from refcat.analysis.agreement import cohen_kappa
from refcat.analysis.consensus import TIE, strict_majority
from refcat.annotate.state import (
    LABEL_ROUND,
    REVISION_ROUND,
    Campaign,
    CampaignState,
    Event,
    load_state,
    retracted,
)
from refcat.store.database import Store

__all__ = [
    "ANSWER_KINDS",
    "CASE_PARAMS",
    "annotator_summary",
    "case_link",
    "disagreement_rows",
    "filter_cases",
    "flags_table",
    "kappa_vs_others",
    "others_majority",
    "votes_text",
]

ANSWER_KINDS = frozenset({"answer", "undo", "auto", "adjudication"})
CASE_PARAMS = ("campaign", "instance", "field")  # the query parameters of a case link
ADJUDICATE_PATH = "adjudicate"


def case_link(campaign: str, instance: str, field: str) -> str:
    """The adjudication page's URL of one question on one instance, relative to the app's pages."""
    return f"{ADJUDICATE_PATH}?{urlencode(dict(zip(CASE_PARAMS, (campaign, instance, field), strict=True)))}"


def votes_text(votes: dict[str, str]) -> str:
    """{annotator: value} as one line, by annotator: "ann1: yes, ann2: no"."""
    return ", ".join(f"{name}: {value}" for name, value in sorted(votes.items()))


def disagreement_rows(table: pd.DataFrame, include_adjudicated: bool) -> pd.DataFrame:
    """The cases of `labels.disagreements`: rows where the annotators gave different answers (questions
    left unanswered are not disagreements), without the adjudicated ones unless asked, with the
    answers as text (`votes_text`; the other columns as they are)."""
    rows = table[table["answers"].map(lambda votes: len(set(votes.values())) > 1)]
    if not include_adjudicated:
        rows = rows[rows["adjudication"].isna()]
    return rows.assign(answers=rows["answers"].map(votes_text)).reset_index(drop=True)


def filter_cases(
    rows: pd.DataFrame, *, ties_only: bool = False, flagged: set[str] | None = None, field: str | None = None
) -> pd.DataFrame:
    """`disagreement_rows` narrowed to ties (consensus status "tie"), to the instances in `flagged`
    (those with flags) when it is given, and to one question when `field` is given."""
    keep = pd.Series(True, index=rows.index)
    if ties_only:
        keep &= rows["status"] == TIE
    if flagged is not None:
        keep &= rows["item"].isin(flagged)
    if field is not None:
        keep &= rows["field"] == field
    return rows[keep].reset_index(drop=True)


def _state(store: Store, campaign: Campaign | str) -> CampaignState:
    with store.session() as session:
        return load_state(session, campaign)


def _flags(state: CampaignState) -> list[Event]:
    taken_back = retracted(state.events)
    return [e for e in state.events if e.kind not in ANSWER_KINDS and e.id not in taken_back]


def flags_table(store: Store, campaign: Campaign | str) -> pd.DataFrame:
    """The campaign's flags and comments (see the module's conventions), in order: columns item, annotator, kind,
    text, round, time."""
    rows = [
        {
            "item": e.instance,
            "annotator": e.annotator,
            "kind": e.kind,
            "text": e.reason or e.value,
            "round": e.round,
            "time": e.time,
        }
        for e in _flags(_state(store, campaign))
    ]
    return pd.DataFrame(rows, columns=["item", "annotator", "kind", "text", "round", "time"])


def _seconds_on_items(state: CampaignState) -> dict[str, list[float]]:
    """annotator -> their blind-round time on item (module doc), one per instance answered."""
    out: dict[str, list[float]] = {}
    for item in state.time_on_item():
        if item.round == LABEL_ROUND:
            out.setdefault(item.annotator, []).append(item.seconds)
    return out


def annotator_summary(store: Store, campaign: Campaign | str) -> pd.DataFrame:
    """One row per annotator of the campaign: annotator, assigned (instances), instances (answered in
    the blind round), answers, revisions, median_seconds (time on item, NaN without answers), flags."""
    state = _state(store, campaign)
    first = state.round_answers(LABEL_ROUND)
    revised = state.round_answers(REVISION_ROUND)
    seconds = _seconds_on_items(state)
    flags = Counter(e.annotator for e in _flags(state))
    rows = []
    for name in state.campaign.annotators:
        mine = [given for (who, _key), given in first.items() if who == name and given]
        spans = seconds.get(name, [])
        rows.append(
            {
                "annotator": name,
                "assigned": len(state.assigned.get(name, [])),
                "instances": len(mine),
                "answers": sum(len(given) for given in mine),
                "revisions": sum(len(given) for (who, _key), given in revised.items() if who == name),
                "median_seconds": statistics.median(spans) if spans else math.nan,
                "flags": flags[name],
            }
        )
    columns = ["annotator", "assigned", "instances", "answers", "revisions", "median_seconds", "flags"]
    return pd.DataFrame(rows, columns=columns)


def others_majority(labels: Sequence[str], n_others: int) -> str | None:
    """The label given by more than half of `n_others` annotators among their `labels` (None if none)."""
    top = Counter(labels).most_common(1)
    if top and top[0][1] >= strict_majority(n_others):
        return top[0][0]
    return None


def kappa_vs_others(store: Store, campaign: Campaign | str, round: int = LABEL_ROUND) -> pd.DataFrame:
    """Per annotator x question (in campaign order), agreement with the majority of the others as of
    `round` (see the module's conventions): columns annotator, field, n, agreement, kappa."""
    state = _state(store, campaign)
    given = state.answers(round)
    auto = state.auto_answers()
    pairs: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for key in state.keys_in_order():
        raters = state.annotators_of(key)
        for f in state.questions(key, auto):
            for name in raters:
                mine = given.get((name, key), {}).get(f)
                if mine is None:
                    continue
                others = [given.get((o, key), {}).get(f) for o in raters if o != name]
                majority = others_majority([v for v in others if v is not None], len(others))
                if majority is not None:
                    ours, theirs = pairs.setdefault((name, f), ([], []))
                    ours.append(mine)
                    theirs.append(majority)
    rows = []
    for name in state.campaign.annotators:
        for f in state.campaign.fields:
            ours, theirs = pairs.get((name, f), ([], []))
            rows.append(
                {
                    "annotator": name,
                    "field": f,
                    "n": len(ours),
                    "agreement": sum(a == b for a, b in zip(ours, theirs, strict=True)) / len(ours)
                    if ours
                    else math.nan,
                    "kappa": cohen_kappa(ours, theirs) if ours else math.nan,
                }
            )
    return pd.DataFrame(rows, columns=["annotator", "field", "n", "agreement", "kappa"])
