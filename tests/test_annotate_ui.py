"""The annotation app: page logic as plain functions, and the pages through streamlit's AppTest.

The fixture is a small demo dataset (refcat.demo.generator) imported into a SQLite store with
the demo accounts and campaign ("demo": ann1, ann2, ann3 label every instance; admin).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers.app_test import APP, TIMEOUT, logged_in
from helpers.demo import build_demo, use_demo_copy
from streamlit.testing.v1 import AppTest

from refcat.annotate.campaigns import close_round, get_campaign
from refcat.annotate.labels import (
    answers,
    disagreements,
    events_table,
    final_labels,
    queue,
    record_answer,
)
from refcat.annotate.quality import disagreement_rows
from refcat.annotate.state import QueueItem
from refcat.annotate.ui import navigation, suggestions
from refcat.annotate.ui.shortcuts import ANSWER_KEYS, NEXT, PREVIOUS, UNDO
from refcat.annotate.ui.video_view import BOX_COLOUR, ViewCache, data_roots, scaled_box
from refcat.datasets.readers import open_reader
from refcat.store.database import open_store
from refcat.store.instances import list_objects
from refcat.taxonomy import FIELD_VALUES


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("ui"))


@pytest.fixture
def demo(demo_files, tmp_path, monkeypatch):
    """A fresh copy of the module's demo store (the dataset folder is shared, read-only)."""
    data = demo_files[1]
    store = open_store(use_demo_copy(demo_files, tmp_path, monkeypatch))
    yield store, data
    store.dispose()


def button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def texts(elements) -> list[str]:
    return [e.value for e in elements]


# ------------------------------------------------------------------ plain functions


def test_every_answer_has_its_own_key_and_no_reserved_key():
    expected = sum(len(values) for values in FIELD_VALUES.values())
    keys = list(ANSWER_KEYS.values()) + [PREVIOUS, NEXT, UNDO]
    assert len(ANSWER_KEYS) == expected == 21
    assert len(set(keys)) == len(keys)
    assert not {k for k in keys if k.split("+")[-1] in ("C", "R")}
    assert ANSWER_KEYS[("difficulty", "trivial")] == "1"
    assert ANSWER_KEYS[("correctness", "wrong-object")] == "5"
    assert ANSWER_KEYS[("information", "minimal")] == "7"
    assert ANSWER_KEYS[("category", "no")] == "Shift+N"


def test_the_keys_line_names_the_player_keys():
    from refcat.annotate.ui.annotate import KEY_HELP
    from refcat.annotate.ui.help_overlay import HELP_KEY
    from refcat.annotate.ui.video_view import PLAYER_KEYS

    assert "Space play / pause" in KEY_HELP and f"{HELP_KEY} every key" in KEY_HELP
    assert [k for k in PLAYER_KEYS if k != "Space" and f"`{k}`" not in KEY_HELP] == []


def test_locate_resume_request_and_refusal():
    items = [QueueItem(k, i, i == 0) for i, k in enumerate(["a", "b", "c"])]
    assert navigation.locate(items, None, 1) == (1, None)
    assert navigation.locate(items, None, 3) == (2, None)  # all complete: the last item
    assert navigation.locate(items, "c", 1) == (2, None)
    index, refusal = navigation.locate(items, "demo/nope/1/annot1", 1)
    assert index == 1 and "not in your queue" in refusal
    assert [navigation.neighbour(3, i, s) for i, s in ((0, -1), (0, 1), (2, 1))] == [0, 1, 2]


def test_data_roots_and_scaled_box():
    assert data_roots("/x") == {None: Path("/x")}
    assert data_roots("demo=/d:davis=/v") == {"demo": Path("/d"), "davis": Path("/v")}
    assert data_roots("") == {}
    # A 854-wide frame shown 640 wide: pixel 853 (last) stays the last pixel 639.
    assert scaled_box((0, 0, 853, 479), 640 / 854, 360 / 480) == (0, 0, 639, 359)
    assert scaled_box((10, 20, 19, 29), 0.5, 0.5) == (5, 10, 9, 14)
    assert scaled_box((7, 7, 7, 7), 0.1, 0.1) == (0, 0, 0, 0)  # a one-pixel object stays one pixel


