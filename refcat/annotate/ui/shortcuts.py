"""Keyboard shortcuts of the annotation pages: one key for every answer, and for moving and undoing,
and the page's key listener, which numbers the presses so that the server takes them in order.

Conventions:
- difficulty 1 / 2, correctness 3 / 4 / 5, information 6 / 7 (in the order of the values in
  `refcat.taxonomy.FIELD_VALUES`);
- each semantic category has a letter: the letter answers "yes", Shift + the letter "no"
  (C and R are reserved by Streamlit, so "category" is N for "name");
- Left / Right: previous / next instance; U: undo the last answer;
- keys run in the browser, never sent to the server (`BROWSER_KEYS`): the flags F ("Unsure" on or
  off) and W (the cursor into the comment box) of refcat.annotate.ui.flags, and the player keys
  of refcat.annotate.ui.video_view (`PLAYER_KEYS`: Space, `,`, `.`, `<`, `>`).
`key_actions` is every key of a queue page, the one list the key listener routes and the `?`
overlay shows (refcat.annotate.ui.help_overlay). The buttons show their key in their label.

The listener (`key_listener`, a Streamlit component without a view) is one keydown handler, and
one click handler for the page's answer and navigation buttons, per browser page, kept across
reruns. Each key it knows, and each click on one of those buttons, becomes a `Press` that
carries what the page was showing (queue page and campaign, instance key, view number) and a
number from the page's own counter (`Press.sent`: the page's id, drawn when the page is loaded,
and that number; refcat.annotate.labels files a page's presses in that order only). A click so
taken does not reach the button's own callback; that callback serves where the listener is not
running (Streamlit's AppTest, or before the listener first mounts). A browser key is done in
the page: a flag key clicks the panel's "Unsure" toggle or focuses its comment box (found by their
widget keys' classes, sent with the page's data), a player key works the player's own controls
(the desk's player, or its play button, frame slider and speed list: ids `play`, `scrub`, `speed`
in the frame that holds `#player`), and the key goes no further (the player's own key handler, which
serves pages without this listener, does not see it).

On a queue page with the desk (refcat.annotate.ui.desk), a press carries the view the desk shows, and
the desk is told of it first, so that it can show the next instance; the press is then sent once the
browser has drawn that (or after 100 ms, as a hidden page draws nothing), because Streamlit's work on a
sent value holds up the frame. While the desk shows an instance the server has not drawn yet, clicks on the
answer buttons do nothing (they belong to the instance drawn before), and a flag key waits for the flag panel
of the instance it was meant for (refcat.annotate.ui.desk `D.flag`). A press the
desk showed at once (it moved to another instance) says so (`moved`), with its age when sent (`age`, ms
since it was made), so that the server knows when the browser showed the instance it moved to
(`Press.shown_at`: the start of that instance's time on item, refcat.annotate.state).

The listener sends every press not yet acknowledged with each new press, so a press is never lost when Streamlit merges
quick requests into one run; the server acknowledges the last press it handled (`acked`), and
presses up to it are dropped. While Streamlit redraws the panel the listener may be unmounted
for a moment: presses made then carry what the last mount showed and are sent at the next mount
if it is the same queue page at the same address (else dropped). Keys typed into a text field,
with Ctrl, Alt or Meta held, or repeated by holding a key down (but for the player keys) are left alone;
Esc in a text field leaves it (the comment box would otherwise keep every key). A comment typed and not
added holds the first press made after it (moving on would drop it), with a note that says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import streamlit as st

from refcat.annotate.labels import Sent, store_time_ago
from refcat.annotate.ui.video_view import PLAYER_KEYS
from refcat.taxonomy import CATEGORY_NAMES, FIELD_VALUES, NO, YES

_NUMBERED = ("difficulty", "correctness", "information")
CATEGORY_KEYS = {
    "appearance": "A",
    "location": "L",
    "motion": "M",
    "obj-motion": "O",
    "static": "S",
    "obj-static": "T",
    "category": "N",
}
PREVIOUS, NEXT, UNDO = "Left", "Right", "U"
ANSWER, MOVE_BACK, MOVE_ON, TAKE_BACK = "answer", "previous", "next", "undo"  # the actions of a press
FLAG, PLAYER = "flag", "player"  # the actions of a browser key (module doc)
UNSURE_KEY, COMMENT_KEY = "F", "W"
# The player's control a player key works (module doc), by the key as PLAYER_KEYS lists it.
_PLAYER_COMMANDS = {"Space": "toggle", ",": "back", ".": "forward", "<": "slower", ">": "faster"}
# key -> (action, command, what it does), for every browser key
BROWSER_KEYS: dict[str, tuple[str, str, str]] = {
    UNSURE_KEY: (FLAG, "unsure", 'Turn "Unsure" on or off'),
    COMMENT_KEY: (FLAG, "comment", "Write a comment (Ctrl+Enter adds it, Esc leaves the box)"),
    **{key: (PLAYER, _PLAYER_COMMANDS[key], what) for key, what in PLAYER_KEYS.items()},
}
KEY_SYMBOLS = {PREVIOUS: "←", NEXT: "→"}
MAX_PENDING = 256  # presses a page may have waiting; more is not a page of this app
_MAX_TEXT = 320  # the longest instance key (refcat.store.schema.InstanceRow.key)


def answer_shortcuts() -> dict[tuple[str, str], str]:
    """(field, value) -> key, for every field and value of the taxonomy."""
    keys: dict[tuple[str, str], str] = {}
    number = 1
    for field in _NUMBERED:
        for value in FIELD_VALUES[field]:
            keys[(field, value)] = str(number)
            number += 1
    for field in CATEGORY_NAMES:
        keys[(field, YES)] = CATEGORY_KEYS[field]
        keys[(field, NO)] = "Shift+" + CATEGORY_KEYS[field]
    return keys


ANSWER_KEYS = answer_shortcuts()


def with_key(label: str, key: str) -> str:
    """A button label that shows its keyboard shortcut."""
    return f"{label} `{KEY_SYMBOLS.get(key, key)}`"


NAV_BUTTONS = {"prev": MOVE_BACK, "next": MOVE_ON, "undo": TAKE_BACK}  # name in a button's key -> action


def answer_button_key(prefix: str, field: str, value: str) -> str:
    return f"{prefix}:{field}:{value}"


def nav_button_key(prefix: str, name: str) -> str:
    return f"{prefix}:{name}"


def button_class(key: str) -> str:
    """The CSS class Streamlit gives the element of the widget with this key."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


