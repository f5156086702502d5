"""The clip route of serve.py (refcat.annotate.ui.clips), called through Starlette's router as the
server would: what it serves, with which cache headers, and what it refuses (no session, ids the
store does not have, a changed clip), without a traceback or a path in the answer."""

from __future__ import annotations

import asyncio
import hashlib
import json
from urllib.parse import unquote

import pytest
from helpers.demo import build_demo, use_demo_copy
from starlette.applications import Starlette

from refcat.annotate.accounts import authenticate, logout
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
    """The frame addresses and the bundle ({url, sizes}) written into a player."""
    frames = json.loads(html.split("const frames = ", 1)[1].split(", boxed = ", 1)[0])
    bundle = json.loads(html.split("const BUNDLE = ", 1)[1].split(";\n", 1)[0])
    return frames, bundle


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
