"""The app's pages and who sees them; `main()` is what `app.py` runs on every rerun.

Annotators see Annotate, Revise, Videos and Guidelines; admins see those and the admin pages (Admin, Accounts,
Adjudicate, Quality, Export, A2Dre+ review). A page function takes (store, user); the admin
pages check the role again themselves (`widgets.require_admin`). The main page, at the app's
root URL, is Annotate for annotators and Admin for admins; every page is also at /<url_path>
(/admin, /annotate), before login too (the login form, then the page). A path of a page that
the user's role does not see (an annotator opening /admin) shows, under the role's own menu, that
the page is for admins, rather than Streamlit's "Page not found".
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
HOME = {"admin": "admin", "annotator": "annotate"}  # role -> url_path of the page at the app's root URL
HOME_PATH = "home"  # the path of the hidden default page that shows it


def _page(db: Store, user: User, module: str, title: str, url_path: str, icon: str, *, home: bool = False) -> st.Page:
    """The page of `module`; with `home`, the hidden default page at the root URL showing it."""
    render: PageFn = importlib.import_module(module).render

    def run() -> None:
        render(db, user)

    if home:
        return st.Page(run, title=title, url_path=HOME_PATH, icon=icon, default=True, visibility="hidden")
    return st.Page(run, title=title, url_path=url_path, icon=icon)


def page_specs(role: str) -> dict[str, list[tuple[str, str, str, str]]]:
    """Section -> [(module, title, url_path, icon)] for a role. Icons are emoji: the browser draws
    them itself, whereas a Material icon as the tab's icon is fetched from an outside server."""
    specs = {
        "Annotate": [
            ("refcat.annotate.ui.annotate", "Annotate", "annotate", "✏️"),
            ("refcat.annotate.ui.revise", "Revise", "revise", "🔁"),
            ("refcat.annotate.ui.videos", "Videos", "videos", "🎬"),
            ("refcat.annotate.ui.guidelines", "Guidelines", "guidelines", "📖"),
        ],
    }
    if role == "admin":
        admin = [
            ("refcat.annotate.ui.admin", "Admin", "admin", "🛠️"),
            ("refcat.annotate.ui.accounts", "Accounts", "accounts", "👥"),
            ("refcat.annotate.ui.adjudicate", "Adjudicate", "adjudicate", "⚖️"),
            ("refcat.annotate.ui.quality", "Quality", "quality", "📊"),
            ("refcat.annotate.ui.export", "Export", "export", "📥"),
            ("refcat.annotate.ui.variants", "A2Dre+ review", "a2dre-review", "🔀"),
        ]
        specs["Admin"] = admin
    return specs


def not_for(user: User) -> list[st.Page]:
    """Hidden pages at the paths of the pages that `user`'s role does not see, each saying so."""
    own = {spec[2] for specs in page_specs(user.role).values() for spec in specs}
    others = [spec for specs in page_specs("admin").values() for spec in specs if spec[2] not in own]

    def refusal(title: str) -> Callable[[], None]:
        def run() -> None:
            st.header(title)
            st.warning(
                text.plain(
                    f"The {title} page is for admins; you are logged in as {user.name} ({user.role}). "
                    "Your pages are in the menu at the top."
                )
            )

        return run

    return [
        st.Page(refusal(title), title=title, url_path=path, icon=icon, visibility="hidden")
        for _, title, path, icon in others
    ]


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

        # Every page's path shows the login form, so a link to /admin or /annotate opens that page
        # once logged in (the login's rerun keeps the path) instead of "Page not found".
        paths = [spec[2] for specs in page_specs("admin").values() for spec in specs]
        pages = [st.Page(log_in_page, title="Log in", url_path="login", icon="🔑", default=True)]
        pages += [st.Page(log_in_page, title="Log in", url_path=path, visibility="hidden") for path in paths]
        st.navigation(pages).run()
        return
    specs_of = page_specs(user.role)
    home = next(spec for specs in specs_of.values() for spec in specs if spec[2] == HOME[user.role])
    # The root URL shows the role's main page through a hidden default page, so that the visible
    # page keeps its own path (a default page is served only at the root: /admin would not be found).
    sections = {"": [_page(db, user, *home, home=True), *not_for(user)]}
    sections |= {section: [_page(db, user, *spec) for spec in specs] for section, specs in specs_of.items()}

    def log_out_page() -> None:
        session.log_out(db)
        st.rerun()

    sections[f"{text.plain(user.name)} ({user.role})"] = [  # section names are markdown
        st.Page(log_out_page, title="Log out", url_path="logout", icon="🚪")
    ]
    st.navigation(sections, position="top").run()
