"""The A2Dre+ review page (refcat.annotate.ui.variants) driven by Streamlit's AppTest: accept, edit and
write keep their history in the store; annotators are refused."""

import pytest
from helpers.release import labelled

import refcat.store.variant_schema  # noqa: F401  (the variant tables on the store's metadata)
from refcat.annotate import variants as sv
from refcat.annotate.accounts import create_user
from refcat.categorize import augment as aug
from refcat.store.database import open_store

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest


def page(db_url: str, user_name: str) -> None:
    from refcat.annotate.accounts import get_user
    from refcat.annotate.ui.variants import render
    from refcat.store.database import open_store

    db = open_store(db_url)
    render(db, get_user(db, user_name))


@pytest.fixture
def db(tmp_path, monkeypatch):
    store = open_store(tmp_path / "store.db")
    monkeypatch.setenv("REFCAT_DB", store.url)  # the page's clip player reads the store named here
    monkeypatch.setenv("REFCAT_DATA", str(tmp_path))
    create_user(store, "ada", "pw-ada-1-long", role="admin")
    create_user(store, "bob", "pw-bob-1-long")
    re_ = labelled("the person in gray is walking", appearance=True, location=False, motion=True, static=None)
    sv.save_generated(store, aug.build_variants([re_]))
    yield store
    store.dispose()


def run(db, user):
    at = AppTest.from_function(page, args=(db.url, user), default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    return at


def pick(at, category):
    box = at.selectbox(key="var_pick")
    box.select_index(next(i for i, label in enumerate(box.options) if label.endswith(category))).run()


@pytest.mark.slow
def test_accept_edit_and_write_keep_history(db):
    at = run(db, "ada")
    assert at.header[0].value == "A2Dre+ review"
    assert "3 of 3 variants" in at.caption[0].value
    assert any("Cannot show the clip" in e.value for e in at.error)  # no video in this store: said, not a crash
    pick(at, "appearance")
    at.button(key="var_accept").click().run()
    assert not at.exception
    key = sv.variant_table(db, category="appearance")["key"][0]
    assert sv.history(db, key)["kind"].tolist() == ["generated", "accept"]

    at = run(db, "ada")  # the accepted one has left the pending list
    assert "2 of 3 variants" in at.caption[0].value
    pick(at, "motion")
    motion = sv.variant_table(db, category="motion")["key"][0]
    at.text_input(key=f"var_text:{motion}").set_value("the person in gray outfit").run()
    at.button(key="var_save").click().run()
    assert not at.exception
    hist = sv.history(db, motion)
    assert hist[["kind", "author", "text"]].values.tolist() == [
        ["generated", "builder", "the person in gray"],
        ["edit", "ada", "the person in gray outfit"],
    ]

    at = run(db, "ada")
    pick(at, "location")
    assert any("write one" in w.value for w in at.warning)
    location = sv.variant_table(db, category="location")["key"][0]
    at.text_input(key=f"var_text:{location}").set_value("the person in gray is walking on the left").run()
    at.button(key="var_save").click().run()
    table = sv.variant_table(db).set_index("category")
    assert table["status"].to_dict() == {"appearance": "accepted", "motion": "edited", "location": "written"}
    assert sv.history(db, location)["kind"].tolist() == ["generated", "write"]


def test_annotators_are_refused(db):
    at = run(db, "bob")
    assert any("admins only" in e.value for e in at.error)
    assert not at.button
