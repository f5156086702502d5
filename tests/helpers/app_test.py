"""The annotation app through streamlit's AppTest: the whole app after the login form, or one page.

Both read the store from $REFCAT_DB (and the dataset from $REFCAT_DATA), as the app does; the
demo accounts' password is their name.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 60


def logged_in(user: str, query: dict[str, str] | None = None) -> AppTest:
    """The app after `user` logged in through the form (password: the name), then run with `query` set."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.text_input(key="login_name").input(user)
    at.text_input(key="login_password").input(user)
    at.button[0].click()
    for name, value in (query or {}).items():
        at.query_params[name] = value
    return at.run()


def page_as(module: str, user: str) -> AppTest:
    """One page run on its own: `module.render(store, user)` (e.g. "refcat.annotate.ui.guidelines")."""

    def script(module_name, user_name):
        import importlib
        import os

        from refcat.annotate.accounts import get_user
        from refcat.store.database import open_store

        db = open_store(os.environ["REFCAT_DB"])
        importlib.import_module(module_name).render(db, get_user(db, user_name))

    return AppTest.from_function(script, args=(module, user), default_timeout=TIMEOUT).run()