def test_view_draws_the_referent_box_on_each_frame_where_present(demo):
    store, data = demo
    reader = open_reader("demo", data)
    video = reader.videos()[0]
    obj = list_objects(store, "demo", video.video_id)[0]
    key = f"demo/{video.video_id}/{obj.object_id}/annot1"
    views = ViewCache(store, data_roots(str(data)), max_width=640)
    view = views.view(key)
    assert view.n_frames == video.n_frames == len(view.jpegs)
    assert view.boxed_frames == tuple(sorted(obj.boxes))
    frame_index = view.boxed_frames[0]
    x1, y1, x2, y2 = obj.boxes[frame_index]  # 320 px wide: not downscaled
    from io import BytesIO

    from PIL import Image

    shown = np.asarray(Image.open(BytesIO(view.jpegs[frame_index])).convert("RGB")).astype(int)
    original = reader.frame(video.video_id, frame_index).astype(int)
    edge = shown[y1 + 1, x1 : x2 + 1]  # second row of the 3-px outline, JPEG-compressed
    assert np.abs(edge.mean(axis=0) - BOX_COLOUR).max() < 40
    away = np.ones(shown.shape[:2], bool)  # pixels more than 4 px from the box are untouched
    away[max(0, y1 - 4) : y2 + 5, max(0, x1 - 4) : x2 + 5] = False
    assert np.abs(shown[away] - original[away]).mean() < 4
    assert views.view(key) is view  # cached
    assert view.player["key"] == key and view.html.count("data:image/jpeg;base64,") == view.n_frames


def test_prefetch_builds_the_view_in_the_background(demo):
    store, data = demo
    keys = [item.instance_key for item in queue(store, "ann1", "demo")]
    views = ViewCache(store, data_roots(str(data)))
    job = views.prefetch(keys[1])
    assert job is not None and not views.cached(keys[0])
    assert job.result().key == keys[1] and views.cached(keys[1])
    assert views.prefetch(keys[1]) is None  # already cached: nothing to do
    assert views.view(keys[1]) is job.result()


def test_disagreement_rows_hide_agreement_unanswered_and_adjudicated():
    table = pd.DataFrame(
        {
            "item": ["a", "a", "b", "b"],
            "field": ["difficulty", "motion", "motion", "static"],
            "answers": [
                {"x": "trivial", "y": "non-trivial"},
                {"x": "yes", "y": "yes"},
                {"x": "no", "y": "yes"},
                {"x": "no"},
            ],
            "n_answers": [2, 2, 2, 1],
            "majority": [None, "yes", None, None],
            "unanimous": [False, True, False, False],
            "adjudication": [None, None, "no", None],
        }
    )
    open_rows = disagreement_rows(table, include_adjudicated=False)
    assert list(open_rows["item"]) == ["a"] and open_rows["answers"][0] == "x: trivial, y: non-trivial"
    assert list(disagreement_rows(table, include_adjudicated=True)["item"]) == ["a", "b"]


# ------------------------------------------------------------------ pages (AppTest)


def test_login_is_required_and_wrong_password_refused(demo):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert texts(at.title) == ["refcat: referring expression annotation"]
    assert not [h for h in at.header if h.value == "Annotate"]
    at.text_input(key="login_name").input("ann1")
    at.text_input(key="login_password").input("wrong")
    at.button[0].click()
    at.run()
    assert any("wrong user name or password" in e for e in texts(at.error))
    assert "s" not in at.query_params


def test_answers_are_saved_at_once_and_a_new_login_resumes(demo):
    store, _ = demo
    first, second = [item.instance_key for item in queue(store, "ann1", "demo")][:2]
    at = logged_in("ann1")
    assert not at.exception
    assert at.query_params["instance"] == [first] or at.query_params["instance"] == first
    fields = [b.key.split(":")[1] for b in at.button if b.key and b.key.startswith("answer:")]
    fields = list(dict.fromkeys(fields))
    assert fields and set(fields) <= set(FIELD_VALUES)
    button(at, f"answer:{fields[0]}:{FIELD_VALUES[fields[0]][-1]}").click()
    at.run()
    assert answers(store, "ann1", "demo", first) == {fields[0]: FIELD_VALUES[fields[0]][-1]}
    assert button(at, f"answer:{fields[0]}:{FIELD_VALUES[fields[0]][-1]}").proto.type == "primary"
    for field in fields[1:]:
        button(at, f"answer:{field}:{FIELD_VALUES[field][0]}").click()
        at.run()
    assert answers(store, "ann1", "demo", first) == {
        fields[0]: FIELD_VALUES[fields[0]][-1],
        **{f: FIELD_VALUES[f][0] for f in fields[1:]},
    }
    # A new session (closed tab, new login) resumes at the first incomplete instance.
    again = logged_in("ann1")
    assert again.caption[0].value.endswith(second)


