"""The demo project: demo accounts and a campaign over the demo dataset, in one store.

`build_demo_store` is the one way to make a demo store from a demo dataset folder
(`refcat demo-data`): `refcat demo-store`, the app's tests and the benchmarks call it.
The demo accounts have published passwords, so they are marked as demo accounts in the store
(refcat.annotate.accounts refuses them at login once the store holds any other account), and
a store that already holds another account is refused before anything is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

from refcat.annotate.accounts import create_user, list_accounts
from refcat.annotate.campaigns import create_campaign, get_campaign, list_campaigns, select_instances
from refcat.datasets.readers import open_reader
from refcat.errors import StoreError, UsageError
from refcat.store.database import Store, open_store
from refcat.store.importing import Progress, import_reader
from refcat.store.instances import ImportCounts

DEMO_USERS = {  # name -> (password, role), for the demo data only
    "admin": ("admin", "admin"),
    "ann1": ("ann1", "annotator"),
    "ann2": ("ann2", "annotator"),
    "ann3": ("ann3", "annotator"),
}
DEMO_CAMPAIGN = "demo"


class DemoProject(TypedDict):
    """What `create_demo_project` reports."""

    users: dict[str, str]  # name -> password
    campaign: str
    instances: int
    created: list[str]  # what was new, e.g. "user ann1", "campaign demo"


def _refuse_real_accounts(store: Store) -> None:
    """Refuse (UsageError) a store that holds any account that is not a demo account."""
    real = [account.name for account in list_accounts(store) if not account.demo]
    if real:
        shown = ", ".join(real[:3]) + (f" and {len(real) - 3} more" if len(real) > 3 else "")
        raise UsageError(
            f"the store holds accounts that are not demo accounts ({shown}); demo accounts have published "
            "passwords and are not added to it",
            path=store.url,
            expected="a new store (--db) for the demo",
        )


def create_demo_project(store: Store) -> DemoProject:
    """Demo accounts (admin/admin, ann1/ann1, ann2/ann2, ann3/ann3: demo passwords only) and a
    campaign "demo" over every stored instance of the "demo" dataset. Idempotent: what exists is kept.
    Refused for a store with any other account (`_refuse_real_accounts`). Returns what it did (DemoProject)."""
    _refuse_real_accounts(store)
    created = []
    existing = {account.name for account in list_accounts(store)}
    for name, (password, role) in DEMO_USERS.items():
        if name not in existing:
            create_user(store, name, password, role=role, demo=True)
            created.append(f"user {name}")
    if DEMO_CAMPAIGN not in {campaign.name for campaign in list_campaigns(store)}:
        keys = select_instances(store, dataset="demo")
        if not keys:
            raise StoreError(
                "no instances of the demo dataset in the store",
                path=store.url,
                expected="`refcat demo-store` to import the demo data first",
            )
        create_campaign(store, DEMO_CAMPAIGN, keys, ["ann1", "ann2", "ann3"], per_instance=3, created_by="admin")
        created.append(f"campaign {DEMO_CAMPAIGN}")
    return {
        "users": {name: pw for name, (pw, _) in DEMO_USERS.items()},
        "campaign": DEMO_CAMPAIGN,
        "instances": get_campaign(store, DEMO_CAMPAIGN).n_instances,
        "created": created,
    }


def build_demo_store(
    url: str | Path, data: str | Path, progress: Progress = iter
) -> tuple[Store, ImportCounts, DemoProject]:
    """Import the demo dataset at `data` into the store at `url` and add the demo project.

    Returns the open store, what the import did and `create_demo_project`'s summary. A store
    with accounts other than the demo ones is refused before the import.
    """
    store = open_store(url)
    try:
        _refuse_real_accounts(store)
    except UsageError:
        store.dispose()
        raise
    counts = import_reader(store, open_reader("demo", data), progress)
    return store, counts, create_demo_project(store)
