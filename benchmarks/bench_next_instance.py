"""Moving to the next instance on the annotate page: time and memory, against a cold decode.

Measured on the demo data (written to a temporary folder unless --data/--db name an existing
demo dataset and store), walking ann1's queue of the demo campaign in order:

- cold (baseline): the instance's view built from nothing: every frame decoded from disk,
  the referent's box drawn, the frames JPEG-encoded (the object's clip) and the player HTML built;
- next, prefetched (the app's path): the page's store reads (`find_place`; `load_page`: the RE, questions,
  answers) plus the view, which the previous page asked for in the background (`ViewCache.prefetch`) and which
  the annotator's answering time lets finish (the benchmark waits for it, and reports how
  long the background build took, to compare with the seconds an annotator spends);
- next, not prefetched: the same with prefetching off (frames of the same video are reused);
- full page run: one Streamlit run of the whole app after pressing Next (AppTest), which adds
  the widget tree to the above;
- the clip route (refcat/annotate/ui/clips.py) answering a player's two requests for a cached
  clip, through Starlette's router: the first frame, then all frames (each checks the session).

Everything runs as `streamlit run serve.py` serves it: the players carry the addresses of the
clip route (`clip_routes()` is called, as serve.py does), not the frames; the player's HTML per
instance is printed for both ways (addresses, and frames inline as without serve.py).

For the full page runs the SQL statements each run sends to the store are counted too (SQLAlchemy's
`before_cursor_execute` event on the app's engine). `--pages-only` times only those runs;
`--baseline DIR` runs the same page runs first with the refcat of another checkout (e.g. a git worktree
of HEAD: `git worktree add --detach /tmp/p_base HEAD`), in a subprocess over the same store and data, and
then alternates with this checkout's runs (`--rounds`), so both see the same machine load.

Peak memory is tracemalloc's peak over a pass of the app's path (Python allocations, numpy
frames included) and the process's peak RSS. Target: p95 of the next-instance time < 300 ms.
Run: .venv/bin/python benchmarks/bench_next_instance.py [--steps N] [--pages-only] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from refcat.annotate.accounts import authenticate, get_user
from refcat.annotate.campaigns import get_campaign
from refcat.annotate.demo_project import build_demo_store
from refcat.annotate.labels import queue
from refcat.annotate.state import LABEL_ROUND
from refcat.annotate.ui import session
from refcat.annotate.ui.annotate import load_page
from refcat.annotate.ui.clips import clip_route_path, clip_routes
from refcat.annotate.ui.navigation import find_place
from refcat.annotate.ui.session import COOKIE
from refcat.annotate.ui.video_view import ViewCache, data_roots
from refcat.demo.generator import write_demo_dataset
from refcat.store.database import open_store

ROOT = Path(__file__).resolve().parents[1]


def percentiles(ms: list[float]) -> tuple[float, float]:
    """(p50, p95) by linear interpolation between order statistics."""
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return cuts[49], cuts[94]


def demo(folder: Path, data: str | None, db: str | None) -> tuple[str, Path]:
    if data and db:
        return db, Path(data)
    root = write_demo_dataset(folder / "demo")
    url = f"sqlite:///{folder / 'demo.db'}"
    build_demo_store(url, root)[0].dispose()
    return url, Path(root)


def served(views: ViewCache) -> ViewCache:
    """`views` with its players asking the clip route for their frames, as under serve.py."""
    views.frame_route = clip_route_path()
    return views


def route_times(keys: list[str], steps: int) -> tuple[list[float], list[float]]:
    """Times (ms) of the clip route's answers to a player's two requests (first frame, all frames) for
    the clips of `keys`, cached, with a live session; the app's ViewCache and store (session.py)."""
    from starlette.applications import Starlette

    app = Starlette(routes=clip_routes())
    token = authenticate(session.store(), "ann1", "ann1")

    async def get(path: str) -> float:
        scope: dict[str, object] = {
            "type": "http",
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
        }
        scope |= {"raw_path": path.encode(), "query_string": b"", "root_path": "", "server": ("127.0.0.1", 8501)}
        scope["headers"] = [(b"cookie", f"{COOKIE}={token}".encode())]
        status = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])

        start = time.perf_counter()
        await app(scope, receive, send)
        assert status == [200], (path, status)
        return (time.perf_counter() - start) * 1000

    first, every = [], []
    for key in keys[:steps]:
        clip = session.views().view(key).clip
        first.append(asyncio.run(get(f"{clip_route_path()}/{clip.path('0.jpg')}")))
        every.append(asyncio.run(get(f"{clip_route_path()}/{clip.path('frames')}")))
    return first, every