def test_next_previous_and_undo(demo):
    store, _ = demo
    first, second = [item.instance_key for item in queue(store, "ann2", "demo")][:2]
    at = logged_in("ann2")
    button(at, "nav:next").click()
    at.run()
    assert at.caption[0].value.endswith(second)
    button(at, "answer:appearance:yes").click()
    at.run()
    assert answers(store, "ann2", "demo", second) == {"appearance": "yes"}
    button(at, "nav:prev").click()
    at.run()
    assert at.caption[0].value.endswith(first)
    button(at, "nav:undo").click()  # undoes the answer on `second` and shows it
    at.run()
    assert answers(store, "ann2", "demo", second) == {}
    assert at.caption[0].value.endswith(second)
    assert f"Undid Appearance: yes on {second}." in texts(at.info)  # the question and answer by display name


def test_unknown_instance_in_the_url_is_refused(demo):
    store, _ = demo
    at = logged_in("ann1", {"instance": "demo/no-such-video/1/annot1"})
    assert any("not in your queue" in e for e in texts(at.error))
    resume = queue(store, "ann1", "demo")[0].instance_key
    assert at.caption[0].value.endswith(resume)
    assert events_table(store, "demo").query("kind == 'answer'").empty


def test_campaign_of_someone_else_refused(demo):
    at = logged_in("ann1", {"campaign": "secret"})
    assert any("not an annotator of campaign 'secret'" in e for e in texts(at.error))


def test_answer_after_the_round_closed_is_refused_and_not_written(demo):
    store, _ = demo
    at = logged_in("ann3")
    key = at.caption[0].value.split(" · ")[-1]
    close_round(store, "demo", "admin")  # the admin closes the round while ann3's page is open
    button(at, "answer:motion:no").click()
    at.run()
    assert any("Refused" in e and "closed" in e for e in texts(at.error))
    assert answers(store, "ann3", "demo", key, round=1) == {}
    assert events_table(store, "demo").query("kind == 'answer'").empty


def test_labelling_is_blind(demo):
    store, _ = demo
    key = queue(store, "ann1", "demo")[0].instance_key
    record_answer(store, "ann2", "demo", key, "motion", "yes")
    at = logged_in("ann1")
    page_text = " ".join(texts(at.markdown) + texts(at.caption))
    assert "ann2" not in page_text and "Answers:" not in page_text


def page(name: str, user: str) -> AppTest:
    def script(page_name, user_name):
        import importlib
        import os

        from refcat.annotate.accounts import get_user
        from refcat.store.database import open_store

        db = open_store(os.environ["REFCAT_DB"])
        importlib.import_module(f"refcat.annotate.ui.{page_name}").render(db, get_user(db, user_name))

    return AppTest.from_function(script, args=(name, user), default_timeout=TIMEOUT).run()


@pytest.mark.parametrize("name", ["admin", "adjudicate", "export"])
def test_admin_pages_refuse_annotators(demo, name):
    at = page(name, "ann1")
    assert texts(at.error) == ["Refused: this page is for admins only."]
    assert not at.button and not at.text_input


