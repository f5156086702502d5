"""The annotation app: `streamlit run app.py` with $REFCAT_DB (the store) and $REFCAT_DATA (dataset folders).

`make run` serves it over the demo store and dataset. The pages live in refcat.annotate.ui.
"""

from refcat.annotate.ui.pages import main

main()
