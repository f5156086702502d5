"""The desk of the queue pages: the RE, its source and the clip of the instance shown, drawn by the
browser from a window of the queue, so that moving on shows the next RE at once.

Served with the clip route (serve.py; frames have addresses, refcat.annotate.ui.video_view), a
queue page draws its instance with one component, the desk, instead of Streamlit elements. Each
page run sends it a window: the instance the server shows, and its neighbours in the queue
(previous and next) when their clips are built (`ViewCache.cached`; the page prefetches two
ahead). The browser keeps the window and moves in it by itself:

- Next and Previous (keys or buttons, through the page's key listener, refcat.annotate.ui.shortcuts)
  show the neighbour at once, its first frame taken from the browser's cache (the desk loads the
  neighbours' first frames as soon as it has them), and the press goes to the server as before;
- with auto-advance on (annotate page), the answer that completes the instance shown moves on
  too, by the same rule as the server's (`rule`: the questions asked before any answer, the
  annotator's answers, `advance_rule`), tracked from the page's own presses;
- a press made less than `ADVANCE_GRACE_MS` after the desk advanced by itself carries the view before
  (nobody reads an RE that fast: it is a habitual Next, or an answer meant for the instance before), so
  the server drops or refuses it, as it did when the page moved only once the server had drawn it;
- a press whose outcome the desk cannot know (Undo, a move to a neighbour not in the window, an
  answer after a move the server has not drawn yet) leaves it waiting (dimmed) for the server.

The server stays the judge (refcat.annotate.ui.navigation `apply_presses`): every press carries the
view the desk shows, as the desk numbers views the way the server does (one more per move), so an
answer pressed on the neighbour is filed on it, and one the server sees otherwise is refused, never
filed elsewhere. Once the server has handled every press the desk sent (its acknowledgement in the
page run's data), the desk shows what the server shows. Until the server has drawn the page for the
instance the desk shows, the answer panel and the flag panel (the containers `ANSWERS_KEY`,
`refcat.annotate.ui.flags.FLAGS_KEY`) are dimmed and take no clicks: they belong to the instance drawn before.
Answer keys go on: they are filed on the instance shown; a flag key waits for the server to draw the flag panel
of the instance it was meant for (the one before, within the grace after an auto-advance: done at once). Moving
brings the RE back into view when the page was scrolled away from it (to the comment box).

Texts (RE, source, campaign, key) are set as text, never as markup.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import streamlit as st

from refcat.annotate.guidelines import instance_source_label
from refcat.annotate.labels import instance_texts
from refcat.annotate.state import INVALID, SKIP_FIELD, SKIPPED_AFTER_INVALID
from refcat.annotate.ui.flags import FLAGS_KEY
from refcat.annotate.ui.video_view import PLAYER_JS, ViewCache
from refcat.errors import RefcatError
from refcat.store.database import Store

log = logging.getLogger(__name__)
ANSWERS_KEY = "refcat-answers"  # the answer panel's container, dimmed (as the flag panel's) while the desk moves ahead
ADVANCE_GRACE_MS = 400  # a press this soon after an auto-advance was meant for the instance before (module doc)

_CSS = f"""
[data-testid="stMainBlockContainer"] {{ padding-top: 3rem; }}  /* the queue pages: the questions higher up */
body.refcat-moving .st-key-{ANSWERS_KEY}, body.refcat-moving .st-key-{FLAGS_KEY} {{
  opacity: 0.4; pointer-events: none;
}}
.refcat-desk.refcat-waiting {{ opacity: 0.55; }}
.refcat-desk-caption, .refcat-desk-source {{ font-size: 0.875rem; opacity: 0.7; }}
.refcat-desk .refcat-re {{
  font-size: 2.1rem; font-weight: 600; line-height: 1.25; margin: 0.2em 0 0.5em; white-space: pre-wrap;
}}
.refcat-desk-error {{ color: #b00020; }}
"""

# One state per browser page (globalThis), kept across reruns: the scope (queue page and campaign), the
# view shown {key, number}, the window {previous, current, next} (a neighbour: null at the end of the
# queue, undefined when unknown, {key, ready: false} before its clip is built), the auto-advance rule of
# the current instance and the answers given there, the player.
_JS = (
    PLAYER_JS
    + """
const D = (globalThis.__refcatDesk ??= { root: null, shown: null, view: null, window: null, preloaded: [] });

function part(root, name, tag = "div") {
  let node = root.querySelector(".refcat-desk-" + name);
  if (!node) {
    node = document.createElement(tag);
    node.className = "refcat-desk-" + name;
    root.appendChild(node);
  }
  return node;
}

function draw(parent) {
  let root = parent.querySelector(".refcat-desk");
  if (!root) {
    root = document.createElement("div");
    root.className = "refcat-desk";
    parent.appendChild(root);
    for (const name of ["caption", "re", "source", "error", "clip"]) part(root, name);
    part(root, "re").classList.add("refcat-re");
  }
  if (D.root !== root) {
    if (D.player) D.player.stop();
    D.player = null;
    D.shown = null;
  }
  D.root = root;
}

function ready(item) { return !!item && item.ready !== false; }

function show(item) {
  const root = D.root;
  root.dataset.key = item.key;
  part(root, "caption").textContent = D.campaign + " \\u00b7 " + item.key;
  part(root, "re").textContent = "\\u201c" + item.text + "\\u201d";
  part(root, "source").textContent = "Source: " + item.source;
  part(root, "error").textContent = item.error || "";
  if (D.player) D.player.stop();
  D.player = null;
  const clip = part(root, "clip");
  clip.hidden = !item.clip;
  if (item.clip) D.player = refcatPlayer(clip, item.clip);
  D.shown = item.key;
}

function preload() {  // the neighbours' first frames, in the browser's cache before they are shown
  D.preloaded = [D.window.previous, D.window.next].filter((item) => ready(item) && item.clip).map((item) => {
    const image = new Image();
    image.src = item.clip.frames[0];
    return image;
  });
}

function complete() {
  const rule = D.rule, given = D.given, skip = rule.skip;
  const skipped = skip && skip.values.includes(given[skip.field]) ? skip.fields : [];
  return rule.fields.every((field) => skipped.includes(field) || field in given);
}

// Move `step` (1 or -1) in the window, as the server will: at the end of the queue the view stays.
function move(step, advanced) {
  const target = step > 0 ? D.window.next : D.window.previous;
  if (target === null) return;
  if (!ready(target)) { D.waiting = true; return; }
  const current = D.window.current;
  D.window = step > 0 ? { previous: current, current: target, next: undefined }
                      : { previous: undefined, current: target, next: current };
  D.before = advanced ? D.view : null;
  D.advancedAt = performance.now();
  D.view = { key: target.key, number: D.view.number + 1, advanced };
  D.rule = null;
  show(target);
  const top = D.root.getBoundingClientRect().top;  // scrolled away (to the comment box): the RE back in view
  if (top < 0 || top > innerHeight) D.root.scrollIntoView({ block: "start" });
}

// The view a press made now was meant for: the one before an auto-advance made less than `grace` ms ago
// (a person cannot have seen the move yet: a habitual Next after the last answer), else the one shown.
D.viewFor = () => (D.before && performance.now() - D.advancedAt < D.grace ? D.before : D.view);

// The server's view drawn in the answer panel, as the key listener last mounted it.
function drawn() {
  const S = globalThis.__refcatPresses, source = S && (S.live ?? S.parked);
  return source ? source.data : null;
}

D.moving = () => {
  const data = drawn();
  return !!D.waiting || !data || data.instance !== D.view.key || data.view !== D.view.number;
};

// A flag key: `run(flags)` works the flag panel whose widgets' classes are `flags`, and says whether it found
// them. It is done on the panel drawn when that is the instance the key was meant for (`viewFor`: within the
// grace after an auto-advance, the one before), else once the server has drawn the panel for that instance,
// which the desk shows already; dropped if the desk has moved on again by then.
D.flag = (run) => {
  const meant = D.viewFor(), data = drawn();
  if (data && data.instance === meant.key && data.view === meant.number) return run(data.flags);
  D.flagged = { view: meant, run };
  return true;
};

function flagLater() {
  const later = D.flagged, data = drawn();
  if (!later) return;
  if (later.view.key !== D.view.key || later.view.number !== D.view.number) D.flagged = null;
  else if (data && data.instance === later.view.key && data.view === later.view.number) {
    D.flagged = null;
    let tries = 40;  // the flag panel comes after the answer panel, which the listener ends: wait for it
    const attempt = () => { if (!later.run(data.flags) && --tries > 0) setTimeout(attempt, 50); };
    attempt();
  }
}

// Show what the server shows: its view, window and rule (`data`, a page run's); `unacked` are the presses it
// has not handled yet, whose answers on its instance are counted as given.
function adopt(data, unacked) {
  const agrees = !!D.view && D.view.key === data.view.key && D.view.number === data.view.number;
  D.view = data.view;
  D.window = data.window;
  D.rule = data.rule;
  D.given = { ...(data.rule ? data.rule.given : {}) };
  for (const p of unacked) if (p.action === "answer" && p.instance === data.view.key) D.given[p.field] = p.value;
  D.waiting = false;
  if (!agrees) D.before = null;  // the grace after an auto-advance lasts while its view is shown
  if (D.shown !== data.view.key) show(data.window.current);
  preload();
}

// Once the server has handled every press: stop waiting where it drew the view shown; where it drew another
// (it refused an answer the desk advanced on, or a move the desk could not foresee), show that one. The
// panel's reruns, which do not draw the desk, come here too; the desk then stops foreseeing on the instance
// (its answers there may be other than the server's), until the next page run. Dim what the server drew for
// another instance.
D.sync = () => {
  if (!D.root || !D.root.isConnected) return;
  const data = drawn(), S = globalThis.__refcatPresses;
  const handled = !!data && !!S && S.pending.every((p) => data.client === S.client && p.seq <= data.acked);
  if (handled && (data.instance !== D.view.key || data.view !== D.view.number)) {
    const server = D.server;
    if (server && server.view.key === data.instance && server.view.number === data.view) {
      adopt(server, []);
      D.rule = null;
    }
  } else if (D.waiting && handled) D.waiting = false;
  D.root.classList.toggle("refcat-waiting", !!D.waiting);
  document.body.classList.toggle("refcat-moving", D.moving());
  flagLater();
};

// A press the key listener sent from this page (its action, field and value): shown at once where the
// desk knows what the server will do, else the desk waits for the server.
D.press = (press) => {
  const here = press.instance === D.view.key && press.view === D.view.number;  // else the server drops it
  if (here && !D.waiting) {
    if (press.action === "next" || press.action === "previous") move(press.action === "next" ? 1 : -1, false);
    else if (press.action === "undo") {
      D.waiting = true;
      D.rule = null;  // the answers the undo leaves are the server's to say (the next page run)
    }
    else if (press.action === "answer" && D.rule) {
      const was = complete();
      D.given[press.field] = press.value;
      if (D.advance && !was && complete()) move(1, true);
    }
  }
  D.sync();
};

D.live = (page) => D.root && D.root.isConnected && D.scope === page && D.view ? D : null;

export default function (component) {
  const { data, parentElement } = component;
  draw(parentElement);
  const S = globalThis.__refcatPresses;
  const unacked = S ? S.pending.filter((p) => !(data.client === S.client && p.seq <= data.acked)) : [];
  const fresh = D.shown === null || D.scope !== data.scope;
  const agrees = !!D.view && D.view.key === data.view.key && D.view.number === data.view.number;
  // The server has drawn what the desk shows, and what it has still to handle are answers on it.
  const answersHere = unacked.every((p) => p.action === "answer" && p.instance === data.view.key
                                           && p.view === data.view.number);
  D.scope = data.scope;
  D.campaign = data.campaign;
  D.advance = data.advance;
  D.grace = data.grace_ms;
  D.server = data;
  if (fresh || unacked.length === 0 || (agrees && answersHere)) adopt(data, unacked);
  D.sync();
  const root = D.root;
  return () => {
    // Called when the desk goes (another page) and when Streamlit drops a run; only the first stops the player.
    setTimeout(() => {
      if (root.isConnected || D.root !== root) return;
      if (D.player) D.player.stop();
      D.player = null;
      D.shown = null;
      document.body.classList.remove("refcat-moving");
    }, 0);
  };
}
"""
)
_DESK = st.components.v2.component("refcat_desk", js=_JS, css=_CSS, isolate_styles=False)


def advance_rule(fields: Sequence[str], given: dict[str, str], skip_after_invalid: bool) -> dict[str, Any]:
    """The auto-advance rule of a first-round instance as the desk applies it: complete once every
    question of `fields` (asked before any answer) is answered but those skipped after the
    answers, starting from the answers `given`. `skip` is `refcat.annotate.state.skipped` as data:
    the question whose answers `values` skip the questions `fields` (None when nothing is skipped)."""
    skip = {"field": SKIP_FIELD, "values": list(INVALID), "fields": list(SKIPPED_AFTER_INVALID)}
    return {"fields": list(fields), "given": dict(given), "skip": skip if skip_after_invalid else None}


def item(views: ViewCache, key: str, text: str) -> dict[str, Any]:
    """What the desk shows of instance `key` (its RE `text`): the RE, its source and its clip
    (`InstanceView.player`), or the reason the clip cannot be shown."""
    shown: dict[str, Any] = {"key": key, "text": text, "source": instance_source_label(key)}
    try:
        shown["clip"] = views.view(key).player
    except RefcatError as exc:
        shown["error"] = f"Cannot show the clip: {exc}"
    return shown


def neighbour(views: ViewCache, key: str | None, texts: dict[str, str], *, build: bool) -> dict[str, Any] | None:
    """The window's entry for a neighbour: None at the end of the queue; with `build`, its clip built now
    when no prefetch has built it, else {key, ready: False} while its clip is not built."""
    if key is None:
        return None
    if key not in texts or not (build or views.cached(key)):
        return {"key": key, "ready": False}
    try:
        return item(views, key, texts[key])
    except Exception:  # the page is the current instance's: the neighbour is left to the server, and logged
        log.exception("the desk could not build the view of %s", key)
        return {"key": key, "ready": False}


def desk(
    db: Store,
    views: ViewCache,
    text: str,
    *,
    scope: str,
    campaign: str,
    keys: Sequence[str],
    index: int,
    view: int,
    acked: tuple[str, int] | None,
    rule: dict[str, Any] | None,
    advance: bool,
) -> None:
    """Draw the desk (module doc) of queue page `scope` (as `Place.scope`) of `campaign`, showing
    `keys[index]` (its RE `text`) in view number `view`, its neighbours' REs read from `db`; `acked` is
    (browser page id, number) of the last press the server handled; `rule` is the auto-advance rule
    of the instance shown ({"fields", "given", "skip"}, None: the desk does not advance by itself),
    applied when `advance` is on."""
    key = keys[index]
    previous = keys[index - 1] if index > 0 else None
    following = keys[index + 1] if index + 1 < len(keys) else None
    texts = {**instance_texts(db, [k for k in (previous, following) if k is not None]), key: text}
    client, last = acked or (None, 0)
    data = {
        "scope": scope,
        "campaign": campaign,
        "view": {"key": key, "number": view},
        "window": {
            "previous": neighbour(views, previous, texts, build=False),
            "current": item(views, key, texts[key]),
            "next": neighbour(views, following, texts, build=True),
        },
        "rule": rule,
        "advance": advance,
        "grace_ms": ADVANCE_GRACE_MS,
        "client": client,
        "acked": last,
    }
    _DESK(key=f"desk:{scope}", data=data)
