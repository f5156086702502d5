"""Release label files (the published `*_RE_categorization.csv` layout) and RE records for the tests.

A file is `;`-separated with a header row, CRLF line ends, UTF-8. Category columns are written
as the releases do, "1.0"/"0.0" or "1"/"0", empty where the RE has no categories.
"""

from refcat.categorize import augment as aug

RELEASE_HEADER = (
    "video_id;instance_id;ref_exp;ref_exp_difficulty;ref_exp_information;"
    "appearance;obj-static;category;location;motion;obj-motion;static"
)
# the category columns, in the file's order
CATEGORY_COLUMNS = ["appearance", "obj-static", "category", "location", "motion", "obj-motion", "static"]


def write_release_lines(path, lines):
    """The file with the header and `lines` (each a row already joined with `;`); returns the path."""
    path.write_bytes(("\r\n".join([RELEASE_HEADER, *lines]) + "\r\n").encode("utf-8"))
    return path


def write_release_file(path, rows):
    """The file with `rows`, each a tuple of cells; returns the path."""
    return write_release_lines(path, [";".join(str(c) for c in row) for row in rows])


def labelled(text, **labels):
    """An A2D RE with the given category labels (`obj_static=` for obj-static), the others unlabelled."""
    full = dict.fromkeys(CATEGORY_COLUMNS) | {c.replace("_", "-"): v for c, v in labels.items()}
    return aug.LabelledRE("a2d", "XQ2WJo8sLEw", 2, "sentence0", text, full)


# rows of an A2D release: both number spellings ("1.0", "1"), a minimum-information RE, a trivial RE,
# a non-RE with empty category cells, an RE with one empty cell
RELEASE_ROWS = [
    (
        "XQ2WJo8sLEw",
        2,
        "the person in gray is walking",
        "Non-trivial",
        "Redundant Information",
        "1.0",
        "0.0",
        "1.0",
        "0.0",
        "1.0",
        "0.0",
        "0.0",
    ),
    (
        "-0cOo0cRVZU",
        0,
        "player in blue shirt passing a basketball on left",
        "Non-trivial",
        "Redundant Information",
        "1",
        "0",
        "1",
        "1",
        "0",
        "1",
        "1",
    ),
    ("-0cOo0cRVZU", 0, "player on left", "Non-trivial", "Minimum Information", "0", "0", "1", "1", "0", "0", "0"),
    (
        "blackswan",
        1,
        "a black feathered swan",
        "Trivial (Single Object Category)",
        "Redundant Information",
        "1.0",
        "0.0",
        "1.0",
        "0.0",
        "0.0",
        "0.0",
        "0.0",
    ),
    (
        "2G9DODKHHIM",
        0,
        "seagull standing in the back",
        "Not a Referring Expression",
        "Not Applicable",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ),
    (
        "-7EE9T3Z0qk",
        0,
        "a blue, red and white car is jumping on the air",
        "Non-trivial",
        "Redundant Information",
        "1.0",
        "0.0",
        "1.0",
        "",
        "1.0",
        "0.0",
        "0.0",
    ),
    (
        "YwEJrtVTmqQ",
        1,
        "the dog that is sitting on the couch",
        "Non-trivial",
        "Redundant Information",
        "0.0",
        "0.0",
        "1.0",
        "1.0",
        "0.0",
        "0.0",
        "1.0",
    ),
]

# lines of a DAVIS release, hand-counted in tests/test_analysis_stats.py: 8 REs, 2 trivial, 4 non-trivial,
# 1 not an RE, 1 of the wrong object
DAVIS_ROWS = [
    "blackswan;1;a black feathered swan;Trivial (Single Object Category);Redundant Information;"
    "1.0;0.0;1.0;0.0;0.0;0.0;0.0",
    "bike;1;man riding a bike;Non-trivial;Minimum Information;0;0;1;0;0;1;0",
    "bike;2;the bike on the left;Non-trivial;Redundant Information;0.0;0.0;1.0;1.0;0.0;0.0;0.0",
    "dogs;1;a dog;Not a Referring Expression;Not Applicable;;;;;;;",
    "dogs;2;a cat running;Incorrect Referring Expression;Not Applicable;;;;;;;",
    "dogs;3;the dog jumping;Non-trivial;Redundant Information;;;;;;;",
    "cars;1;the car;Trivial;Minimum Information;0;0;1;0;0;0;0",
    "cars;2;a parked car;Non-trivial;Minimum Information;0;0;1;0;0;0;1",
]
