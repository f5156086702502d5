"""Keyboard shortcuts of the annotation pages: one key for every answer, and for moving and undoing,
and the page's key listener, which numbers the presses so that the server takes them in order.

Conventions:
- difficulty 1 / 2, correctness 3 / 4 / 5, information 6 / 7 (in the order of the values in
  `refcat.taxonomy.FIELD_VALUES`);
- each semantic category has a letter: the letter answers "yes", Shift + the letter "no"
  (C and R are reserved by Streamlit, so "category" is N for "name");
- Left / Right: previous / next instance; U: undo the last answer.

The listener (`key_listener`, a Streamlit component without a view) is one keydown handler per
browser page, kept across reruns. Each key it knows becomes a `Press` carrying the instance key
the page was showing and a number from the page's own counter (`Press.sent`: the page's id,
drawn when the page is loaded, and that number; refcat.annotate.labels files a page's presses in
that order only). It sends every press not yet acknowledged with each new press, so a press is
never lost when Streamlit merges two quick requests into one run; the server acknowledges the
last press it handled (`acked`), and presses up to it are dropped. Keys typed into a text field,
with Ctrl, Alt or Meta held, or repeated by holding a key down are left alone. The buttons show
their key in their label; a click on a button goes through its `on_click` callback instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import streamlit as st

from refcat.annotate.labels import Sent
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


@dataclass(frozen=True)
class Press:
    """One press on a queue page: `action` (ANSWER, MOVE_BACK, MOVE_ON or TAKE_BACK), `page` (the
    queue page it was made on, e.g. "annotate"), `instance` (the key of the instance that page
    showed when it was pressed), `field` and `value` for an answer, and `sent` (browser page and
    press number) for a key press; None for a button's click."""

    action: str
    page: str
    instance: str
    field: str = ""
    value: str = ""
    sent: Sent | None = None


def key_actions(fields: Sequence[str]) -> dict[str, dict[str, str]]:
    """Key -> the press it makes ({"action", and "field", "value" for an answer}) on a page that
    asks `fields`."""
    keys: dict[str, dict[str, str]] = {
        PREVIOUS: {"action": MOVE_BACK},
        NEXT: {"action": MOVE_ON},
        UNDO: {"action": TAKE_BACK},
    }
    for field in fields:
        for value in FIELD_VALUES[field]:
            keys[ANSWER_KEYS[(field, value)]] = {"action": ANSWER, "field": field, "value": value}
    return keys


def _text(value: object, longest: int) -> str | None:
    return value if isinstance(value, str) and len(value) <= longest else None


_PRESS_TEXTS = (("page", None), ("instance", None), ("field", ""), ("value", ""))  # (name, default)


def parse_presses(raw: object) -> tuple[str, list[Press]] | None:
    """(browser page id, presses in the order of their numbers) from what the key listener sent
    (`{"client": id, "presses": [{"seq", "action", "page", "instance", "field", "value"}, ...]}`);
    None when `raw` is not such a value. The id and numbers are checked by
    refcat.annotate.labels when a press is filed."""
    if not isinstance(raw, dict):
        return None
    client, items = _text(raw.get("client"), _MAX_TEXT), raw.get("presses")
    if client is None or not isinstance(items, list) or len(items) > MAX_PENDING:
        return None
    presses = []
    for item in items:
        if not isinstance(item, dict):
            return None
        seq, action = item.get("seq"), item.get("action")
        texts = [_text(item.get(name, default), _MAX_TEXT) for name, default in _PRESS_TEXTS]
        if type(seq) is not int or action not in (ANSWER, MOVE_BACK, MOVE_ON, TAKE_BACK) or None in texts:
            return None
        page, instance, field, value = (str(t) for t in texts)
        presses.append(Press(action, page, instance, field, value, Sent(client, seq)))
    return client, sorted(presses, key=lambda p: p.sent.seq if p.sent else 0)


_JS = """
const S = (globalThis.__refcatPresses ??= {
  client: Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join(""),
  seq: 0,
  pending: [],
  live: null,
  listening: false,
});
const ARROWS = { ArrowLeft: "Left", ArrowRight: "Right" };
const FIELDS = new Set(["INPUT", "TEXTAREA", "SELECT"]);

function keyName(e) {
  const digit = /^(?:Digit|Numpad)(\\d)$/.exec(e.code || "");
  if (digit) return digit[1];
  if (ARROWS[e.key]) return ARROWS[e.key];
  if (typeof e.key === "string" && /^[a-z]$/i.test(e.key)) return (e.shiftKey ? "Shift+" : "") + e.key.toUpperCase();
  return null;
}

function typing(e) {
  const target = e.composedPath()[0];
  return target instanceof Element && (FIELDS.has(target.tagName) || target.isContentEditable);
}

function onKey(e) {
  const live = S.live;
  if (!live || e.repeat || e.ctrlKey || e.metaKey || e.altKey || e.isComposing || typing(e)) return;
  const name = keyName(e);
  const action = name && live.data.keys[name];
  if (!action) return;
  e.preventDefault();
  S.seq += 1;
  S.pending.push({ ...action, seq: S.seq, page: live.data.page, instance: live.data.instance });
  live.send({ client: S.client, presses: S.pending.slice() });
}

export default function (component) {
  const { data, setStateValue } = component;
  if (data.client === S.client) S.pending = S.pending.filter((p) => p.seq > data.acked);
  S.live = { data, send: (value) => setStateValue("presses", value) };
  if (!S.listening) {
    document.addEventListener("keydown", onKey);
    S.listening = true;
  }
  return () => {
    if (S.live && S.live.data === data) S.live = null;
  };
}
"""
_LISTENER = st.components.v2.component("refcat_keys", js=_JS, isolate_styles=False)


def key_listener(
    key: str,
    page: str,
    instance: str,
    fields: Sequence[str],
    acked: tuple[str, int] | None,
    on_presses: Callable[[], None],
) -> None:
    """The key listener of queue page `page` showing `instance` (asking `fields`); `acked` is
    (browser page id, number) of the last press handled. `on_presses` runs (as a Streamlit
    callback, before the next run) when presses arrive; they are then `parse_presses(presses(key))`."""
    client, last = acked or (None, 0)
    data = {"page": page, "instance": instance, "keys": key_actions(fields), "client": client, "acked": last}
    _LISTENER(key=key, data=data, on_presses_change=on_presses)


def presses(key: str) -> object:
    """What the key listener `key` last sent (None before its first press)."""
    state = st.session_state.get(key)
    return None if state is None else state.get("presses")
