"""Exports of a store's labels: the long event table, and a campaign's final labels in the
paper's released format (`*_RE_categorization.csv`, FORMATS.md).

- `write_labels` writes every event (answers, undos, automatic answers, adjudications, the
  annotators' "unsure" flags and comments, a flag's text in `reason`) as CSV or
  Parquet, chosen by the file suffix; times are UTC. Beside it, in the same format,
  `time_on_item_path(path)` (`<stem>_time_on_item.<suffix>`) holds `time_on_item_table`: one row
  per annotator, instance and round answered, with the seconds worked on it
  (refcat.annotate.state.time_on_item: first view to last answer, idle gaps over
  IDLE_SECONDS left out); `write_time_on_item` writes that table alone.
- `write_consensus_release` writes `final_labels` (adjudication, else automatic answer, else
  a strict majority of the campaign's per-instance panel, 2 of 3, among the revised answers)
  with refcat.analysis.consensus.release_frame, ref_exp from the stored instances' texts
  (`instance_texts`). An
  automatic trivial label is written "Trivial (Single Object Category)", as the release
  marks labels given because the referent is the only object of its video. Instances whose
  correctness (or, for a valid RE, difficulty or information) has no final label are left
  out and reported, never guessed. The file carries one extra column after the twelve,
  `source` (the instance key's last part: annot1, annot1_full_video, ...), which tells apart
  rows that share video, object and text.
- Beside it, `left_out_path(path)` (`<stem>_left_out.csv`, comma-separated) names every
  instance left out: item, video_id, object_id, source, ref_exp, field (the first question
  without a final label), reason ("tie"; "no majority"; "too few answers": no more answers can
  come, the round that could bring them being closed; "round not finished": too few answers, or
  none, while more may still come (`answers_to_come`); "no answers": the question has none in the
  table, as for an automatic answer `refcat consensus` leaves out) and answers (the panel's
  answers to that question, `name=value` joined by "; "); `left_out_counts` counts the reasons.
- Answers can still come (`answers_to_come`) for an asked question while the blind round is open.
  In the revision round annotators revise the questions they disagree on, so new answers come only
  where skipping after an invalid RE (refcat.annotate.state's module doc) left a question out: from an
  annotator who answered "no RE" or "wrong object" in the blind round, whose correctness another
  annotator answered differently (so it is theirs to revise), and whose answer to that question does
  not count yet (their current correctness is still invalid, or they have not answered it): revising
  correctness to "valid" asks it, and counts an answer they gave it before. Once the campaign is
  finished, none can come.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from refcat.analysis.consensus import NO_MAJORITY, OK, TIE, TOO_FEW, release_frame
from refcat.annotate.labels import events_table, final_labels
from refcat.annotate.state import LABEL_ROUND, SKIP_FIELD, Campaign, campaign_name, load_state
from refcat.annotate.state import skipped as skipped_questions
from refcat.datasets.files import PLAIN_NAME_EXPECTED, name_problem
from refcat.datasets.records import parse_instance_key
from refcat.datasets.release import FORMAT_KEY, write_release
from refcat.errors import UsageError
from refcat.store.database import Store
from refcat.store.schema import InstanceRow
from refcat.taxonomy import release_difficulty

LABEL_SUFFIXES = (".csv", ".parquet")
TIME_ON_ITEM_COLUMNS = ["campaign", "instance", "annotator", "round", "start", "end", "seconds"]
LEFT_OUT_COLUMNS = ["item", "video_id", "object_id", "source", "ref_exp", "field", "reason", "answers"]
ROUND_NOT_FINISHED = "round not finished"
NO_ANSWERS = "no answers"  # release_frame's word for a question without answers
REASONS = {TIE: "tie", NO_MAJORITY: "no majority", TOO_FEW: "too few answers", NO_ANSWERS: NO_ANSWERS}


def download_file_name(name: str) -> str:
    """`name` when it is a plain file name (refcat.datasets.files.name_problem), else UsageError.

    A download's file name is made from a campaign name; checking it keeps the file inside the
    folder it is written to, even for a campaign named before campaign names were checked.
    """
    problem = name_problem(name)
    if problem is not None:
        raise UsageError(f"export file name: {problem}", expected=PLAIN_NAME_EXPECTED)
    return name


@dataclass(frozen=True)
class ReleaseLabels:
    release: pd.DataFrame  # rows in the released format (refcat.datasets.release), one per instance kept
    skipped: pd.DataFrame  # columns item, reason ("field: consensus status"): instances left out
    left_out: pd.DataFrame  # the same instances, LEFT_OUT_COLUMNS (see the module doc)


def time_on_item_table(store: Store, campaign: Campaign | str | None = None) -> pd.DataFrame:
    """The time on item of one campaign, or all (refcat.annotate.state.time_on_item): columns
    TIME_ON_ITEM_COLUMNS, start and end in UTC, by campaign, annotator, round and start."""
    from refcat.annotate.campaigns import list_campaigns

    names = [c.name for c in list_campaigns(store)] if campaign is None else [campaign_name(campaign)]
    rows = []
    for name in names:
        with store.session() as session:
            times = load_state(session, name).time_on_item()
        rows += [[name, t.instance, t.annotator, t.round, t.start, t.end, t.seconds] for t in times]
    table = pd.DataFrame(rows, columns=TIME_ON_ITEM_COLUMNS)
    for column in ("start", "end"):
        table[column] = pd.to_datetime(table[column], utc=True)
    return table.astype({"seconds": float})


def time_on_item_path(path: str | Path) -> Path:
    """Where `write_labels` puts the time on item of the events it writes to `path`: beside it."""
    path = Path(path)
    return path.with_name(f"{path.stem}_time_on_item{path.suffix}")


def _write_table(table: pd.DataFrame, path: Path, times: tuple[str, ...]) -> None:
    """`table` as CSV (its `times` columns as ISO 8601 UTC with a Z) or Parquet, by `path`'s suffix."""
    if path.suffix.lower() == ".csv":
        out = table.copy()
        for column in times:
            out[column] = out[column].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out.to_csv(path, index=False)
    else:
        table.to_parquet(path, index=False)


