"""The clip route of serve.py (refcat.annotate.ui.clips), called through Starlette's router as the
server would: what it serves, with which cache headers, and what it refuses (no session, ids the
store does not have, a clip of no campaign the account annotates, a changed clip), without a
traceback or a path in the answer. Who may see which object (refcat.annotate.access) is checked
on SQLite and PostgreSQL (the `store` fixture), with the statements it sends counted."""

from __future__ import annotations

import asyncio
import hashlib
import json
from urllib.parse import unquote

import pytest
from helpers.annotate_store import DUO_A, DUO_B, DUO_C, SOLO, populate
from helpers.demo import build_demo, use_demo_copy
from sqlalchemy import event
from starlette.applications import Starlette

from refcat.annotate.access import may_view_object
from refcat.annotate.accounts import authenticate, create_user, get_user, logout
from refcat.annotate.campaigns import close_round, create_campaign, select_instances
from refcat.annotate.labels import queue
from refcat.annotate.ui import session
from refcat.annotate.ui.clips import CACHE_FOREVER, clip_routes
from refcat.annotate.ui.session import COOKIE
from refcat.annotate.ui.video_view import Clip, clip_digest


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("clip-route"))


@pytest.fixture
def served(demo_files, tmp_path, monkeypatch):
    """(the routes as an ASGI app, a live session token, ann1's queue) over a fresh copy of the demo store."""
    use_demo_copy(demo_files, tmp_path, monkeypatch)
    monkeypatch.setattr(session, "_clip_route", None)  # mounting sets it for the process: undone after the test
    app = Starlette(routes=clip_routes())
    token = authenticate(session.store(), "ann1", "ann1")
    keys = [item.instance_key for item in queue(session.store(), "ann1", "demo")]
    return app, token, keys


