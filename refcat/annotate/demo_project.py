"""The demo project: demo accounts and a campaign over the demo dataset, in one store.

`build_demo_store` is the one way to make a demo store from a demo dataset folder
(`refcat demo-data`): `refcat demo-store`, the app's tests and the benchmarks call it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from refcat.annotate.accounts import create_user
from refcat.annotate.campaigns import create_campaign, get_campaign, select_instances
from refcat.datasets.readers import open_reader
from refcat.errors import StoreError
from refcat.store.database import Store, open_store
from refcat.store.importing import Progress, import_reader
from refcat.store.instances import ImportCounts
from refcat.store.schema import CampaignRow, UserRow

DEMO_USERS = {
    "admin": ("admin", "admin"),
    "ann1": ("ann1", "annotator"),
    "ann2": ("ann2", "annotator"),
    "ann3": ("ann3", "annotator"),
}
DEMO_CAMPAIGN = "demo"


def create_demo_project(store: Store) -> dict:
    """Demo accounts (admin/admin, ann1/ann1, ann2/ann2, ann3/ann3: demo passwords only) and a
    campaign "demo" over every stored instance of the "demo" dataset. Idempotent: what exists is kept.
    Returns {"users": {name: password}, "campaign": name, "instances": n, "created": [what was new]}."""
    created = []
    with store.session() as session:
        existing = set(session.scalars(select(UserRow.name).where(UserRow.name.in_(list(DEMO_USERS)))))
    for name, (password, role) in DEMO_USERS.items():
        if name not in existing:
            create_user(store, name, password, role=role)
            created.append(f"user {name}")
    with store.session() as session:
        has_campaign = session.scalar(select(CampaignRow.id).where(CampaignRow.name == DEMO_CAMPAIGN)) is not None
    if not has_campaign:
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


def build_demo_store(url: str | Path, data: str | Path, progress: Progress = iter) -> tuple[Store, ImportCounts, dict]:
    """Import the demo dataset at `data` into the store at `url` and add the demo project.

    Returns the open store, what the import did and `create_demo_project`'s summary.
    """
    store = open_store(url)
    counts = import_reader(store, open_reader("demo", data), progress)
    return store, counts, create_demo_project(store)
