"""Released labels as a label source: a finished campaign whose only annotator is the account `release`.

The paper's label files (`*_RE_categorization.csv`, refcat.datasets.release) hold one set of
labels per RE. Imported as a campaign, they sit in the store beside a team's campaigns, and
`compared_labels` puts a team's final labels and the release's side by side in one long label
table, for `refcat agreement --input`.

Conventions:
- The account `RELEASE_ACCOUNT` ("release") is not a person: its role is `SOURCE_ROLE` ("source",
  beside refcat.annotate.accounts' "admin" and "annotator"), it is disabled and its password hash
  is no argon2 hash, so nobody can log in with it; no page offers it as an annotator. It is made
  on the first import and shared by every release campaign of the store.
- The campaign asks the questions of both question sets, one annotator per instance, no automatic
  answers. Each row gives one round-1 answer per field the release labels (`release_answers`):
  difficulty and correctness from `ref_exp_difficulty` (an incorrect RE has no difficulty),
  information from `ref_exp_information` ("Not Applicable" gives none), each category `yes` for 1
  and `no` for 0 (an empty cell gives none). Both rounds are then closed by the admin who imports,
  so the campaign is finished; the close of round 1 counts the instances left with fields the
  release does not label as incomplete.
- Rows that fall on the same instance: the later row's answers stand (`ReleaseCampaign.replaced`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select

from refcat.annotate.accounts import User
from refcat.annotate.campaigns import close_round, create_campaign
from refcat.annotate.labels import final_labels
from refcat.annotate.state import LABEL_ROUND, Campaign, campaign_row
from refcat.datasets.release import labels_from_release
from refcat.errors import UsageError
from refcat.store.database import Store
from refcat.store.schema import InstanceRow, LabelEventRow, UserRow
from refcat.taxonomy import NO, RELEASE_CATEGORY_ORDER, YES

RELEASE_ACCOUNT = "release"
SOURCE_ROLE = "source"
NO_LOGIN_HASH = "!"  # not an argon2 hash: every password check fails
QUESTION_SETS = ("difficulty", "semantics")


@dataclass(frozen=True)
class ReleaseCampaign:
    campaign: Campaign
    answers: int  # answers recorded
    unlabelled: int  # instance x field pairs the release leaves without a label
    replaced: int  # rows whose instance a later row of the file labels again


def release_answers(release: pd.DataFrame) -> list[dict[str, str]]:
    """{field: value} of each row of a released label table, with the fields the row labels (module doc)."""
    labels = labels_from_release(release)
    rows = []
    for _, row in labels.iterrows():
        given = {f: str(row[f]) for f in ("difficulty", "correctness", "information") if row[f] is not None}
        given |= {c: YES if row[c] == 1 else NO for c in RELEASE_CATEGORY_ORDER if not pd.isna(row[c])}
        rows.append(given)
    return rows


def release_account(store: Store) -> int:
    """The id of the `release` account, made when the store has none; UsageError when a person has that name."""
    with store.session() as session:
        row = session.scalar(select(UserRow).where(UserRow.name == RELEASE_ACCOUNT))
        if row is None:
            row = UserRow(name=RELEASE_ACCOUNT, role=SOURCE_ROLE, password_hash=NO_LOGIN_HASH, disabled=True)
            session.add(row)
            session.flush()
        elif row.role != SOURCE_ROLE:
            raise UsageError(
                f"the account {RELEASE_ACCOUNT!r} is a person's ({row.role})",
                expected=f"a store whose {RELEASE_ACCOUNT!r} account is the released labels' (role {SOURCE_ROLE!r})",
            )
        return row.id


def import_release_campaign(
    store: Store, name: str, keys: Sequence[str], answers: Sequence[dict[str, str]], admin: User | str
) -> ReleaseCampaign:
    """Create the finished campaign `name` over the stored instances `keys`, the i-th answered with
    `answers[i]` by the `release` account; `admin` creates it and closes its rounds."""
    if len(keys) != len(answers):
        raise UsageError(f"{len(keys)} instances and {len(answers)} answer sets", expected="one answer set an instance")
    latest = dict(zip(keys, answers))
    user_pk = release_account(store)
    campaign = create_campaign(
        store,
        name,
        sorted(latest),
        [RELEASE_ACCOUNT],
        per_instance=1,
        question_sets=QUESTION_SETS,
        skip_after_invalid=False,  # the file's labels are taken as they are
        auto_trivial=False,
        created_by=admin,
    )
    with store.session() as session:
        campaign_pk = campaign_row(session, name).id
        pks = dict(
            session.execute(select(InstanceRow.key, InstanceRow.id).where(InstanceRow.key.in_(list(latest)))).all()
        )
        events = [
            LabelEventRow(
                campaign_pk=campaign_pk,
                instance_pk=pks[key],
                user_pk=user_pk,
                round=LABEL_ROUND,
                kind="answer",
                field=field,
                value=value,
            )
            for key, given in latest.items()
            for field, value in given.items()
        ]
        session.add_all(events)
    close_round(store, name, admin)
    close_round(store, name, admin)
    asked = len(latest) * len(campaign.fields)
    return ReleaseCampaign(campaign, len(events), asked - len(events), len(keys) - len(latest))


def compared_labels(store: Store, campaigns: Sequence[str]) -> pd.DataFrame:
    """The final labels of each campaign (refcat.annotate.labels.final_labels: adjudications, automatic
    answers, the majority of the revised answers) as one long label table, item, annotator, field,
    label, with the campaign's name as the annotator; undecided labels are left out. Agreement on it
    compares the campaigns' labels, e.g. a team's consensus with a release campaign's."""
    if len(set(campaigns)) < 2:
        raise UsageError(f"{len(set(campaigns))} campaigns to compare", expected="two campaigns or more")
    tables = []
    for name in dict.fromkeys(campaigns):
        final = final_labels(store, name)
        final = final[final["label"].notna()]
        tables.append(
            pd.DataFrame({"item": final["item"], "annotator": name, "field": final["field"], "label": final["label"]})
        )
    return pd.concat(tables, ignore_index=True)