def walk(store, roots, keys, user, prefetch: bool) -> tuple[list[float], list[float]]:
    """Times (ms) of moving to each key in turn, and of the background builds."""
    views = served(ViewCache(store, roots))
    campaign = get_campaign(store, "demo")
    moves, background = [], []
    for i, key in enumerate(keys):
        start = time.perf_counter()
        place = find_place(store, user, campaign, key, "annotate", LABEL_ROUND)
        assert place is not None
        load_page(store, user, place)
        views.view(key)
        moves.append((time.perf_counter() - start) * 1000)
        if prefetch and i + 1 < len(keys):
            start = time.perf_counter()
            job = views.prefetch(keys[i + 1])
            if job is not None:
                job.result()  # the annotator answers meanwhile
            background.append((time.perf_counter() - start) * 1000)
    return moves, background


def page_runs(steps: int, app: Path = ROOT / "app.py") -> tuple[list[float], list[int]]:
    """Times (ms) and SQL statement counts of full runs of `app` after Next, over $REFCAT_DB and
    $REFCAT_DATA, with the players of the app's ViewCache pointed at the clip route (`route_times`
    or `main` called `clip_routes()` before)."""
    from sqlalchemy import event
    from streamlit.testing.v1 import AppTest

    assert session.views().frame_route == clip_route_path()
    statements = [0]

    def count(*_args: object) -> None:
        statements[0] += 1

    event.listen(session.store().engine, "before_cursor_execute", count)
    at = AppTest.from_file(str(app), default_timeout=120).run()
    at.text_input(key="login_name").input("ann1")
    at.text_input(key="login_password").input("ann1")
    at.button[0].click()
    at.run()
    times, counts = [], []
    for _ in range(steps):
        next_button = next(b for b in at.button if b.key == "nav:next")
        next_button.click()
        statements[0] = 0
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1000)
        counts.append(statements[0])
        time.sleep(0.5)  # let the prefetch of the following instance finish, as an annotator would
    event.remove(session.store().engine, "before_cursor_execute", count)
    return times, counts


def baseline_runs(code: Path, steps: int, url: str, data: Path) -> tuple[list[float], list[int]]:
    """`page_runs` with the refcat and app.py of the checkout `code`, in a subprocess (this file,
    `--emit-pages`), over a copy of the store at `url` (a Next writes views), on `data`."""
    env = {**os.environ, "PYTHONPATH": str(code), "REFCAT_DB": url, "REFCAT_DATA": str(data)}
    args = [sys.executable, __file__, "--emit-pages", str(steps), "--app", str(code / "app.py")]
    out = subprocess.run(args, env=env, cwd=code, check=True, capture_output=True, text=True).stdout
    times, counts = json.loads(out.strip().splitlines()[-1])
    return times, counts


def copy_store(url: str, folder: Path, name: str) -> str:
    """A copy of the SQLite store at `url` (sqlite:///PATH) in `folder`, so each series starts alike."""
    import shutil

    target = folder / f"{name}.db"
    shutil.copyfile(url.removeprefix("sqlite:///"), target)
    return f"sqlite:///{target}"


def print_pages(name: str, times: list[float], counts: list[int]) -> None:
    p50, p95 = percentiles(times)
    sql = f"SQL statements per run: median {statistics.median(counts):.0f}, max {max(counts)}"
    print(f"{name:34s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {sql}")


