"""Text that would be markup if a page rendered it, put into a demo store: for the escaping tests
(tests/test_ui_escaping.py through AppTest, tests/test_e2e_injection.py in Chromium).

`payload(base)` holds HTML tags, markdown images and links, a blank line, emphasis, code, math,
strikethrough, Streamlit's colour directive and icon code, a heading and a list item after line
breaks, a bare URL, a `www.` name and an e-mail address. Every URL in it starts with `base`, a
server the test counts requests on (or one that does not exist). Each construct carries a marker
that starts with INJ, so a test can look for an element that took any of them as markup.
"""

from __future__ import annotations

from refcat.annotate.campaigns import create_campaign
from refcat.datasets.records import Instance
from refcat.store.database import Store
from refcat.store.instances import list_instances, upsert_records

CAMPAIGN = "inject"
ANNOTATOR = "ann1"
SOURCE = "injected"


def payload(base: str) -> str:
    return (
        f'INJ-HTML <img src="{base}/img-tag"> <a href="{base}/a-tag">INJ-A</a> '
        f"![INJ-IMG]({base}/md-image) [INJ-LINK log in again]({base}/phish)\n"
        "\n"
        f'![INJ-AFTER]({base}/after-blank) <img src="{base}/after-blank-tag"> [INJ-LINK2]({base}/phish2) '
        f"**INJ-BOLD** _INJ-EM_ `INJ-CODE` $INJ^2$ ~~INJ-DEL~~ :red[INJ-RED] :material/home: "
        f"{base}/bare www.inj.invalid inj@inj.invalid\n"
        "# INJ-HEAD\n"
        "- INJ-ITEM"
    )


def add_payload_instance(store: Store, text: str) -> str:
    """An RE `text` for the first object of the demo store's first instance, and a pre-annotated
    campaign CAMPAIGN of that RE alone for ANNOTATOR; returns the RE's instance key."""
    first = list_instances(store, dataset="demo")[0]
    instance = Instance(first.dataset, first.video_id, first.object_id, SOURCE, text)
    upsert_records(store, [], [], [instance])
    create_campaign(store, CAMPAIGN, [instance.key], [ANNOTATOR], per_instance=1, pre_annotate=True, created_by="admin")
    return instance.key
