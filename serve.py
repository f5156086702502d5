"""The annotation app as served to a team: `streamlit run serve.py` (what `make run` does).

The pages of app.py, plus HTTP routes mounted through Streamlit's `st.App`: the two that set and
clear the HttpOnly login cookie (refcat.annotate.ui.session.auth_routes) and the one that serves
the players' frames to logged-in browsers, cacheable, so that an object's clip is sent once
(refcat.annotate.ui.clips.clip_routes). Served as `streamlit run app.py`, the same pages work,
but a login lasts for its browser tab only and every player carries its frames inline.
"""

import streamlit as st

from refcat.annotate.ui.clips import clip_routes
from refcat.annotate.ui.session import auth_routes

app = st.App("app.py", routes=auth_routes() + clip_routes())
