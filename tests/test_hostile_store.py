"""Values the store refuses before the database sees them, alike on SQLite and PostgreSQL (the `store`
fixture runs each test on both when REFCAT_TEST_PG_URL is set), and names that become paths.

- Text longer than its String(n) column, a NUL character, a non-text value in a String column:
  StoreError from refcat.store.database.check_row, nothing written.
- Campaign names are plain names of at most 128 characters; a download's file name made from a
  campaign name cannot lead out of the folder it is written in.
"""

import re
import tempfile

import pytest
from sqlalchemy import func, select

from refcat.annotate.accounts import create_user
from refcat.annotate.campaigns import create_campaign, list_campaigns
from refcat.annotate.export import download_file_name, write_labels
from refcat.cli import main
from refcat.datasets.records import Instance, ObjectRef, Video
from refcat.errors import StoreError, UsageError
from refcat.store.database import text_limit
from refcat.store.instances import list_instances, upsert_records
from refcat.store.schema import CampaignRow, InstanceRow, VideoRow

VIDEO = Video("davis", "blackswan", "val", 3, 32, 24)
OBJECT = ObjectRef("davis", "blackswan", 1, "bird", {0: (1, 1, 4, 4)})


def stored_counts(store):
    with store.session() as session:
        return session.scalar(select(func.count(VideoRow.id))), session.scalar(select(func.count(InstanceRow.id)))


def test_the_limits_are_the_schemas():
    assert text_limit(InstanceRow.source) == 64
    assert text_limit(CampaignRow.name) == 128
    assert text_limit(VideoRow.video_id) == 128
    with pytest.raises(TypeError):
        text_limit(InstanceRow.text)  # Text: no limit


def test_a_source_at_the_limit_is_stored_one_over_is_refused(store):
    upsert_records(store, [VIDEO], [OBJECT], [Instance("davis", "blackswan", 1, "s" * 64, "a swan")])
    with pytest.raises(StoreError, match=r"instance davis/other/1/s{65}: instances\.source .* is 65 characters"):
        upsert_records(
            store,
            [Video("davis", "other", "val", 3, 32, 24)],
            [ObjectRef("davis", "other", 1)],
            [Instance("davis", "other", 1, "s" * 65, "another swan")],
        )
    assert stored_counts(store) == (1, 1)  # the refused import left nothing, its video included


def test_a_long_video_id_and_category_are_refused(store):
    with pytest.raises(StoreError, match=r"video davis/v{129}: videos\.video_id .* is 129 characters"):
        upsert_records(store, [Video("davis", "v" * 129, "val", 3, 32, 24)])
    with pytest.raises(StoreError, match=r"objects\.category .* is 65 characters .*at most 64"):
        upsert_records(store, [VIDEO], [ObjectRef("davis", "blackswan", 1, "c" * 65)])
    assert stored_counts(store) == (0, 0)


def test_nul_characters_and_non_text_are_refused(store):
    with pytest.raises(StoreError, match=r"instances\.text 'a\\x00b' holds a NUL character"):
        upsert_records(store, [VIDEO], [OBJECT], [Instance("davis", "blackswan", 1, "annot1", "a\x00b")])
    with pytest.raises(StoreError, match=r"objects\.category is 5 .*expected text"):
        upsert_records(store, [VIDEO], [ObjectRef("davis", "blackswan", 1, 5)])  # type: ignore[arg-type]
    assert stored_counts(store) == (0, 0)


def test_core_inserts_check_their_values_with_check_values():
    from refcat.store.database import check_values
    from refcat.store.schema import LabelEventRow

    check_values(LabelEventRow.__table__, {"field": "motion", "value": "yes", "round": 1})
    with pytest.raises(StoreError, match=r"answer: label_events\.value 'y{33}' is 33 characters long"):
        check_values(LabelEventRow.__table__, {"field": "motion", "value": "y" * 33}, "answer")


