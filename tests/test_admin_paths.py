"""An annotator who opens an admin page's path (/admin, /adjudicate, ...) is told that the page is
for admins, under their own menu, instead of Streamlit's "Page not found" (refcat.annotate.ui.pages)."""

from __future__ import annotations

import pytest
from helpers.app_test import logged_in
from helpers.demo import build_demo, use_demo_copy
from streamlit.testing.v1 import AppTest

from refcat.annotate.ui.pages import page_specs

ADMIN_ONLY = ["admin", "accounts", "adjudicate", "quality", "export", "a2dre-review"]


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("admin_paths"))


@pytest.fixture
def demo(demo_files, tmp_path, monkeypatch):
    use_demo_copy(demo_files, tmp_path, monkeypatch)


def opened(at: AppTest, path: str) -> AppTest:
    """`at` run again at URL path `path`, as when the browser opens /<path>. AppTest.switch_page takes
    page files only, so this picks the page that the app's last run registered at that path from
    AppTest's page registry (private: `_registered_pages`, `_page_hash`); a path without a page
    there is what Streamlit answers with "Page not found"."""
    hashes = [h for h, info in at._registered_pages.items() if info.get("url_pathname") == path]
    assert hashes, f"no page at /{path}: 'Page not found'"
    at._page_hash = hashes[0]
    return at.run()


def test_the_admin_only_paths_are_the_admin_pages_that_annotators_do_not_see():
    def paths(role):
        return [spec[2] for specs in page_specs(role).values() for spec in specs]

    assert [p for p in paths("admin") if p not in paths("annotator")] == ADMIN_ONLY


def test_an_annotator_at_an_admin_path_is_told_it_is_for_admins(demo):
    at = logged_in("ann1")
    titles = {spec[2]: spec[1] for specs in page_specs("admin").values() for spec in specs}
    for path in ADMIN_ONLY:
        opened(at, path)
        assert not at.exception
        assert [h.value for h in at.header] == [titles[path]]
        assert [w.value for w in at.warning] == [
            f"The {titles[path]} page is for admins; you are logged in as ann1 (annotator). "
            "Your pages are in the menu at the top."
        ]
        assert not at.button and not at.text_input and not at.error
    opened(at, "annotate")  # the annotator's own pages are still there
    assert [h.value for h in at.header] == ["Annotate"] and not at.warning


def test_an_admin_at_the_admin_path_gets_the_admin_page(demo):
    at = opened(logged_in("admin"), "admin")
    assert not at.exception
    assert [h.value for h in at.header][:1] == ["Admin"]
    assert not [w.value for w in at.warning if "is for admins" in w.value]