def write_time_on_item(store: Store, path: str | Path, campaign: Campaign | str | None = None) -> int:
    """Write `time_on_item_table` (one campaign, or all) to `path` (.csv, its times ISO 8601 UTC, or
    .parquet); returns its row count."""
    table = time_on_item_table(store, campaign)
    _write_table(table, Path(path), ("start", "end"))
    return len(table)


def write_labels(store: Store, path: str | Path, campaign: Campaign | str | None = None) -> int:
    """Write the event table (one campaign, or all) to `path` (.csv or .parquet), and its time on
    item beside it (`time_on_item_path`); returns the event table's row count."""
    path = Path(path)
    if path.suffix.lower() not in LABEL_SUFFIXES:
        raise UsageError(f"cannot tell the format of {path.name}", path=path, expected="a .csv or .parquet file")
    table = events_table(store, campaign)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_table(table, path, ("time",))
    write_time_on_item(store, time_on_item_path(path), campaign)
    return len(table)


def instance_texts(store: Store, keys: Iterable[str]) -> dict[str, str]:
    """instance key -> its RE text, for the keys the store holds (others are left out)."""
    wanted = list(dict.fromkeys(keys))
    with store.session() as session:
        query = select(InstanceRow.key, InstanceRow.text).where(InstanceRow.key.in_(wanted))
        return dict(session.execute(query).all())


def left_out_path(path: str | Path) -> Path:
    """Where the list of the instances left out of the release file `path` goes: `<stem>_left_out.csv` beside it."""
    path = Path(path)
    return path.with_name(f"{path.stem}_left_out.csv")


def kept_items(items: Iterable[str], skipped: pd.DataFrame) -> list[str]:
    """The items release_frame keeps, in its row order (sorted), given its `skipped` items."""
    left = set(skipped["item"])
    return [item for item in sorted(set(items)) if item not in left]


def with_sources(release: pd.DataFrame, kept: list[str]) -> pd.DataFrame:
    """Release rows with the `source` column of their instance keys `kept` (one per row, in order)."""
    return release.assign(source=[parse_instance_key(item)[3] for item in kept])


