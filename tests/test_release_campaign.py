"""Released labels imported as a finished campaign answered by the account `release`, compared with a team's
final labels through `refcat export final-labels` and `refcat agreement --input`."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers.annotate_store import DUO_A, DUO_B, DUO_C, KEYS, SOLO, populate
from helpers.release import write_release_lines

from refcat.annotate.accounts import authenticate, create_user, enable_user, list_accounts, set_password
from refcat.annotate.campaigns import close_round, create_campaign, get_campaign
from refcat.annotate.labels import label_table, questions_for, record_answer
from refcat.annotate.release_campaign import RELEASE_ACCOUNT, SOURCE_ROLE, compared_labels, release_answers
from refcat.cli import main
from refcat.datasets.release import read_release
from refcat.errors import PermissionDenied, UsageError
from refcat.store.database import open_store
from refcat.store.instances import list_instances

# the annotate_store objects: duo 1 (two REs), duo 2, solo 1
ROWS = [
    "duo;1;the dog on the left;Non-trivial;Minimum Information;0;0;1;1;0;0;0",
    "duo;1;a brown dog running;Non-trivial;Redundant Information;1;0;1;0;1;0;",
    "duo;2;the dog on the right;Not a Referring Expression;Not Applicable;;;;;;;",
    "solo;1;a cat;Trivial (Single Object Category);Minimum Information;0.0;0.0;1.0;0.0;0.0;0.0;0.0",
]


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.db"
    store = open_store(path)
    populate(store)
    store.dispose()
    return path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def release_file(tmp_path, rows=ROWS):
    return write_release_lines(tmp_path / "demo_RE_categorization.csv", rows)


def test_release_answers_map_the_released_columns(tmp_path):
    answers = release_answers(read_release(release_file(tmp_path)))
    assert answers[0] == {
        "difficulty": "non-trivial",
        "correctness": "valid",
        "information": "minimal",
        "appearance": "no",
        "obj-static": "no",
        "category": "yes",
        "location": "yes",
        "motion": "no",
        "obj-motion": "no",
        "static": "no",
    }
    assert "static" not in answers[1] and answers[1]["information"] == "redundant"  # an empty cell: no answer
    assert answers[2] == {"correctness": "no-re"}  # not an RE: no difficulty, no information, no categories
    assert answers[3]["difficulty"] == "trivial" and answers[3]["category"] == "yes"


def test_import_as_campaign_makes_a_finished_campaign_of_the_release_account(tmp_path, db, capsys):
    code, out, err = run(
        capsys, "import", "release", release_file(tmp_path), "--dataset", "demo", "--db", db, "--as-campaign", "paper"
    )
    assert code == 0, err
    assert "campaign 'paper' (finished): 4 instances answered by 'release', 30 answers; 10 questions" in out
    store = open_store(db)
    campaign = get_campaign(store, "paper")
    assert campaign.finished and campaign.annotators == (RELEASE_ACCOUNT,) and campaign.per_instance == 1
    assert campaign.created_by == "boss"
    account = next(a for a in list_accounts(store) if a.name == RELEASE_ACCOUNT)
    assert account.role == SOURCE_ROLE and account.disabled
    with pytest.raises(PermissionDenied):
        authenticate(store, RELEASE_ACCOUNT, "")
    with pytest.raises(UsageError, match="is a source account, not a person's"):
        set_password(store, RELEASE_ACCOUNT, "a long enough password")
    with pytest.raises(UsageError, match="is a source account, not a person's"):
        enable_user(store, RELEASE_ACCOUNT)
    table = label_table(store, "paper")
    assert set(table["annotator"]) == {RELEASE_ACCOUNT} and len(table) == 30
    labels = {(r.item, r.field): r.label for r in table.itertuples()}
    assert labels[(DUO_A, "location")] == "yes" and labels[(DUO_B, "information")] == "redundant"
    assert labels[(DUO_C, "correctness")] == "no-re" and (DUO_C, "difficulty") not in labels
    assert labels[(SOLO, "difficulty")] == "trivial"
    assert {i.key for i in list_instances(store)} == set(KEYS)  # every row matched a stored RE


def test_an_existing_campaign_name_is_refused_before_anything_is_written(tmp_path, db, capsys):
    file = release_file(tmp_path, [*ROWS, "duo;2;the second dog;Non-trivial;Minimum Information;0;0;1;0;0;0;0"])
    assert run(capsys, "import", "release", file, "--dataset", "demo", "--db", db, "--as-campaign", "paper")[0] == 0
    before = len(list_instances(open_store(db)))
    code, _, err = run(capsys, "import", "release", file, "--dataset", "demo", "--db", db, "--as-campaign", "paper")
    assert code == 2 and "campaign 'paper' already exists" in err
    assert len(list_instances(open_store(db))) == before == 5


def test_a_person_named_release_is_not_taken_for_the_label_source(tmp_path, db, capsys):
    create_user(open_store(db), RELEASE_ACCOUNT, "a long password here")
    code, _, err = run(
        capsys, "import", "release", release_file(tmp_path), "--dataset", "demo", "--db", db, "--as-campaign", "paper"
    )
    assert code == 2 and "the account 'release' is a person's (annotator)" in err


def answer_team(store, wrong_on=()):
    """A team campaign over KEYS: ann1-3 answer every question as the release does, but ann1 and ann2 say
    'yes' to appearance on `wrong_on` (so the team's majority differs from the release there)."""
    create_campaign(store, "team", KEYS, ["ann1", "ann2", "ann3"], per_instance=3, created_by="boss")
    release = {(r.item, r.field): r.label for r in label_table(store, "paper").itertuples()}
    for key in KEYS:
        for field in questions_for(store, "team", key):
            for user in ("ann1", "ann2", "ann3"):
                value = release.get((key, field), "no" if field == "appearance" else None)
                if field == "appearance" and key in wrong_on and user != "ann3":
                    value = "yes"
                if value is None:  # the release has no label: any answer
                    value = {"difficulty": "non-trivial", "information": "minimal"}.get(field, "no")
                record_answer(store, user, "team", key, field, value)
    close_round(store, "team", "boss")
    close_round(store, "team", "boss")


def test_the_team_consensus_and_the_release_side_by_side(tmp_path, db, capsys):
    run(capsys, "import", "release", release_file(tmp_path), "--dataset", "demo", "--db", db, "--as-campaign", "paper")
    store = open_store(db)
    answer_team(store, wrong_on={DUO_A})
    table = compared_labels(store, ["team", "paper"])
    assert set(table["annotator"]) == {"team", "paper"}
    team = {(r.item, r.field): r.label for r in table[table["annotator"] == "team"].itertuples()}
    assert team[(DUO_A, "appearance")] == "yes" and team[(SOLO, "difficulty")] == "trivial"  # auto answer
    with pytest.raises(UsageError):
        compared_labels(store, ["team", "team"])

    joined = tmp_path / "joined.csv"
    code, out, err = run(capsys, "export", "final-labels", "--db", db, "--campaign", "team,paper", "--output", joined)
    assert code == 0, err
    assert out.startswith(f"{len(table)} labels written to {joined}: team 4 items, paper 4 items; 4 items in all")
    assert pd.read_csv(joined).columns.tolist() == ["item", "annotator", "field", "label"]
    code, out, err = run(capsys, "agreement", "--input", joined, "--json")
    assert code == 0, err
    fields = {obj["field"]: obj for obj in map(json.loads, out.splitlines())}
    assert fields["appearance"]["percent_agreement"]["value"] == pytest.approx(
        2 / 3
    )  # DUO_A differs; DUO_C: no release label
    assert fields["location"]["percent_agreement"]["value"] == 1.0


def test_the_campaign_needs_an_admin_before_anything_is_written(tmp_path, db, capsys):
    file = release_file(tmp_path, [*ROWS, "duo;2;the second dog;Non-trivial;Minimum Information;0;0;1;0;0;0;0"])
    argv = ("import", "release", file, "--dataset", "demo", "--db", db, "--as-campaign", "paper")
    code, _, err = run(capsys, *argv, "--by", "ann1")
    assert code == 2 and "ann1 is not an admin" in err
    assert len(list_instances(open_store(db))) == 4
