"""Moving to the next instance on the annotate page: time and memory, against a cold decode.

Measured on the demo data (written to a temporary folder unless --data/--db name an existing
demo dataset and store), walking ann1's queue of the demo campaign in order:

- cold (baseline): the instance's view built from nothing: every frame decoded from disk,
  the referent's box drawn, the frames JPEG-encoded and the player HTML built;
- next, prefetched (the app's path): the page's store reads (`find_place`, `load_page`, `answers`) plus the
  view, which the previous page asked for in the background (`ViewCache.prefetch`) and which
  the annotator's answering time lets finish (the benchmark waits for it, and reports how
  long the background build took, to compare with the seconds an annotator spends);
- next, not prefetched: the same with prefetching off (frames of the same video are reused);
- full page run: one Streamlit run of the whole app after pressing Next (AppTest), which adds
  the widget tree to the above.

Peak memory is tracemalloc's peak over a pass of the app's path (Python allocations, numpy
frames included) and the process's peak RSS. Target: p95 of the next-instance time < 300 ms.
Run: .venv/bin/python benchmarks/bench_next_instance.py [--steps N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from refcat.annotate.accounts import get_user
from refcat.annotate.campaigns import get_campaign
from refcat.annotate.demo_project import build_demo_store
from refcat.annotate.labels import answers, queue
from refcat.annotate.ui.annotate import load_page
from refcat.annotate.ui.navigation import find_place
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


def walk(store, roots, keys, user, prefetch: bool) -> tuple[list[float], list[float]]:
    """Times (ms) of moving to each key in turn, and of the background builds."""
    views = ViewCache(store, roots)
    campaign = get_campaign(store, "demo")
    moves, background = [], []
    for i, key in enumerate(keys):
        start = time.perf_counter()
        load_page(store, find_place(store, user, campaign, key))
        answers(store, user, "demo", key)
        views.view(key)
        moves.append((time.perf_counter() - start) * 1000)
        if prefetch and i + 1 < len(keys):
            start = time.perf_counter()
            job = views.prefetch(keys[i + 1])
            if job is not None:
                job.result()  # the annotator answers meanwhile
            background.append((time.perf_counter() - start) * 1000)
    return moves, background


def page_runs(url: str, data: Path, steps: int) -> list[float]:
    from streamlit.testing.v1 import AppTest

    os.environ["REFCAT_DB"], os.environ["REFCAT_DATA"] = url, str(data)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.text_input(key="login_name").input("ann1")
    at.text_input(key="login_password").input("ann1")
    at.button[0].click()
    at.run()
    times = []
    for _ in range(steps):
        next_button = next(b for b in at.button if b.key == "nav:next")
        next_button.click()
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1000)
        time.sleep(0.5)  # let the prefetch of the following instance finish, as an annotator would
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="instances to walk (default %(default)s)")
    parser.add_argument("--page-steps", type=int, default=15, help="full page runs (default %(default)s)")
    parser.add_argument("--data", help="an existing demo dataset folder (with --db)")
    parser.add_argument("--db", help="an existing demo store (with --data)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="refcat-bench-") as folder:
        url, data = demo(Path(folder), args.data, args.db)
        store = open_store(url)
        roots = data_roots(str(data))
        user = get_user(store, "ann1")
        keys = [item.instance_key for item in queue(store, user, "demo")][: args.steps]
        videos = {k.split("/")[1] for k in keys}

        cold = []
        for key in keys:
            start = time.perf_counter()
            ViewCache(store, roots).build(key)
            cold.append((time.perf_counter() - start) * 1000)
        prefetched, background = walk(store, roots, keys, user, prefetch=True)
        plain, _ = walk(store, roots, keys, user, prefetch=False)

        tracemalloc.start()
        walk(store, roots, keys, user, prefetch=True)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        pages = page_runs(url, data, args.page_steps)
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
    ):
        p50, p95 = percentiles(times)
        print(f"{name:34s}{p50:9.1f}{p95:9.1f}{p95 / c95:16.3f}")
    print(f"peak traced memory over the app's path: {peak / 2**20:.1f} MiB; process peak RSS: {rss_mib:.0f} MiB")
    p95 = percentiles(pages)[1]
    print(f"target p95 < 300 ms for a full page run: {'met' if p95 < 300 else 'NOT met'} ({p95:.0f} ms)")


if __name__ == "__main__":
    main()
