"""The app's pages and who sees them; `main()` is what `app.py` runs on every rerun.

Annotators see Annotate, Revise and Videos; admins see those and the admin pages (Admin, Accounts,
Adjudicate, Export, A2Dre+ review). A page function takes (store, user); the admin
pages check the role again themselves (`widgets.require_admin`). The main page, at the app's
root URL, is Annotate for annotators and Admin for admins; the others are at /<url_path>.
Nothing a page raises reaches the browser as a traceback (`text.show_errors` around `main`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import streamlit as st

from refcat.annotate.accounts import User
from refcat.annotate.ui import session, text
from refcat.annotate.ui.text import error_message
from refcat.errors import RefcatError
from refcat.store.database import Store

PageFn = Callable[[Store, User], None]


def _page(db: Store, user: User, module: str, title: str, url_path: str, icon: str, default: bool = False) -> st.Page:
    render: PageFn = importlib.import_module(module).render

    def run() -> None:
        render(db, user)

    return st.Page(run, title=title, url_path=url_path, icon=icon, default=default)


def page_specs(role: str) -> dict[str, list[tuple[str, str, str, str]]]:
    """Section -> [(module, title, url_path, icon)] for a role."""
    specs = {
        "Annotate": [
            ("refcat.annotate.ui.annotate", "Annotate", "annotate", ":material/edit:"),
            ("refcat.annotate.ui.revise", "Revise", "revise", ":material/rate_review:"),
            ("refcat.annotate.ui.videos", "Videos", "videos", ":material/movie:"),
        ],
    }
    if role == "admin":
        admin = [
            ("refcat.annotate.ui.admin", "Admin", "admin", ":material/admin_panel_settings:"),
            ("refcat.annotate.ui.accounts", "Accounts", "accounts", ":material/manage_accounts:"),
            ("refcat.annotate.ui.adjudicate", "Adjudicate", "adjudicate", ":material/gavel:"),
            ("refcat.annotate.ui.export", "Export", "export", ":material/download:"),
            ("refcat.annotate.ui.variants", "A2Dre+ review", "a2dre-review", ":material/compare:"),
        ]
        specs["Admin"] = admin
    return specs


@text.show_errors
def main() -> None:
    st.set_page_config(page_title="refcat annotation", layout="wide")
    try:
        db = session.store()
    except RefcatError as exc:  # names the store's path: logged, not shown to anonymous visitors
        st.error(text.plain(error_message(exc, reveal=False)))
        return
    user = session.current_user(db)
    if user is None:
        from refcat.annotate.ui import login

        def log_in_page() -> None:
            login.render(db)

        st.navigation([st.Page(log_in_page, title="Log in", url_path="login", icon=":material/login:")]).run()
        return
    home = "admin" if user.role == "admin" else "annotate"  # the page at the app's root URL
    sections = {
        section: [_page(db, user, *spec, default=(spec[2] == home)) for spec in specs]
        for section, specs in page_specs(user.role).items()
    }

    def log_out_page() -> None:
        session.log_out(db)
        st.rerun()

    sections[f"{text.plain(user.name)} ({user.role})"] = [  # section names are markdown
        st.Page(log_out_page, title="Log out", url_path="logout", icon=":material/logout:")
    ]
    st.navigation(sections, position="top").run()