@dataclass(frozen=True)
class Press:
    """One press on a queue page: `action` (ANSWER, MOVE_BACK, MOVE_ON or TAKE_BACK), `page` (the
    queue page and campaign it was made on, e.g. "annotate:demo"), `instance` and `view` (the key of the instance
    that page showed when it was pressed, and its view number, refcat.annotate.ui.navigation.View),
    `field` and `value` for an answer, and `sent` (browser page and press number) for a press the
    key listener sent; None for a click that reached the button's own callback. `shown_at`: when the
    browser showed the instance the press moved to (the desk moved at once), on the server's clock;
    None when it did not, or when that is not known."""

    action: str
    page: str
    instance: str
    view: int
    field: str = ""
    value: str = ""
    sent: Sent | None = None
    shown_at: datetime | None = None


def key_actions(fields: Sequence[str]) -> dict[str, dict[str, str]]:
    """Key -> what it does on a page that asks `fields`: the press it makes ({"action", and "field",
    "value" for an answer}), or for a browser key {"action": FLAG or PLAYER, "command"}."""
    keys: dict[str, dict[str, str]] = {
        PREVIOUS: {"action": MOVE_BACK},
        NEXT: {"action": MOVE_ON},
        UNDO: {"action": TAKE_BACK},
    }
    for field in fields:
        for value in FIELD_VALUES[field]:
            keys[ANSWER_KEYS[(field, value)]] = {"action": ANSWER, "field": field, "value": value}
    for key, (action, command, _) in BROWSER_KEYS.items():
        keys[key] = {"action": action, "command": command}
    return keys


