"""Steps of the browser tests that any page needs: logging in through the form, waiting until the
app's script has finished its run, screenshots (of every page when a test fails, `shots_on_failure`),
and reading an `st.dataframe` as its user can; and on a queue page, key presses made as a person
makes them (`press_each`), with `VALID_KEYS`, the ten keys that answer every question of an instance
(`VALID`: what they answer).

An `st.dataframe` is drawn on a canvas (no cell text in the DOM), so `grid_table` reads it the way
a user gets its figures out: the toolbar's "Download as CSV". Streamlit saves that file through the
File System Access API where the browser has one (a save dialog, which a headless browser cannot
answer); `allow_grid_downloads` removes the API from a context's pages, so the file comes as an
ordinary download.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from helpers.app_server import WAIT_S, wait_until
from helpers.queue_page import settled

VALID_KEYS = ["2", "3", "a", "Shift+L", "m", "Shift+O", "s", "Shift+T", "n", "7"]  # Playwright's names
VALID = {
    "difficulty": "non-trivial",
    "correctness": "valid",
    "appearance": "yes",
    "location": "no",
    "motion": "yes",
    "obj-motion": "no",
    "static": "yes",
    "obj-static": "no",
    "category": "yes",
    "information": "minimal",
}


def log_in_form(page, base: str, name: str) -> None:
    """Log in as demo account `name` (its password is its name) through the form at the app's root."""
    page.goto(base + "/")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(name)
    page.get_by_role("button", name="Log in").click()


def idle(page) -> None:
    """Wait until the app's script has finished its run (the page shows the latest state)."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=WAIT_S * 1000,
    )


def shot(page, folder: Path, name: str) -> Path:
    """A full-page screenshot `folder/name.png`, once the app's run has finished; returns its path."""
    idle(page)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")  # fades and spinners at their end
    return path


def allow_grid_downloads(context) -> None:
    """Make the pages of a browser context (made with accept_downloads=True) save a table's CSV as a
    download (module doc)."""
    context.add_init_script("delete window.showSaveFilePicker;")


def grid_table(page, grid, index_col: str | None = None) -> pd.DataFrame:
    """The table an `st.dataframe` element (`grid`, a locator) shows, through its toolbar's CSV
    download (module doc): every cell read as text (`keep_default_na=False`: an empty cell is "")."""
    grid.hover()  # the toolbar shows over the table under the pointer
    with page.expect_download() as download:
        # Sent to the button itself: the toolbar can lie under the edge of a table drawn just above it.
        grid.get_by_role("button", name="Download as CSV").dispatch_event("click")
    return pd.read_csv(
        download.value.path(), encoding="utf-8-sig", dtype=str, keep_default_na=False, index_col=index_col
    )


def press_each(page, keys: list[str]) -> None:
    """Press `keys` on a queue page as a person does: each once the app has handled the one before."""
    for key in keys:
        page.keyboard.press(key)
        wait_until(page, lambda: settled(page), f"the app to handle {key}")


@contextmanager
def shots_on_failure(pages: dict, screens: Path) -> Iterator[None]:
    """On an exception inside, a full-page screenshot of each of `pages` (name -> page) as
    `screens/failed_<name>.png`, then the exception goes on."""
    try:
        yield
    except Exception:
        for name, page in pages.items():
            page.screenshot(path=str(screens / f"failed_{name}.png"), full_page=True)
        raise
