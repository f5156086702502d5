"""A queue page (Annotate, Revise) in a Playwright browser: logging in, what it shows, and whether the
app has handled every key press (the key listener of refcat.annotate.ui.shortcuts has nothing pending
and the script is not running). The caption read is the page's "campaign · instance key" line (the desk's,
or Streamlit's caption where frames are inline)."""

from __future__ import annotations

from helpers.app_server import wait_until

CAMPAIGN = "demo"  # the demo store's campaign (refcat.annotate.demo_project)

# Presses `keys` (Playwright's names) in the page, key i at `gap` * i ms after the first, each scheduled on its
# own (so the browser draws and talks to the server in between, as between a person's key presses).
PRESS_IN_PAGE = """
([keys, gap]) => new Promise((resolve) => {
  const fire = (name) => {
    const shift = name.startsWith("Shift+");
    const key = shift ? name.slice(6) : name;
    const code = /^[0-9]$/.test(key) ? "Digit" + key : /^[a-z]$/i.test(key) ? "Key" + key.toUpperCase() : key;
    for (const type of ["keydown", "keyup"]) {
      const init = { key, code, shiftKey: shift, bubbles: true, cancelable: true };
      document.body.dispatchEvent(new KeyboardEvent(type, init));
    }
  };
  keys.forEach((name, i) => (gap === 0 ? fire(name) : setTimeout(() => fire(name), i * gap)));
  setTimeout(resolve, keys.length * gap + 1);
})
"""


def log_in(page, base: str, name: str) -> None:
    """Log in as demo account `name` (its password is its name) and wait for the Annotate page."""
    page.goto(base + "/")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(name)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Correctness").first.wait_for(timeout=20_000)


def caption(page) -> str | None:
    """The instance key the page shows (None while it shows none)."""
    return page.evaluate(
        """(prefix) => [...document.querySelectorAll('.refcat-desk-caption, [data-testid="stCaptionContainer"]')]
             .map((c) => c.innerText).find((t) => t.startsWith(prefix))?.slice(prefix.length).trim() ?? null""",
        f"{CAMPAIGN} · ",
    )


def settled(page) -> bool:
    """The app has handled every key press and drawn the page since (its key listener has nothing pending,
    and the desk of refcat.annotate.ui.desk, if any, shows what the server drew), and a person could have
    seen it: the desk's grace after it advanced by itself is over (a key pressed sooner counts for the
    instance before)."""
    state = page.evaluate(
        """() => { const s = globalThis.__refcatPresses, d = globalThis.__refcatDesk;
                   const drawn = !document.body.classList.contains('refcat-moving');
                   const seen = !d || !d.before || performance.now() - d.advancedAt >= d.grace;
                   return s ? [s.pending.length, !!s.live && drawn && seen] : null; }"""
    )
    script = page.evaluate(
        "() => document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state')"
    )
    return state is not None and state == [0, True] and script == "notRunning"


def open_at(page, base: str, key: str) -> None:
    """Load the Annotate page on `key` (a new tab session) and wait until its key listener is live."""
    page.goto(f"{base}/?instance={key}")
    wait_until(page, lambda: settled(page) and caption(page) == key, f"the page on {key}")