def button_actions(fields: Sequence[str], answer_prefix: str, nav_prefix: str) -> dict[str, dict[str, str]]:
    """CSS class of a button -> the press a click on it makes, for the answer buttons of `fields`
    (keys `answer_button_key(answer_prefix, ...)`) and the navigation bar (`nav_button_key(nav_prefix, ...)`)."""
    buttons = {
        button_class(nav_button_key(nav_prefix, name)): {"action": action} for name, action in NAV_BUTTONS.items()
    }
    for field in fields:
        for value in FIELD_VALUES[field]:
            press = {"action": ANSWER, "field": field, "value": value}
            buttons[button_class(answer_button_key(answer_prefix, field, value))] = press
    return buttons


def _text(value: object, longest: int) -> str | None:
    return value if isinstance(value, str) and len(value) <= longest else None


_PRESS_TEXTS = (("page", None), ("instance", None), ("field", ""), ("value", ""))  # (name, default)
# A press older than this when it arrives waited in the browser (a page offline, asleep): when the browser showed
# what it moved to is then left unknown (the server's draw stands for it), as a sent age is the browser's word.
MAX_AGE_MS = 10_000


def parse_presses(raw: object) -> tuple[str, list[Press]] | None:
    """(browser page id, presses in the order of their numbers) from what the key listener sent
    (`{"client": id, "presses": [{"seq", "action", "page", "instance", "view", "field", "value",
    "moved", "age"}, ...]}`, the last two optional: whether the desk showed the press's move at once, and
    the press's age in ms when sent, from which its `shown_at` is reckoned); None when `raw` is not such a
    value. The id and numbers are checked by refcat.annotate.labels when a press is filed."""
    if not isinstance(raw, dict):
        return None
    client, items = _text(raw.get("client"), _MAX_TEXT), raw.get("presses")
    if client is None or not isinstance(items, list) or len(items) > MAX_PENDING:
        return None
    presses = []
    for item in items:
        if not isinstance(item, dict):
            return None
        seq, view, action = item.get("seq"), item.get("view"), item.get("action")
        moved, age = item.get("moved", False), item.get("age", 0)
        texts = [_text(item.get(name, default), _MAX_TEXT) for name, default in _PRESS_TEXTS]
        if type(seq) is not int or type(view) is not int or None in texts:
            return None
        if action not in (ANSWER, MOVE_BACK, MOVE_ON, TAKE_BACK) or type(moved) is not bool or type(age) is not int:
            return None
        page, instance, field, value = (str(t) for t in texts)
        shown_at = store_time_ago(age) if moved and 0 <= age <= MAX_AGE_MS else None
        presses.append(Press(action, page, instance, view, field, value, Sent(client, seq), shown_at))
    return client, sorted(presses, key=lambda p: p.sent.seq if p.sent else 0)