def compare_pages(args: argparse.Namespace, url: str, data: Path, folder: Path) -> None:
    """Page runs only: this checkout's, and with `--baseline` the other checkout's, alternating."""
    mine_t: list[float] = []
    mine_c: list[int] = []
    base_t: list[float] = []
    base_c: list[int] = []
    for r in range(args.rounds):
        if args.baseline:
            t, c = baseline_runs(Path(args.baseline), args.page_steps, copy_store(url, folder, f"base{r}"), data)
            base_t += t
            base_c += c
        t, c = baseline_runs(ROOT, args.page_steps, copy_store(url, folder, f"mine{r}"), data)
        mine_t += t
        mine_c += c
    print(f"full page runs after Next (AppTest), {args.rounds} x {args.page_steps} each, alternating")
    if args.baseline:
        print_pages(f"baseline ({args.baseline})", base_t, base_c)
    print_pages("this checkout", mine_t, mine_c)
    if args.baseline:
        print(f"p50 ratio this / baseline: {percentiles(mine_t)[0] / percentiles(base_t)[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="instances to walk (default %(default)s)")
    parser.add_argument("--page-steps", type=int, default=15, help="full page runs (default %(default)s)")
    parser.add_argument("--data", help="an existing demo dataset folder (with --db)")
    parser.add_argument("--db", help="an existing demo store (with --data)")
    parser.add_argument("--pages-only", action="store_true", help="time only the full page runs")
    parser.add_argument("--baseline", help="with --pages-only: another checkout's root to compare with")
    parser.add_argument("--rounds", type=int, default=2, help="with --pages-only: alternations (default %(default)s)")
    parser.add_argument("--emit-pages", type=int, help=argparse.SUPPRESS)  # a subprocess of `baseline_runs`
    parser.add_argument("--app", default=str(ROOT / "app.py"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.emit_pages:
        clip_routes()  # as serve.py does
        print(json.dumps(page_runs(args.emit_pages, Path(args.app))))
        return
    with tempfile.TemporaryDirectory(prefix="refcat-bench-") as folder:
        url, data = demo(Path(folder), args.data, args.db)
        if args.pages_only:
            compare_pages(args, url, data, Path(folder))
            return
        os.environ["REFCAT_DB"], os.environ["REFCAT_DATA"] = url, str(data)  # the app's store and data (session.py)
        store = open_store(url)
        roots = data_roots(str(data))
        user = get_user(store, "ann1")
        keys = [item.instance_key for item in queue(store, user, "demo")][: args.steps]
        videos = {k.split("/")[1] for k in keys}

        cold = []
        for key in keys:
            start = time.perf_counter()
            served(ViewCache(store, roots)).build(key)
            cold.append((time.perf_counter() - start) * 1000)
        inline = ViewCache(store, roots)
        html_inline = statistics.mean(len(inline.view(key).html) for key in keys) / 1024
        html_served = statistics.mean(len(served(inline).build(key).html) for key in keys) / 1024
        prefetched, background = walk(store, roots, keys, user, prefetch=True)
        plain, _ = walk(store, roots, keys, user, prefetch=False)

        tracemalloc.start()
        walk(store, roots, keys, user, prefetch=True)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        first, every = route_times(keys, args.steps)
        pages, statements = page_runs(args.page_steps)
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"demo data: {len(keys)} instances of {len(videos)} videos, frames decoded from JPEG")
    _, c95 = percentiles(cold)
    print(f"{'':34s}{'p50 ms':>9s}{'p95 ms':>9s}{'p95 / cold p95':>16s}")
    for name, times in (
        ("cold build (baseline)", cold),
        ("next, prefetched (app)", prefetched),
        ("next, not prefetched", plain),
        ("background prefetch build", background),
        ("full page run after Next (AppTest)", pages),
        ("clip route: first frame (cached)", first),
        ("clip route: all frames (cached)", every),
    ):
        p50, p95 = percentiles(times)
        print(f"{name:34s}{p50:9.1f}{p95:9.1f}{p95 / c95:16.3f}")
    print(f"player HTML per instance: {html_served:.1f} KiB with the clip route, {html_inline:.1f} KiB frames inline")
    print(f"SQL statements per full page run: median {statistics.median(statements):.0f}, max {max(statements)}")
    print(f"peak traced memory over the app's path: {peak / 2**20:.1f} MiB; process peak RSS: {rss_mib:.0f} MiB")
    p95 = percentiles(pages)[1]
    print(f"target p95 < 300 ms for a full page run: {'met' if p95 < 300 else 'NOT met'} ({p95:.0f} ms)")


if __name__ == "__main__":
    main()
