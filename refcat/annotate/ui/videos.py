"""The Videos page: what the store holds, video by video, and any instance's clip with its box.

Read-only and open to every logged-in user: videos, their objects (class, annotated frames)
and their REs come from the store; the clip is the same player the Annotate page uses.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from refcat.annotate.accounts import User
from refcat.annotate.ui import session, widgets
from refcat.store.database import Store
from refcat.store.instances import list_instances, list_objects, list_videos


def videos_frame(db: Store) -> pd.DataFrame:
    """One row a stored video: dataset, video, split, frames, size, objects and REs."""
    per_video = pd.Series([(i.dataset, i.video_id) for i in list_instances(db)]).value_counts()
    rows = [
        {
            "dataset": v.dataset,
            "video": v.video_id,
            "split": v.split,
            "frames": v.n_frames,
            "size": f"{v.width}x{v.height}",
            "objects": len(list_objects(db, v.dataset, v.video_id)),
            "REs": int(per_video.get((v.dataset, v.video_id), 0)),
        }
        for v in list_videos(db)
    ]
    return pd.DataFrame(rows, columns=["dataset", "video", "split", "frames", "size", "objects", "REs"])


def render(db: Store, user: User) -> None:
    st.title("Videos")
    table = videos_frame(db)
    if table.empty:
        st.info("The store holds no videos yet: `refcat import davis|a2d|demo --root ...`.")
        return
    st.dataframe(table, hide_index=True, width="stretch")
    names = [f"{r.dataset}/{r.video}" for r in table.itertuples()]
    dataset, video_id = st.selectbox("Video", names, key="videos_video").split("/", 1)
    objects = {o.object_id: o for o in list_objects(db, dataset, video_id)}
    instances = [i for i in list_instances(db, dataset=dataset) if i.video_id == video_id]
    if not instances:
        st.info("No REs refer to an object of this video.")
        return
    labels = {
        i.key: f"object {i.object_id} ({objects[i.object_id].category or 'class unknown'}, "
        f"{len(objects[i.object_id].boxes)} annotated frames) · {i.source}: {i.text}"
        for i in instances
    }
    key = st.selectbox("Object and RE", list(labels), format_func=labels.__getitem__, key="videos_instance")
    widgets.expression(next(i.text for i in instances if i.key == key))
    clip, _ = st.columns([3, 2])  # the clip at the Annotate page's size
    with clip:
        widgets.instance_player(session.views(), key)