def test_admin_adds_an_annotator_and_creates_a_campaign(demo):
    store, _ = demo
    at = page("admin", "admin")
    assert not at.exception
    at.text_input(key="new_user_name").input("ann4")
    at.text_input(key="new_user_password").input("pw4-long-enough")
    next(b for b in at.button if b.label == "Add account").click()
    at.run()
    from refcat.annotate.accounts import authenticate, list_users

    assert ("ann4", "annotator") in [(u.name, u.role) for u in list_users(store)]
    assert authenticate(store, "ann4", "pw4-long-enough")
    at.number_input(key="camp_min_objects").set_value(2)
    at.text_input(key="camp_name").input("two-plus")
    at.multiselect(key="camp_annotators").set_value(["ann1", "ann4"])
    at.number_input(key="camp_per_instance").set_value(2)
    at.multiselect(key="camp_sets").set_value(["semantics"])
    box = at.checkbox(key="camp_pre_annotate")
    assert box.value is False and "bias blind answers" in box.help  # off by default, says why
    box.check()
    skip = at.checkbox(key="camp_skip_after_invalid")
    assert skip.value is True  # on by default, as in `refcat campaign create`
    skip.uncheck()
    at.run()
    button(at, "camp_create").click()
    at.run()
    assert not at.exception
    campaign = get_campaign(store, "two-plus")
    assert campaign.annotators == ("ann1", "ann4") and campaign.per_instance == 2 and campaign.pre_annotate
    assert campaign.question_sets == ("semantics",) and not campaign.skip_after_invalid
    listed = next(d.value for d in at.dataframe if "skips after no RE" in d.value.columns).set_index("campaign")
    assert listed.loc["two-plus", ["status", "skips after no RE"]].tolist() == ["blind round open", False]
    assert listed.loc["demo", ["status", "skips after no RE"]].tolist() == ["blind round open", True]
    from refcat.annotate.campaigns import select_instances

    assert campaign.n_instances == len(select_instances(store, dataset="demo", min_objects=2))


def test_admin_closes_the_round_then_revision_adjudication_and_agreement(demo):
    store, _ = demo
    key = queue(store, "ann1", "demo")[0].instance_key
    for user, motion, static in (("ann1", "yes", "no"), ("ann2", "no", "yes"), ("ann3", "no", "no")):
        record_answer(store, user, "demo", key, "motion", motion)
        record_answer(store, user, "demo", key, "static", static)
    at = page("admin", "admin")
    n = get_campaign(store, "demo").n_instances
    shown = next(d.value for d in at.dataframe if "remaining" in d.value.columns)
    assert shown[["annotator", "assigned", "complete"]].values.tolist() == [
        ["ann1", n, 0],
        ["ann2", n, 0],
        ["ann3", n, 0],
        ["total", 3 * n, 0],
    ]
    assert at.progress[0].proto.text == f"campaign: 0 of {3 * n} queue items complete"
    at.checkbox(key="close_ok:demo:label").check()
    at.run()
    button(at, "close:demo").click()
    at.run()
    assert get_campaign(store, "demo").status == "revision"
    assert texts(at.success) == ["Closed the blind round of 'demo': the revision round is open."]
    assert "demo · revision round open" in texts(at.subheader)
    changes = next(d.value for d in at.dataframe if "incomplete" in d.value.columns)
    assert changes[["action", "round", "by", "incomplete"]].values.tolist() == [
        ["open", "blind round", "admin", ""],
        ["close", "blind round", "admin", str(3 * n)],
    ]
    agreement = [d.value for d in at.dataframe]
    assert any("davies_fleiss_kappa" in df.columns for df in agreement if isinstance(df, pd.DataFrame))

    # ann1 disagreed on motion and static: the revise page shows the others' answers and takes a revision.
    revise = page("revise", "ann1")
    assert "Answers: ann2: no, ann3: no, you (first): yes" in texts(revise.caption)
    assert [b.key for b in revise.button if b.key and b.key.startswith("revise:")] == [
        "revise:motion:yes",
        "revise:motion:no",
        "revise:static:yes",
        "revise:static:no",
    ]
    # Before round 2 answers, the first answers are marked (icon, badge), not shown as chosen.
    marked = [b.key for b in revise.button if b.key.startswith("revise:") and b.proto.icon]
    assert marked == ["revise:motion:yes", "revise:static:no"]
    assert not [b for b in revise.button if b.key.startswith("revise:") and b.proto.type == "primary"]
    badges = " ".join(texts(revise.markdown))
    assert "first answer: yes" in badges and "first answer: no" in badges and "to confirm" in badges
    assert not [m for m in texts(revise.markdown) if "Automatic suggestions" in m]  # pre-annotation off
    button(revise, "revise:motion:no").click()
    revise.run()
    assert button(revise, "revise:motion:no").proto.type == "primary"  # the revision is the choice now
    assert not button(revise, "revise:motion:yes").proto.icon  # no longer marked once answered
    static_no = button(revise, "revise:static:no").proto
    assert static_no.icon and static_no.type == "secondary"
    assert answers(store, "ann1", "demo", key) == {"motion": "no", "static": "no"}
    assert answers(store, "ann1", "demo", key, round=1) == {"motion": "yes", "static": "no"}  # first answers kept

    # motion is now unanimous; static (ann2 alone said yes) is left for the admin.
    adjudicate = page("adjudicate", "admin")
    table = adjudicate.dataframe[0].value
    assert table[["item", "field", "answers", "majority"]].values.tolist() == [
        [key, "Static action", "ann1: no, ann2: yes, ann3: no", "no"]
    ]
    assert adjudicate.radio(key=f"adj_value:{key}:static").value == "no"  # the majority is the default
    adjudicate.radio(key=f"adj_value:{key}:static").set_value("yes")
    adjudicate.text_input(key=f"adj_reason:{key}:static").input("the person stands still in every frame")
    button(adjudicate, "adj_set").click()
    adjudicate.run()
    final = final_labels(store, "demo").set_index(["item", "field"])
    assert tuple(final.loc[(key, "static"), ["label", "source", "reason"]]) == (
        "yes",
        "adjudication",
        "the person stands still in every frame",
    )
    assert tuple(final.loc[(key, "motion"), ["label", "source"]]) == ("no", "majority")
    assert disagreements(store, "demo").set_index(["item", "field"]).loc[(key, "static"), "adjudication"] == "yes"


