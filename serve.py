"""The annotation app as served to a team: `streamlit run serve.py` (what `make run` does).

The pages of app.py, plus the two HTTP routes that set and clear the HttpOnly login cookie
(refcat.annotate.ui.session.auth_routes), mounted through Streamlit's `st.App`. Served as
`streamlit run app.py`, the same pages work but a login lasts for its browser tab only.
"""

import streamlit as st

from refcat.annotate.ui.session import auth_routes

app = st.App("app.py", routes=auth_routes())