def get(app, path: str, cookie: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET `path` (percent-encoded, as a browser sends it); returns (status, headers, body)."""
    headers = [] if cookie is None else [(b"cookie", f"{COOKIE}={cookie}".encode())]
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "server": ("127.0.0.1", 8501),
        "client": ("127.0.0.1", 50000),
        "headers": headers,
    }
    answer: dict = {"body": b""}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        else:
            answer["body"] += message.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return answer["status"], answer["headers"], answer["body"]


def addresses(html: str) -> tuple[list[str], dict]:
    """The frame addresses and the bundle ({url, sizes}) written into a player's page."""
    written = html.split('refcatPlayer(document.getElementById("root"), ', 1)[1]
    clip = json.JSONDecoder().raw_decode(written)[0]
    return clip["frames"], clip["bundle"]


def test_the_digest_is_a_hash_of_the_frames_each_with_its_length():
    assert clip_digest([b"ab"]) == hashlib.sha256(b"\0" * 7 + b"\x02" + b"ab").hexdigest()[:16]
    assert clip_digest([b"a", b"b"]) != clip_digest([b"ab"])  # the lengths keep frames apart
    assert clip_digest([b"b", b"a"]) != clip_digest([b"a", b"b"])


def test_a_clip_address_percent_encodes_its_ids():
    clip = Clip("my data", "a b/c", 3, 64, 48, 10.0, (), (b"x", b"yz"), "00ff")
    assert clip.path("1.jpg") == "my%20data/a%20b%2Fc/3/64x48/00ff/1.jpg"
    assert clip.frames == b"xyz"


def test_the_players_ask_the_route_and_two_res_of_an_object_share_one_clip(served):
    app, token, keys = served
    views = session.views()
    one, two, other = views.view(keys[0]), views.view(keys[1]), views.view(keys[4])
    assert keys[0].rsplit("/", 1)[0] == keys[1].rsplit("/", 1)[0] != keys[4].rsplit("/", 1)[0]
    assert one.clip is two.clip and other.clip is not one.clip
    frames, bundle = addresses(one.html)
    assert (frames, bundle) == addresses(two.html)  # the same addresses: the browser's cache answers the second
    clip = one.clip
    prefix = f"/refcat-clip/demo/{clip.video_id}/{clip.object_id}/320x180/{clip.digest}"
    assert frames == [f"{prefix}/{i}.jpg" for i in range(6)] and bundle["url"] == f"{prefix}/frames"
    assert bundle["sizes"] == [len(j) for j in clip.jpegs]
    assert "data:image" not in one.html and token not in one.html

    status, headers, body = get(app, frames[2], token)
    assert (status, headers["content-type"], body) == (200, "image/jpeg", clip.jpegs[2])
    assert headers["cache-control"] == CACHE_FOREVER == "private, max-age=31536000, immutable"
    status, headers, body = get(app, bundle["url"], token)
    assert (status, headers["content-type"]) == (200, "application/octet-stream")
    assert body == b"".join(clip.jpegs) and len(body) == sum(bundle["sizes"])
    assert headers["cache-control"] == CACHE_FOREVER


def test_requests_without_a_live_session_are_refused_before_the_ids_are_read(served):
    app, token, keys = served
    frames, bundle = addresses(session.views().view(keys[0]).html)
    for path in (frames[0], bundle["url"], "/refcat-clip/demo/no-such-video/1/320x180/0/0.jpg"):
        assert get(app, path)[::2] == (401, b"refused: not logged in")
        assert get(app, path, "not-a-token")[::2] == (401, b"refused: not a live session")
    logout(session.store(), token)
    status, headers, body = get(app, frames[0], token)
    assert (status, body, headers["cache-control"]) == (401, b"refused: not a live session", "no-store")


def test_ids_the_store_lacks_a_changed_clip_and_traversal_are_not_found(served, demo_files):
    app, token, keys = served
    clip = session.views().view(keys[0]).clip
    video, size, digest = clip.video_id, clip.size, clip.digest
    changed = b"no such clip (it has changed: reload the page)"
    cases = {
        f"/refcat-clip/demo/{video}/{clip.object_id}/{size}/{'0' * 16}/0.jpg": changed,
        f"/refcat-clip/demo/{video}/{clip.object_id}/640x360/{digest}/frames": changed,
        f"/refcat-clip/demo/{video}/{clip.object_id}/{size}/{digest}/6.jpg": b"no such frame",
        f"/refcat-clip/demo/no-such-video/1/{size}/{digest}/0.jpg": b"no such clip",
        f"/refcat-clip/demo/{video}/99/{size}/{digest}/0.jpg": b"no such clip",
        f"/refcat-clip/davis/{video}/{clip.object_id}/{size}/{digest}/0.jpg": b"no such clip",
        f"/refcat-clip/demo/..%2F..%2Fdemo.db/1/{size}/{digest}/0.jpg": b"Not Found",  # no route takes a '/'
        f"/refcat-clip/demo/%2E%2E/1/{size}/{digest}/0.jpg": b"no such clip",
        f"/refcat-clip/demo/{video}/x/{size}/{digest}/0.jpg": b"Not Found",
    }
    data_folder = str(demo_files[1]).encode()
    for path, said in cases.items():
        status, headers, body = get(app, path, token)
        assert (status, body) == (404, said), path
        assert data_folder not in body and b"Traceback" not in body
        if said != b"Not Found":
            assert headers["cache-control"] == "no-store"


class Statements:
    """The SQL statements an engine sends while the block runs (SQLAlchemy's before_cursor_execute)."""

    def __init__(self, engine) -> None:
        self.engine, self.sent = engine, []

    def _count(self, _conn, _cursor, statement, *_rest) -> None:
        self.sent.append(statement)

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self.sent

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def test_an_account_sees_the_objects_of_the_campaigns_it_annotates_in_one_statement(store):
    populate(store, annotators=("ann1", "ann2", "ann3", "ann4"))
    # A: duo's object 1 (two REs) and solo, ann1 and ann2 one instance each; B: duo's object 2, ann3.
    create_campaign(store, "A", [DUO_A, DUO_B, SOLO], ["ann1", "ann2"], per_instance=1, created_by="boss")
    create_campaign(store, "B", [DUO_C], ["ann3"], per_instance=1, created_by="boss")
    assert [item.instance_key for item in queue(store, "ann1", "A")] == [DUO_A, SOLO]
    assert [item.instance_key for item in queue(store, "ann2", "A")] == [DUO_B]
    objects = [("demo", "duo", 1), ("demo", "duo", 2), ("demo", "solo", 1), ("demo", "duo", 9), ("davis", "duo", 1)]
    seen = {
        name: [may_view_object(store, get_user(store, name), *ids) for ids in objects]
        for name in ("ann1", "ann2", "ann3", "ann4", "boss")
    }
    assert seen == {
        "ann1": [True, False, True, False, False],
        "ann2": [True, False, True, False, False],  # solo is in A, though in ann1's queue, not ann2's
        "ann3": [False, True, False, False, False],
        "ann4": [False, False, False, False, False],  # in no campaign
        "boss": [True, True, True, True, True],  # an admin: every object (an unknown one is the caller's 404)
    }
    for _ in range(2):  # A finished: its annotators still see its clips (the revision page shows them)
        close_round(store, "A", "boss")
    assert may_view_object(store, get_user(store, "ann2"), "demo", "solo", 1)

    ann3, boss = get_user(store, "ann3"), get_user(store, "boss")
    with Statements(store.engine) as sent:
        assert may_view_object(store, ann3, "demo", "duo", 2) and not may_view_object(store, ann3, "demo", "duo", 1)
        assert may_view_object(store, boss, "demo", "duo", 2)
    assert len(sent) == 2  # one for each question of ann3, none for the admin's
    for n in range(6):  # more campaigns, of ann3 and of others: still one statement a question
        create_campaign(store, f"more{n}", [DUO_A, SOLO], ["ann3" if n % 2 else "ann4"], per_instance=1)
    with Statements(store.engine) as sent:
        assert not may_view_object(store, ann3, "demo", "duo", 9) and may_view_object(store, ann3, "demo", "duo", 1)
    assert len(sent) == 2


@pytest.fixture
def two_campaigns(served):
    """`served`, plus demo accounts ann4 (campaign A: video dog-walk), ann5 (campaign B: two-dogs) and
    ann6 (no campaign); returns (app, tokens by name, the frames address of object 1 of each video)."""
    app, admin = served[0], "admin"
    store = session.store()
    for name in ("ann4", "ann5", "ann6"):
        create_user(store, name, name, demo=True)
    for campaign, video, annotator in (("A", "dog-walk", "ann4"), ("B", "two-dogs", "ann5")):
        keys = select_instances(store, dataset="demo", video_ids=[video])
        create_campaign(store, campaign, keys, [annotator], per_instance=1, created_by=admin)
    tokens = {name: authenticate(store, name, name) for name in ("admin", "ann4", "ann5", "ann6")}
    clips = {video: session.views().clip("demo", video, 1) for video in ("dog-walk", "two-dogs")}
    frames = {video: "/refcat-clip/" + clip.path("frames") for video, clip in clips.items()}
    return app, tokens, frames


def test_an_annotator_gets_the_clips_of_its_campaigns_and_an_admin_every_clip(two_campaigns, caplog):
    app, tokens, frames = two_campaigns
    clips = {video: session.views().clip("demo", video, 1) for video in frames}
    answers = {
        (name, video): get(app, path, tokens[name])
        for name in ("admin", "ann4", "ann5", "ann6")
        for video, path in frames.items()
    }
    statuses = {asked: status for asked, (status, _, _) in answers.items()}
    assert statuses == {
        ("admin", "dog-walk"): 200,
        ("admin", "two-dogs"): 200,
        ("ann4", "dog-walk"): 200,
        ("ann4", "two-dogs"): 404,
        ("ann5", "dog-walk"): 404,
        ("ann5", "two-dogs"): 200,
        ("ann6", "dog-walk"): 404,
        ("ann6", "two-dogs"): 404,
    }
    for (_name, video), (status, headers, body) in answers.items():
        if status == 200:
            assert body == clips[video].frames and headers["cache-control"] == CACHE_FOREVER
    # Not allowed and unknown read alike: the same status, headers and one-line body.
    unknown = get(app, "/refcat-clip/demo/no-such-video/1/320x180/0/frames", tokens["ann6"])
    assert unknown[1]["cache-control"] == "no-store"
    assert answers["ann4", "two-dogs"] == answers["ann6", "dog-walk"] == unknown == (404, unknown[1], b"no such clip")
    refusals = [r.getMessage() for r in caplog.records if r.name == "refcat.annotate.ui.clips"]
    assert "clip 'demo'/'two-dogs'/1 not served to 'ann4': unknown, or in no campaign of theirs" in refusals
    assert "clip 'demo'/'no-such-video'/1 not served to 'ann6': unknown, or in no campaign of theirs" in refusals


def test_a_refused_clip_is_never_looked_up_and_more_campaigns_cost_no_more_statements(two_campaigns, monkeypatch):
    app, tokens, frames = two_campaigns
    store, views = session.store(), session.views()
    looked_up: list[tuple[str, str, int]] = []
    clip = views.clip
    monkeypatch.setattr(views, "clip", lambda *ids: looked_up.append(ids) or clip(*ids))

    def statements(name: str, video: str, status: int) -> int:
        get(app, frames[video], tokens[name])  # a first request may refresh the session's last_seen
        looked_up.clear()
        with Statements(store.engine) as sent:
            assert get(app, frames[video], tokens[name])[0] == status
        assert looked_up == ([("demo", video, 1)] if status == 200 else [])
        assert sum("campaign_members" in statement for statement in sent) == (name != "admin")  # the check
        return len(sent)

    asked = [
        ("ann4", "dog-walk", 200),
        ("ann4", "two-dogs", 404),
        ("ann6", "dog-walk", 404),
        ("admin", "two-dogs", 200),
    ]
    before = [statements(*question) for question in asked]
    assert before[0] == before[1] == before[2] == before[3] + 1  # an admin's request skips the check
    dog_walk = select_instances(store, dataset="demo", video_ids=["dog-walk"])
    everything = select_instances(store, dataset="demo")
    for n in range(8):  # ann4 in four more campaigns of dog-walk, ann5 in four of every video
        keys, annotator = (dog_walk, "ann4") if n % 2 else (everything, "ann5")
        create_campaign(store, f"more{n}", keys, [annotator], per_instance=1, created_by="admin")
    assert [statements(*question) for question in asked] == before