def test_export_page_offers_the_long_table_time_on_item_release_and_left_out(demo):
    at = page("export", "admin")
    assert not at.exception
    at.selectbox(key="export_campaign").set_value("demo")
    at.run()
    labels = [b.label for b in at.get("download_button")]
    assert labels == [
        "Download CSV",
        "Download PARQUET",
        "Download demo_labels_time_on_item.csv",
        "Download demo_labels_time_on_item.parquet",
        "Download demo_RE_categorization.csv",
        "Download demo_RE_categorization_left_out.csv",
    ]


def test_undoing_a_revision_names_its_question_and_answer(demo):
    store, _ = demo
    key = queue(store, "ann1", "demo")[0].instance_key
    for user, value in (("ann1", "wrong-object"), ("ann2", "valid"), ("ann3", "valid")):
        record_answer(store, user, "demo", key, "correctness", value)
    close_round(store, "demo", "admin")
    revise = page("revise", "ann1")
    button(revise, "revise:correctness:valid").click()
    revise.run()
    button(revise, "revnav:undo").click()
    revise.run()
    assert texts(revise.success) == ["Undid your revision Correctness: valid RE."]
    assert answers(store, "ann1", "demo", key) == {"correctness": "wrong-object"}


def test_export_file_bytes_is_the_long_table(demo):
    store, _ = demo
    from refcat.annotate.export import write_labels
    from refcat.annotate.ui.export import file_bytes

    key = queue(store, "ann1", "demo")[0].instance_key
    record_answer(store, "ann1", "demo", key, "motion", "yes")
    data = file_bytes(lambda p: write_labels(store, p, campaign="demo"), "demo_labels.csv")
    from io import BytesIO

    table = pd.read_csv(BytesIO(data))
    answered = table[table["annotator"] == "ann1"]
    assert len(answered) == 1 and answered.iloc[0][["question", "answer"]].tolist() == ["motion", "yes"]


def test_pages_per_role_and_the_a2dre_review_page():
    from refcat.annotate.ui.pages import page_specs

    def paths(role):
        return [spec[2] for specs in page_specs(role).values() for spec in specs]

    assert paths("annotator") == ["annotate", "revise", "videos", "guidelines"]
    admin_pages = ["admin", "accounts", "adjudicate", "quality", "export", "a2dre-review"]
    assert paths("admin") == ["annotate", "revise", "videos", "guidelines", *admin_pages]
    assert page_specs("admin")["Admin"][-1][:2] == ("refcat.annotate.ui.variants", "A2Dre+ review")


def test_an_unknown_or_revoked_session_token_shows_the_login(demo):
    from refcat.annotate.accounts import revoke_sessions

    store, _ = demo
    at = logged_in("ann1")
    assert texts(at.title) != ["refcat: referring expression annotation"]
    revoke_sessions(store, "ann1")
    at.run()
    assert texts(at.title) == ["refcat: referring expression annotation"]
    assert any("unknown session" in w for w in texts(at.warning))
    assert "s" not in at.query_params


# ------------------------------------------------------------------ automatic suggestions (pre-annotation)

SITTING = "demo/two-dogs/2/annot2"  # "a little grey dog sitting down on the left side of the picture"


