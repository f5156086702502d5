"""The `?` overlay: every keyboard shortcut of the annotation pages, shown over the page.

`hotkey_rows` lists the shortcuts from refcat.annotate.ui.shortcuts: every key `key_actions`
knows, for every field of the taxonomy (answers, moving, the flag and player keys), and nothing
else but the overlay's own keys, so the list and the keys the page's listener routes are one set;
`help_overlay` mounts the overlay (a Streamlit component with a "Keyboard shortcuts (?)" button).
The overlay opens and closes with `?` (not while typing in a text field, nor with Ctrl, Alt or Meta
held); Escape or a click beside its panel closes it. Its text is set as DOM text (never parsed as
HTML). The key handler is one per browser page, kept across reruns; it does nothing while no
overlay is mounted (on a page without one).
"""

from __future__ import annotations

import streamlit as st

from refcat.annotate.ui.shortcuts import (
    BROWSER_KEYS,
    FLAG,
    KEY_SYMBOLS,
    MOVE_BACK,
    MOVE_ON,
    PLAYER,
    TAKE_BACK,
    key_actions,
)
from refcat.annotate.ui.widgets import FIELD_TITLES, VALUE_LABELS
from refcat.taxonomy import FIELD_VALUES

HELP_KEY = "?"
MOVING = "Moving and undoing"
OWN_KEYS = {HELP_KEY: "Show or hide the keyboard shortcuts", "Esc": "Close it"}  # handled by the overlay's script
_ACTIONS = {MOVE_BACK: "Previous instance", MOVE_ON: "Next instance", TAKE_BACK: "Undo the last answer"}
_GROUPS = {FLAG: "Flags", PLAYER: "Player"}  # the group of a browser key, by its action
_ORDER = (MOVING, *_GROUPS.values())  # after the answers, the groups in this order


def hotkey_rows() -> list[tuple[str, str, str]]:
    """(group, key as shown, what it does) for every shortcut, the overlay's own keys last."""
    rows = []
    for key, press in key_actions(list(FIELD_VALUES)).items():
        shown = KEY_SYMBOLS.get(key, key)
        if "field" in press:
            field, value = press["field"], press["value"]
            rows.append((FIELD_TITLES.get(field, field), shown, VALUE_LABELS.get(value, value)))
        elif press["action"] in _GROUPS:
            rows.append((_GROUPS[press["action"]], shown, BROWSER_KEYS[key][2]))
        else:
            rows.append((MOVING, shown, _ACTIONS.get(press["action"], press["action"])))
    # answers first, in the taxonomy's order, then the other groups (a stable sort)
    rows.sort(key=lambda row: _ORDER.index(row[0]) + 1 if row[0] in _ORDER else 0)
    rows += [("This list", key, what) for key, what in OWN_KEYS.items()]
    return rows


_HTML = (
    '<button type="button" class="refcat-help-open" title="Keyboard shortcuts" style="font: inherit; '
    "font-size: 0.85rem; padding: 0.15rem 0.6rem; border: 1px solid rgba(49,51,63,0.25); border-radius: 0.5rem; "
    'background: transparent; color: inherit; cursor: pointer">Keyboard shortcuts (?)</button>'
)
_JS = """
const H = (globalThis.__refcatHelp ??= { rows: [], box: null, open: false, mounted: 0, listening: false });
const FIELDS = new Set(["INPUT", "TEXTAREA", "SELECT"]);

function styled(tag, style, text) {
  const el = document.createElement(tag);
  Object.assign(el.style, style);
  if (text !== undefined) el.textContent = text;
  return el;
}

function show(open) {
  H.open = open;
  if (H.box) H.box.style.display = open ? "flex" : "none";
}

function build() {
  if (!H.box) {
    H.box = styled("div", { position: "fixed", inset: "0", zIndex: "1000000", background: "rgba(0,0,0,0.45)",
                            display: "none", alignItems: "center", justifyContent: "center" });
    H.box.className = "refcat-help";
    H.box.setAttribute("role", "dialog");
    H.box.setAttribute("aria-label", "Keyboard shortcuts");
    H.box.addEventListener("click", (e) => { if (e.target === H.box) show(false); });
    document.body.appendChild(H.box);
  }
  const panel = styled("div", { background: "white", color: "black", padding: "1rem 1.5rem", borderRadius: "8px",
                                maxHeight: "85vh", overflowY: "auto", width: "min(44rem, 92vw)", fontSize: "0.95rem" });
  panel.appendChild(styled("h3", { marginTop: "0" }, "Keyboard shortcuts"));
  const groups = styled("div", { columnCount: "2", columnGap: "2rem" });
  let table = null;
  let group = null;
  for (const [name, key, what] of H.rows) {
    if (name !== group) {  // one small table per group, never split between the two columns
      group = name;
      table = groups.appendChild(styled("table", { borderCollapse: "collapse", breakInside: "avoid",
                                                   marginBottom: "0.6em" }));
      table.createCaption().appendChild(styled("strong", { display: "block", textAlign: "left" }, name));
    }
    const row = table.insertRow();
    const kbd = { fontFamily: "monospace", border: "1px solid #999", borderRadius: "3px", padding: "0 0.3em" };
    row.appendChild(styled("td", { padding: "0.1em 1em 0.1em 0" })).appendChild(styled("kbd", kbd, key));
    row.appendChild(styled("td", {}, what));
  }
  panel.appendChild(groups);
  H.box.replaceChildren(panel);
  show(H.open);
}

function onKey(e) {
  if (!H.mounted || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
  const target = e.composedPath()[0];
  if (target instanceof Element && (FIELDS.has(target.tagName) || target.isContentEditable)) return;
  if (e.key === "?") {
    e.preventDefault();
    show(!H.open);
  } else if (e.key === "Escape" && H.open) {
    e.preventDefault();
    show(false);
  }
}

export default function (component) {
  const { data, parentElement } = component;
  H.rows = data.rows;
  H.mounted += 1;
  build();
  const button = parentElement.querySelector("button.refcat-help-open");
  if (button) button.onclick = () => show(true);
  if (!H.listening) {
    document.addEventListener("keydown", onKey);
    H.listening = true;
  }
  return () => {
    H.mounted -= 1;
    if (!H.mounted) show(false);
  };
}
"""
_OVERLAY = st.components.v2.component("refcat_help", html=_HTML, js=_JS, isolate_styles=False)


def help_overlay(key: str = "help_overlay") -> None:
    """Mount the `?` overlay (with its button) where it is called."""
    _OVERLAY(key=key, data={"rows": [list(row) for row in hotkey_rows()]})