def consensus_release(store: Store, campaign: Campaign | str) -> ReleaseLabels:
    """The campaign's final labels as released-format rows (see module doc)."""
    final = final_labels(store, campaign)
    if final.empty:
        raise UsageError(f"campaign {campaign_name(campaign)!r} has no labels to release")
    table = final.assign(
        status=[OK if label is not None else status for label, status in zip(final["label"], final["status"])],
        label=final["label"].fillna(""),
    )
    texts = instance_texts(store, table["item"])
    release, skipped = release_frame(table[["item", "field", "label", "status"]], texts)
    automatic = set(final.loc[(final["field"] == "difficulty") & (final["source"] == "auto"), "item"])
    kept = kept_items(table["item"], skipped)
    release["ref_exp_difficulty"] = [
        release_difficulty("trivial", "valid", automatic=True) if item in automatic and value == "Trivial" else value
        for item, value in zip(kept, release["ref_exp_difficulty"])
    ]
    release = with_sources(release, kept).assign(dataset=[item.split("/", 1)[0] for item in kept])
    votes = {(item, f): v for item, f, v in zip(final["item"], final["field"], final["votes"]) if v}
    coming = answers_to_come(store, campaign)
    return ReleaseLabels(release, skipped, left_out_frame(skipped, texts, votes, coming))


def answers_to_come(store: Store, campaign: Campaign | str, number: int | None = None) -> set[tuple[str, str]]:
    """The (instance, question) pairs that may still get answers in round `number` (default: the
    campaign's latest), as the module doc says; none unless that round is the open one."""
    with store.session() as session:
        state = load_state(session, campaign)
    if not state.round.open or number not in (None, state.round.number):
        return set()
    auto = state.auto_answers()
    if state.round.number == LABEL_ROUND:
        return {(key, f) for key in state.keys_in_order() for f in state.questions(key, auto)}
    first, current = state.answers(LABEL_ROUND), state.answers(state.round.number)
    out = set()
    for key in state.keys_in_order():
        for user in state.annotators_of(key):
            before = skipped_questions(state.campaign.skip_after_invalid, first.get((user, key), {}))
            if before and SKIP_FIELD in state.revision_fields(first, user, key):
                counted = current.get((user, key), {})
                out |= {(key, f) for f in state.questions(key, auto) if f in before and f not in counted}
    return out


def left_out_frame(
    skipped: pd.DataFrame,
    texts: Mapping[str, str],
    answers: Mapping[tuple[str, str], Mapping[str, str]],
    coming: Collection[tuple[str, str]],
) -> pd.DataFrame:
    """release_frame's skipped items in LEFT_OUT_COLUMNS (see the module doc): `answers` is
    (item, field) -> {annotator: value}; `coming` (`answers_to_come`) the (item, field) pairs that may
    still get answers, whose "too few answers" or "no answers" reads "round not finished"."""
    rows = []
    for item, why in skipped.itertuples(index=False):
        field, _, consensus_status = str(why).partition(": ")
        reason = REASONS.get(consensus_status, consensus_status)
        if reason in (REASONS[TOO_FEW], NO_ANSWERS) and (item, field) in coming:
            reason = ROUND_NOT_FINISHED
        _, video_id, object_id, source = parse_instance_key(item)
        given = "; ".join(f"{name}={value}" for name, value in sorted(answers.get((item, field), {}).items()))
        rows.append([item, video_id, object_id, source, texts.get(item, ""), field, reason, given])
    return pd.DataFrame(rows, columns=LEFT_OUT_COLUMNS)


def left_out_counts(left_out: pd.DataFrame) -> dict[str, int]:
    """{reason: instances} of `left_out` (LEFT_OUT_COLUMNS), the most frequent first: what a terminal
    says of the instances left out, besides the file that names them."""
    return dict(Counter(map(str, left_out["reason"])).most_common())  # equal counts: in order of first row


def write_release_files(release: pd.DataFrame, left_out: pd.DataFrame, path: str | Path) -> None:
    """Write release rows (with their `source` column; a `dataset` column is dropped) to `path`, in
    the released format with `source` after the twelve columns, and `left_out` beside it
    (`left_out_path`)."""
    frame = release.drop(columns=[c for c in ("dataset",) if c in release.columns])
    frame.attrs[FORMAT_KEY] = {"extra_columns": ["source"]}
    write_release(frame, path)
    left_out.to_csv(left_out_path(path), index=False)


def write_consensus_release(store: Store, campaign: Campaign | str, path: str | Path) -> ReleaseLabels:
    """Write the campaign's final labels in the released format, with the `source` column, and the
    instances left out beside it (`left_out_path`; see module doc)."""
    labels = consensus_release(store, campaign)
    write_release_files(labels.release, labels.left_out, path)
    return labels