# One state per browser page (globalThis), kept across reruns and remounts: the page id, the press
# counter, the presses not yet acknowledged, the live mount (its data and sender) or, between an
# unmount and the next mount, the parked data of the last one.
_JS = """
const S = (globalThis.__refcatPresses ??= {
  client: Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join(""),
  seq: 0,
  sent: 0,
  pending: [],
  live: null,
  parked: null,
  listening: false,
});
const ARROWS = { ArrowLeft: "Left", ArrowRight: "Right", " ": "Space" };
const FIELDS = new Set(["INPUT", "TEXTAREA", "SELECT"]);

function keyName(e) {
  const digit = /^(?:Digit|Numpad)(\\d)$/.exec(e.code || "");
  if (digit) return digit[1];
  if (ARROWS[e.key]) return ARROWS[e.key];
  if (typeof e.key !== "string") return null;
  if (/^[a-z]$/i.test(e.key)) return (e.shiftKey ? "Shift+" : "") + e.key.toUpperCase();
  if (/^[^\\w\\s]$/.test(e.key)) return e.key;  // a sign, as typed ("<" is Shift + "," on many keyboards)
  return null;
}

// The browser keys (module doc): each returns whether it found what it works on.
const FLAG = {
  unsure: (flags) => click(document.querySelector("." + flags.unsure + " input[type=checkbox]")),
  comment: (flags) => {
    const box = document.querySelector("." + flags.text + " textarea");
    if (box) box.focus();
    return !!box;
  },
};
const PLAYER = {
  toggle: (doc) => click(doc.getElementById("play")),
  back: (doc) => step(doc, -1),
  forward: (doc) => step(doc, 1),
  slower: (doc) => pick(doc, -1),
  faster: (doc) => pick(doc, 1),
};

function click(element) {
  if (element) element.click();
  return !!element;
}

function step(doc, by) {
  const scrub = doc.getElementById("scrub");
  if (!scrub) return false;
  scrub.value = String(Number(scrub.value) + by);
  scrub.dispatchEvent(new Event("input"));
  return true;
}

function pick(doc, by) {
  const speed = doc.getElementById("speed");
  if (!speed) return false;
  speed.selectedIndex = Math.max(0, Math.min(speed.options.length - 1, speed.selectedIndex + by));
  speed.dispatchEvent(new Event("change"));
  return true;
}

function player() {
  for (const frame of document.querySelectorAll("iframe")) {
    let doc = null;
    try {
      doc = frame.contentDocument;
    } catch (err) {
      doc = null;
    }
    if (doc && doc.getElementById("player")) return doc;
  }
  return null;
}

// The desk of this queue page (refcat.annotate.ui.desk), when it is drawn.
function desk(data) {
  const D = globalThis.__refcatDesk;
  return D && D.live ? D.live(data.page) : null;
}

function browserKey(action, data) {
  const shown = desk(data);
  if (action.action === "flag") {
    const run = (flags) => FLAG[action.command](flags);
    return shown ? shown.flag(run) : run(data.flags);
  }
  if (shown && shown.player) {
    shown.player.run(action.command);
    return true;
  }
  const doc = player();
  return !!doc && PLAYER[action.command](doc);
}

function typing(e) {
  const target = e.composedPath()[0];
  return target instanceof Element && (FIELDS.has(target.tagName) || target.isContentEditable);
}

function send() {
  S.sent = S.seq;
  const now = performance.now();
  const presses = S.pending.map(({ made, ...p }) => ({ ...p, age: Math.round(now - made) }));
  S.live.send({ client: S.client, presses });
}

// A comment typed in the drawn flag panel's box and not added (Ctrl+Enter) is dropped when the page moves on:
// the first press after it was typed is held, and a note says so (fixed on the page, outside Streamlit's
// elements); the next press goes on. True when `data`'s press is held.
function heldForComment(data) {
  document.querySelectorAll(".refcat-unsent").forEach((note) => note.remove());
  const box = data.flags ? document.querySelector("." + data.flags.text + " textarea") : null;
  const text = box ? box.value.trim() : "";
  if (!text) S.warned = null;
  if (!text || S.warned === text) return false;
  S.warned = text;
  const note = document.body.appendChild(document.createElement("div"));
  note.className = "refcat-unsent";
  note.setAttribute("role", "alert");
  note.textContent = "Your comment is not added yet: W goes back to it, Ctrl+Enter adds it. "
    + "Press the key again to go on without it.";
  Object.assign(note.style, { position: "fixed", bottom: "1.5rem", left: "50%", transform: "translateX(-50%)",
    background: "#fff4e5", color: "#5f3b00", border: "1px solid #f0b45a", borderRadius: "0.5rem",
    padding: "0.6rem 1rem", zIndex: 1000, maxWidth: "40rem" });
  setTimeout(() => note.remove(), 8000);
  return true;
}

// A press on what the page shows (the live mount's data; between mounts, the last one's, sent at the next mount).
function record(action) {
  const data = (S.live ?? S.parked).data;
  if (heldForComment(data)) return;
  const live = desk(data), shown = live ? live.viewFor() : { key: data.instance, number: data.view };
  S.seq += 1;
  const press = { ...action, seq: S.seq, page: data.page, instance: shown.key, view: shown.number,
                  path: location.pathname, made: performance.now(), moved: false };
  S.pending.push(press);
  if (live) {
    const before = live.view;
    live.press(press);
    press.moved = live.view !== before;  // the desk moved to another view at once
  }
  if (S.live && !S.flushing) {
    // Sent once the browser has drawn what the press changed (the desk's next instance): Streamlit's own
    // work on a sent value would hold up that frame. A hidden page draws no frame, so a timer sends it too.
    S.flushing = true;
    const flush = () => {
      if (!S.flushing) return;
      S.flushing = false;
      if (S.live && S.seq > S.sent) send();
    };
    requestAnimationFrame(() => setTimeout(flush, 0));
    setTimeout(flush, 100);
  }
}

// Ctrl+Enter in a text box is Streamlit's "submit" (the comment box): once Streamlit has taken it, the box
// lets go of the focus, so that the next key is the page's again and is not typed into the box.
function submitted(e) {
  const target = e.composedPath()[0];
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && target instanceof HTMLTextAreaElement) {
    setTimeout(() => target.blur(), 0);
  }
}

function onKey(e) {
  submitted(e);
  if (e.key === "Escape" && typing(e)) {  // leaves the text field, so that the next key is the page's again
    e.composedPath()[0].blur();
    return;
  }
  const source = S.live ?? S.parked;
  if (!source || e.ctrlKey || e.metaKey || e.altKey || e.isComposing || typing(e)) return;
  const name = keyName(e);
  const action = name && source.data.keys[name];
  if (!action || (e.repeat && action.action !== "player")) return;  // a key held down: only the player's repeat
  if (action.action === "flag" || action.action === "player") {
    if (!browserKey(action, source.data)) return;
    e.stopImmediatePropagation();
  } else record(action);
  e.preventDefault();
}

function onClick(e) {
  const source = S.live ?? S.parked;
  const button = source && e.target instanceof Element ? e.target.closest("button") : null;
  const box = button && !button.disabled ? button.closest('[class*="st-key-"]') : null;
  const action = box && [...box.classList].map((name) => source.data.buttons[name]).find(Boolean);
  if (!action) return;
  e.preventDefault();
  e.stopPropagation();  // the press goes in order with the keys, not through the button's own callback
  const shown = desk(source.data);
  if (action.action === "answer" && shown && shown.moving()) return;  // a button drawn for another instance
  record(action);
}

export default function (component) {
  const { data, setStateValue } = component;
  S.live = { data, send: (value) => setStateValue("presses", value) };
  S.parked = null;
  if (data.client === S.client) S.pending = S.pending.filter((p) => p.seq > data.acked);
  if (S.seq > S.sent) {
    // Presses made between two mounts go on only if made on this page.
    const parked = S.pending.filter((p) => p.seq > S.sent);
    const here = parked.every((p) => p.page === data.page && p.path === location.pathname);
    if (here) send();
    else {
      S.pending = S.pending.filter((p) => p.seq <= S.sent);
      S.sent = S.seq;
    }
  }
  const shown = desk(data);
  if (shown) shown.sync();
  if (!S.listening) {
    document.addEventListener("keydown", onKey, true);  // first: a browser key goes no further
    document.addEventListener("click", onClick, true);
    S.listening = true;
  }
  return () => {
    if (S.live && S.live.data === data) {
      S.parked = { data };
      S.live = null;
    }
  };
}
"""
_LISTENER = st.components.v2.component("refcat_keys", js=_JS, isolate_styles=False)


def key_listener(
    key: str,
    page: str,
    instance: str,
    view: int,
    keys: dict[str, dict[str, str]],
    buttons: dict[str, dict[str, str]],
    flags: dict[str, str],
    acked: tuple[str, int] | None,
    on_presses: Callable[[], None],
) -> None:
    """The key listener of queue page `page` (page and campaign, as `Press.page`) showing
    `instance` in view number `view`, with the
    presses of its `keys` (`key_actions`) and `buttons` (`button_actions`); `flags` names the
    classes of the flag panel's widgets ({"unsure": toggle, "text": comment box}, `button_class`
    of their keys) for the flag keys; `acked` is (browser
    page id, number) of the last press handled. `on_presses` runs (as a Streamlit callback, before
    the next run) when presses arrive; they are then `parse_presses(presses(key))`."""
    client, last = acked or (None, 0)
    data = {"page": page, "instance": instance, "view": view, "keys": keys, "buttons": buttons, "flags": flags}
    _LISTENER(key=key, data={**data, "client": client, "acked": last}, on_presses_change=on_presses)


def presses(key: str) -> object:
    """What the key listener `key` last sent (None before its first press)."""
    state = st.session_state.get(key)
    return None if state is None else state.get("presses")