def test_an_update_is_checked_too(store):
    upsert_records(store, [VIDEO], [OBJECT], [Instance("davis", "blackswan", 1, "annot1", "a swan")])
    with pytest.raises(StoreError, match="holds a NUL character"):
        upsert_records(store, [], [], [Instance("davis", "blackswan", 1, "annot1", "a\x00swan")])
    assert [i.text for i in list_instances(store)] == ["a swan"]


def test_import_instances_command_refuses_a_long_source(store, tmp_path, capsys):
    upsert_records(store, [VIDEO], [OBJECT])
    path = tmp_path / "i.csv"
    source = "s" * 65
    path.write_text(
        "key,dataset,video_id,object_id,source,text\n"
        "davis/blackswan/1/ok,davis,blackswan,1,ok,fine\n"
        f"davis/blackswan/1/{source},davis,blackswan,1,{source},too long a source\n"
    )
    url = store.engine.url.render_as_string(hide_password=False)
    assert main(["import", "instances", str(path), "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"instance davis/blackswan/1/{source}: instances.source" in err
    assert list_instances(store) == []  # the good row went back with the bad one


# ----- campaign names and the file names made from them


@pytest.fixture
def instances(store):
    upsert_records(store, [VIDEO], [OBJECT], [Instance("davis", "blackswan", 1, "annot1", "a swan")])
    create_user(store, "ann1", "ann1-password-x")
    create_user(store, "boss", "boss-password-x", role="admin")
    return ["davis/blackswan/1/annot1"]


@pytest.mark.parametrize(
    "name", ["../../x", "a/b", "..", ".hidden", "with space", "tab\tname", "c" * 129, "naïve", "x\x00y"]
)
def test_campaign_names_are_plain_names(store, instances, name):
    with pytest.raises(UsageError, match=r"campaign name: .*expected a plain name"):
        create_campaign(store, name, instances, ["ann1"], per_instance=1)
    assert list_campaigns(store) == []


def test_plain_campaign_names_up_to_128_characters(store, instances):
    for name in ("pilot-2.v1_A", "-0cOo", "c" * 128):
        create_campaign(store, name, instances, ["ann1"], per_instance=1)
    assert sorted(c.name for c in list_campaigns(store)) == sorted(["pilot-2.v1_A", "-0cOo", "c" * 128])


def test_campaign_create_command_refuses_a_path(store, instances, capsys):
    url = store.engine.url.render_as_string(hide_password=False)
    argv = ["campaign", "create", "../../../tmp/evil", "--dataset", "davis", "--annotators", "ann1", "--db", url]
    code = main([*argv, "--per-instance", "1"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "'../../../tmp/evil' is not a plain name" in err
    assert list_campaigns(store) == []


@pytest.mark.parametrize("name", ["../../x_labels.csv", "a/b_labels.csv", ".x_labels.csv", ""])
def test_download_file_names_cannot_leave_their_folder(name):
    with pytest.raises(UsageError, match="export file name"):
        download_file_name(name)


def test_a_download_for_an_old_campaign_named_with_dots_writes_nothing_anywhere(store, instances, tmp_path):
    """A store made before names were checked may hold such a campaign: its download is refused, and
    neither the export folder nor anything above it gets a file."""
    from refcat.annotate.ui.export import file_bytes

    create_campaign(store, "escape", instances, ["ann1"], per_instance=1)
    with store.session() as session:  # renamed as an older refcat let it be named
        session.scalars(select(CampaignRow)).one().name = "../../escape"
    temp = tmp_path / "server" / "tmp"
    temp.mkdir(parents=True)
    tempfile.tempdir, before = str(temp), tempfile.tempdir
    try:
        with pytest.raises(
            UsageError, match=re.escape("export file name: '../../escape_labels.csv' is not a plain name")
        ):
            file_bytes(lambda path: write_labels(store, path, "../../escape"), "../../escape_labels.csv")
        data = file_bytes(lambda path: write_labels(store, path, "../../escape"), "escape_labels.csv")
    finally:
        tempfile.tempdir = before
    assert data.startswith(b"event_id,campaign,instance,")
    assert list(tmp_path.rglob("*_labels.csv")) == []
    assert list(temp.iterdir()) == []  # the download's temporary folder is gone
