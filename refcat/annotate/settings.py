"""An annotator's own settings of the annotation pages, kept in the store with their account.

- Auto-advance (`users.auto_advance`, on for every new account): on the Annotate page, the answer
  that completes an instance (its last question asked is answered; refcat.annotate.state, the
  queue's `complete`) opens the next instance of the queue by itself, as if Next were pressed
  (refcat.annotate.ui.navigation). Each annotator turns it on or off for themselves, in the app;
  the setting follows the account, not the browser.
"""

from __future__ import annotations

from sqlalchemy import select, update

from refcat.annotate.accounts import User, stored_user
from refcat.store.database import Store
from refcat.store.retry import retry_transient
from refcat.store.schema import UserRow


def auto_advance(store: Store, user: User | str) -> bool:
    """Whether the next instance opens by itself once `user` completes one (module doc)."""
    with store.session() as session:
        account = stored_user(session, user)
        return bool(session.scalar(select(UserRow.auto_advance).where(UserRow.id == account.id)))


@retry_transient
def set_auto_advance(store: Store, user: User | str, on: bool) -> None:
    """Turn `user`'s auto-advance on or off; refuses an unknown account (PermissionDenied)."""
    with store.session() as session:
        account = stored_user(session, user)
        session.execute(update(UserRow).where(UserRow.id == account.id).values(auto_advance=on))
