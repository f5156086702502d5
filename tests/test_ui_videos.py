"""The Videos page: the store's videos listed, and a chosen object's clip with its box."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.demo import build_demo
from streamlit.testing.v1 import AppTest

from refcat.annotate.ui.videos import videos_frame
from refcat.store.database import open_store
from refcat.store.instances import list_objects


@pytest.fixture
def demo(tmp_path, monkeypatch):
    url, data = build_demo(tmp_path, n_videos=2, frames=5)
    monkeypatch.setenv("REFCAT_DB", url)
    monkeypatch.setenv("REFCAT_DATA", str(data))
    store = open_store(url)
    yield store, Path(data)
    store.dispose()


def test_videos_frame_counts_what_the_store_holds(demo):
    store, data = demo
    table = videos_frame(store)
    videos = sorted(p.name for p in (data / "JPEGImages/480p").iterdir())
    assert table["video"].tolist() == videos
    assert set(table["frames"]) == {5} and set(table["size"]) == {"320x180"}
    for row in table.itertuples():
        masks = sorted((data / "Annotations/480p" / row.video).glob("*.png"))
        assert row.objects >= 2 and row.REs >= row.objects
        assert len(masks) == 5


def _videos_page():
    from refcat.annotate.accounts import User
    from refcat.annotate.ui import session, videos

    videos.render(session.store(), User(1, "ann1", "annotator"))


def test_videos_page_shows_the_list_and_a_boxed_clip(demo):
    store, _ = demo
    at = AppTest.from_function(_videos_page, default_timeout=60).run()
    assert not at.exception
    assert at.dataframe[0].value["video"].tolist() == videos_frame(store)["video"].tolist()
    video = at.selectbox(key="videos_video").value
    chosen = at.selectbox(key="videos_instance")
    assert chosen.value.startswith(f"{video}/") and "annot" in chosen.value
    (player,) = at.get("iframe")
    html = player.proto.srcdoc
    assert f'"key": "{chosen.value}"' in html  # the clip the player plays (video_view.player_clip)
    _, video_id, object_id, _ = chosen.value.split("/")
    (obj,) = [o for o in list_objects(store, "demo", video_id) if o.object_id == int(object_id)]
    # The box is drawn on every frame where the object is present, and the clip has every frame.
    assert f'"boxed": [{", ".join(map(str, sorted(obj.boxes)))}]' in html
    assert html.count("data:image/jpeg;base64,") == 5