def test_highlighted_html_marks_each_evidence_span_with_its_categories():
    out = suggestions.highlighted_html("walking a <dog>", {"motion": [(0, 7)], "obj-motion": [(0, 15)]})
    style = "padding:0 0.15em;border-radius:0.2em"
    colours = suggestions.COLOURS
    assert out == (
        f'<mark title="motion, obj-motion" style="background:{colours["motion"]};{style}">walking</mark>'
        f'<mark title="obj-motion" style="background:{colours["obj-motion"]};{style}"> a &lt;dog&gt;</mark>'
    )
    assert suggestions.highlighted_html("a cat", {}) == "a cat"


def test_suggestions_payload(demo):
    store, _ = demo
    text = "a little grey dog sitting down on the left side of the picture"
    found = suggestions.suggestions(store, SITTING, text)
    assert {c for c, yes in found.labels.items() if yes} == {"appearance", "location", "static", "category"}
    assert (found.evidence["appearance"], found.evidence["location"], found.evidence["static"]) == (
        ["little", "grey"],
        ["on the left side"],
        ["sitting"],
    )
    assert found.spans["location"] == [(text.index("on the left"), text.index(" of the picture"))]
    assert found.information == "redundant"
    # Objects 1 and 2 of two-dogs are dogs, object 3 a ball (refcat.demo.generator).
    assert (found.difficulty, found.difficulty_reason) == ("non-trivial", "objects [1] are also of class 'dog'")
    ball = suggestions.suggestions(store, "demo/two-dogs/3/annot1", "ball")
    assert (ball.difficulty, ball.difficulty_reason) == ("trivial", "the only object of class 'ball' in the video")
    assert ball.information == "minimal" and ball.evidence["category"] == ["ball"]


def suggestion_boxes(at: AppTest) -> list[str]:
    return [m for m in texts(at.markdown) if "Automatic suggestions" in m or "<mark" in m]


def test_suggestions_shown_only_in_pre_annotated_campaigns_and_never_recorded(demo, monkeypatch):
    store, _ = demo
    from refcat.annotate.campaigns import create_campaign

    calls = []
    categorize = suggestions.categorize
    monkeypatch.setattr(suggestions, "categorize", lambda *a, **k: calls.append(a) or categorize(*a, **k))
    # Off (the demo campaign, as by default): nothing computed, nothing shown.
    at = logged_in("ann1", {"instance": SITTING})
    assert at.caption[0].value.endswith(SITTING) and not suggestion_boxes(at) and calls == []

    keys = [SITTING, "demo/two-dogs/3/annot1"]
    create_campaign(store, "helped", keys, ["ann1", "ann2"], per_instance=2, pre_annotate=True, created_by="admin")
    at = logged_in("ann1", {"campaign": "helped", "instance": SITTING})
    assert not at.exception and at.caption[0].value == f"helped · {SITTING}"
    shown = " ".join(suggestion_boxes(at))
    assert "automatic · not your answer" in shown
    assert '<mark title="location"' in shown and ">on the left side</mark>" in shown
    assert ">little</mark>" in shown and ">sitting</mark>" in shown
    assert "Difficulty: non-trivial (objects [1] are also of class &#x27;dog&#x27;)" in shown
    assert calls == [("a little grey dog sitting down on the left side of the picture",)]
    assert events_table(store, "helped").empty  # shown, never recorded

    # The revision round shows them too (pre-annotation on), beside the first-answer marks.
    record_answer(store, "ann1", "helped", SITTING, "location", "yes")
    record_answer(store, "ann2", "helped", SITTING, "location", "no")
    close_round(store, "helped", "admin")
    revise = AppTest.from_function(_revise_page, args=("ann1", "helped"), default_timeout=TIMEOUT).run()
    assert not revise.exception
    assert any(">on the left side</mark>" in m for m in suggestion_boxes(revise))
    assert [b.key for b in revise.button if b.key.startswith("revise:") and b.proto.icon] == ["revise:location:yes"]


def _revise_page(user_name, campaign):
    import os

    import streamlit as st

    from refcat.annotate.accounts import get_user
    from refcat.annotate.ui import revise
    from refcat.store.database import open_store

    st.query_params["campaign"] = campaign
    db = open_store(os.environ["REFCAT_DB"])
    revise.render(db, get_user(db, user_name))
