"""The Accounts page (admins): every account with its state and live sessions; set a password,
disable, enable, end sessions. New accounts are added on the Admin page.

Each action goes through refcat.annotate.accounts with the acting admin (`by=`), checked there
again; a refusal shows its reason and changes nothing. An admin cannot disable their own
account here. Messages do not repeat account names (they are shown as plain text in the table
and the picker only).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from refcat.annotate.accounts import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    Account,
    User,
    disable_user,
    enable_user,
    list_accounts,
    revoke_sessions,
    set_password,
)
from refcat.annotate.ui import widgets
from refcat.errors import UsageError
from refcat.store.database import Store

COLUMNS = ["name", "role", "status", "demo", "live sessions", "created"]


def accounts_frame(accounts: list[Account]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "name": a.name,
                "role": a.role,
                "status": "disabled" if a.disabled else "active",
                "demo": a.demo,
                "live sessions": a.sessions,
                "created": a.created_at,
            }
            for a in accounts
        ],
        columns=COLUMNS,
    )


def _ended(n: int) -> str:
    return f"{n} session{'' if n == 1 else 's'} ended."


def _set_password(db: Store, user: User, name: str) -> None:
    first, again = st.session_state["acct_password"], st.session_state["acct_password_again"]

    def action() -> None:
        if first != again:
            raise UsageError("the two passwords differ")
        widgets.flash("success", "Password set; " + _ended(set_password(db, name, first, by=user)))

    widgets.attempt(action)


def _disable(db: Store, user: User, name: str) -> None:
    widgets.attempt(lambda: widgets.flash("success", "Account disabled; " + _ended(disable_user(db, name, by=user))))


def _enable(db: Store, user: User, name: str) -> None:
    widgets.attempt(lambda: enable_user(db, name, by=user), success="Account enabled: it can log in again.")


def _revoke(db: Store, user: User, name: str) -> None:
    widgets.attempt(lambda: widgets.flash("success", _ended(revoke_sessions(db, name, by=user))))


def render(db: Store, user: User) -> None:
    st.header("Accounts")
    if not widgets.require_admin(user):
        return
    widgets.show_flash()  # results of the actions below, which run as callbacks before the page
    accounts = list_accounts(db)
    st.dataframe(accounts_frame(accounts), hide_index=True)
    if not accounts:
        return
    name = st.selectbox("Account", [a.name for a in accounts], key="acct_name")
    chosen = next(a for a in accounts if a.name == name)
    args = (db, user, name)
    password_column, access_column = st.columns(2)
    with password_column, st.form("acct_password_form", clear_on_submit=True):
        st.subheader("New password")
        st.caption(
            f"At least {MIN_PASSWORD_LENGTH} characters. The account's sessions end; a demo account "
            "becomes an ordinary one."
        )
        st.text_input("New password", type="password", key="acct_password", max_chars=MAX_PASSWORD_LENGTH)
        st.text_input("New password again", type="password", key="acct_password_again", max_chars=MAX_PASSWORD_LENGTH)
        st.form_submit_button("Set password", on_click=_set_password, args=args)
    with access_column:
        st.subheader("Access")
        if chosen.disabled:
            st.button("Enable account", key="acct_enable", on_click=_enable, args=args)
        else:
            yourself = name == user.name
            st.button(
                "Disable account",
                key="acct_disable",
                disabled=yourself,
                help="you cannot disable your own account" if yourself else "it cannot log in; its sessions end",
                on_click=_disable,
                args=args,
            )
        st.button(
            f"End its sessions ({chosen.sessions} live)",
            key="acct_revoke",
            disabled=chosen.sessions == 0,
            on_click=_revoke,
            args=args,
        )
