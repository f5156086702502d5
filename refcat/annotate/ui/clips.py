"""The clip route: the players' frames, served to logged-in browsers only (mounted by serve.py).

    GET <base>/refcat-clip/<dataset>/<video_id>/<object_id>/<W>x<H>/<digest>/<frame>.jpg
    GET <base>/refcat-clip/<dataset>/<video_id>/<object_id>/<W>x<H>/<digest>/frames

(the addresses of `video_view.Clip.path`, ids percent-encoded): one frame's JPEG, or every
frame's JPEG one after the other (`Clip.frames`; the player knows their lengths). The answers:
- 401 without the session cookie (session.COOKIE), or with one whose session is not live
  (`accounts.user_for_token`), before anything of the address is looked at;
- 404 "no such clip", the same answer for an object the account may not see and for one the
  store does not have, so that a stranger does not learn which objects exist (the server's log
  names the account and the ids). `access.may_view_object` decides, in one store read, before the
  clip is built or taken from the cache: an admin sees every object of the store, any other
  account only the objects with an instance in a campaign it annotates (any round, a finished
  campaign too). The ids are looked up in the store before anything else sees them, so no
  address names a file;
- 404 with its own line for a size or digest other than the clip's now (the clip changed: the
  page's next run has the new address), or a frame outside the clip;
- 200, the JPEG (image/jpeg) or the frames (application/octet-stream), with
  `Cache-Control: private, max-age=31536000, immutable`: an address names one content for good
  (the digest is a hash of the clip), so the browser keeps the frames and the next RE of the
  same object asks for none of them again; `private`, as they are behind a login, so no shared
  cache keeps them.
A refusal is one line of text with `Cache-Control: no-store`; it names no file and shows no
traceback (a frame that cannot be read is logged on the server). The credential travels in the
HttpOnly cookie only, never in an address.

`clip_routes()` also points the app's `ViewCache` (session.views) at the route, so the players
it builds ask for their frames there; served without serve.py, the players inline them.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from refcat.annotate.access import may_view_object
from refcat.annotate.accounts import user_for_token
from refcat.annotate.ui import session
from refcat.errors import PermissionDenied, RefcatError

ROUTE = "refcat-clip"
CACHE_FOREVER = "private, max-age=31536000, immutable"
NO_SUCH_CLIP = "no such clip"  # unknown and not allowed alike
log = logging.getLogger(__name__)


def clip_route_path() -> str:
    """The route's URL path, under the server's base path."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return "/" + "/".join(part for part in (base, ROUTE) if part)


def _refuse(status: int, text: str) -> Response:
    return Response(text, status_code=status, media_type="text/plain", headers={"Cache-Control": "no-store"})


def _answer(token: str | None, params: dict[str, Any]) -> Response:
    """The answer to a request with session cookie `token` for the address `params` (module doc).
    Run in a worker thread (it reads the store), one per request."""
    if not token:
        return _refuse(401, "refused: not logged in")
    try:
        user = user_for_token(session.store(), token)
    except PermissionDenied:
        return _refuse(401, "refused: not a live session")
    dataset, video_id, object_id, index = params["dataset"], params["video"], params["object"], params.get("frame")
    if not may_view_object(session.store(), user, dataset, video_id, object_id):
        log.warning(
            "clip %r/%r/%r not served to %r: unknown, or in no campaign of theirs",
            dataset,
            video_id,
            object_id,
            user.name,
        )
        return _refuse(404, NO_SUCH_CLIP)
    try:
        clip = session.views().clip(dataset, video_id, object_id)
    except RefcatError as exc:
        log.warning("clip %r/%r/%r not served: %s", dataset, video_id, object_id, exc)  # %r: ids as sent, escaped
        return _refuse(404, NO_SUCH_CLIP)
    if params["size"] != clip.size or params["digest"] != clip.digest:
        return _refuse(404, "no such clip (it has changed: reload the page)")
    headers = {"Cache-Control": CACHE_FOREVER, "X-Content-Type-Options": "nosniff"}
    if index is None:
        return Response(clip.frames, media_type="application/octet-stream", headers=headers)
    if not 0 <= index < len(clip.jpegs):
        return _refuse(404, "no such frame")
    return Response(clip.jpegs[index], media_type="image/jpeg", headers=headers)


async def _frame(request: Request) -> Response:
    return await run_in_threadpool(_answer, request.cookies.get(session.COOKIE), request.path_params)


def clip_routes() -> list[Route]:
    """The GET routes of the frames, for `st.App(routes=...)`; the app's players ask for their frames there."""
    path = clip_route_path()
    session.serve_clips_at(path)
    clip = path + "/{dataset}/{video}/{object:int}/{size}/{digest}"
    return [Route(clip + "/{frame:int}.jpg", _frame, methods=["GET"]), Route(clip + "/frames", _frame, methods=["GET"])]
