"""One grammar for every `refcat` command (refcat/cli/common.py), checked on the parser itself.

The walk visits every leaf subcommand of `build_parser()`. Outputs are the options whose `type=`
is OUTPUT_FILE or OUTPUT_DIR; every other option is an input. Former names of renamed options
(and the former positional of `demo-data`) still parse for one release, with one warning line.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest

from refcat.cli import build_parser, main
from refcat.cli.common import OUTPUT_DIR, OUTPUT_FILE, FormerPositional, HelpFormatter, ListOption, Renamed

CLI = Path(__file__).resolve().parents[1] / "refcat" / "cli"


def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command words, parser) of every subcommand that runs a handler."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
        return
    for name, child in subs[0].choices.items():
        yield from leaves(child, (*path, name))


LEAVES = dict(leaves(build_parser()))


def options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]


def current_names(action: argparse.Action) -> tuple[str, ...]:
    return action.current if isinstance(action, Renamed) else tuple(action.option_strings)


def is_output(action: argparse.Action) -> bool:
    return action.type is OUTPUT_FILE or action.type is OUTPUT_DIR


def test_the_walk_sees_every_command():
    assert len(LEAVES) == 40 and ("campaign", "create") in LEAVES and ("predict",) in LEAVES
    assert ("import-weights",) in LEAVES and ("campaign", "reopen") in LEAVES and ("import", "mevis") in LEAVES


def test_no_option_is_named_out():
    named = [(" ".join(path), "--out") for path, p in LEAVES.items() for a in options(p) if "--out" in current_names(a)]
    assert not named


def test_file_outputs_are_output_and_folder_outputs_out_dir():
    wrong = []
    for path, parser in LEAVES.items():
        for action in options(parser):
            for name in current_names(action):
                file_name = name == "--output" or name.endswith("-output")
                dir_name = name == "--out-dir" or name.endswith("-out-dir")
                if (action.type is OUTPUT_FILE) != file_name or (action.type is OUTPUT_DIR) != dir_name:
                    wrong.append(f"{' '.join(path)} {name}")
        outputs = [a for a in parser._actions if not a.option_strings and is_output(a)]
        wrong += [f"{' '.join(path)}: positional output {a.dest}" for a in outputs]
    assert not wrong


def test_no_name_is_an_input_in_one_command_and_an_output_in_another():
    roles = defaultdict(set)
    for path, parser in LEAVES.items():
        for action in options(parser):
            for name in current_names(action):
                roles[name].add(("output" if is_output(action) else "input", " ".join(path)))
    both = {name: sorted(uses) for name, uses in roles.items() if {role for role, _ in uses} == {"input", "output"}}
    assert not both


def handler_reads(func) -> set[str]:
    """Every `args.NAME` read by the handler and by the refcat.cli functions it calls by name."""
    seen, names, todo = set(), set(), [func]
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        tree = ast.parse(textwrap.dedent(inspect.getsource(f)))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "args":
                names.add(node.attr)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                called = f.__globals__.get(node.func.id)
                if inspect.isfunction(called) and called.__module__.startswith("refcat.cli"):
                    todo.append(called)
    return names


# read only when the dataset is davis (`--annotations`), under one handler shared by the three importers
CONDITIONAL_READS = {("import", "a2d"): {"annotations"}, ("import", "demo"): {"annotations"}}


@pytest.mark.parametrize("path", list(LEAVES), ids=" ".join)
def test_handler_reads_only_its_options_and_db_is_there_where_the_store_is_used(path):
    parser = LEAVES[path]
    func = parser.get_default("func")
    dests = {a.dest for a in parser._actions} | set(parser._defaults)
    reads = handler_reads(func)
    assert reads - dests - CONDITIONAL_READS.get(path, set()) == set()
    has_db = any("--db" in a.option_strings for a in options(parser))
    assert has_db == ("db" in reads)


def test_db_comes_from_the_one_parent_parser():
    defined = [p.name for p in sorted(CLI.glob("*.py")) if '"--db"' in p.read_text(encoding="utf-8")]
    assert defined == ["common.py"]
    assert "add_db_option" not in "".join(p.read_text(encoding="utf-8") for p in CLI.glob("*.py"))


@pytest.mark.parametrize("path", list(LEAVES), ids=" ".join)
def test_handlers_are_named_cmd_and_the_command_words(path):
    func = LEAVES[path].get_default("func")
    sharing = [p for p, parser in LEAVES.items() if parser.get_default("func") is func]
    if len(sharing) == 1:
        assert func.__name__ == "cmd_" + "_".join(path).replace("-", "_")
    else:  # one handler for sibling commands (import davis|a2d|demo): named after their parent
        assert func.__name__.startswith("cmd_" + "_".join(path[:-1]).replace("-", "_") + "_")


def test_lists_are_list_options():
    other = [
        f"{' '.join(path)} {a.option_strings[0]}"
        for path, parser in LEAVES.items()
        for a in options(parser)
        if isinstance(a, argparse._AppendAction | argparse._ExtendAction)
        or (a.nargs in ("+", "*") and not isinstance(a, ListOption))
    ]
    assert not other


def all_parsers():
    todo = [build_parser()]
    while todo:
        parser = todo.pop()
        yield parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo += list(action.choices.values())


def test_every_parser_uses_the_one_formatter_and_no_help_writes_its_default():
    parsers = list(all_parsers())
    assert all(p.formatter_class is HelpFormatter for p in parsers)
    assert not [a.help for p in parsers for a in p._actions if a.help and "%(default)" in a.help]


def test_every_option_says_what_it_does():
    silent = [
        f"{' '.join(path)} {a.option_strings[0]}"
        for path, parser in LEAVES.items()
        for a in options(parser)
        if not a.help
    ]
    assert not silent


@pytest.mark.parametrize("path", list(LEAVES), ids=" ".join)
def test_help_shows_defaults_that_say_something(monkeypatch, path):
    monkeypatch.setenv("COLUMNS", "1000")  # no wrapping, which breaks words at hyphens
    text = LEAVES[path].format_help()
    assert "(default: None)" not in text and "(default: False)" not in text and "(default: [])" not in text
    for action in options(LEAVES[path]):
        if action.nargs != 0 and isinstance(action.default, int | float | str) and action.default != "":
            assert f"(default: {action.default})" in text, action.option_strings[0]


def test_help_through_main_shows_defaults(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "1000")
    monkeypatch.delenv("REFCAT_DB", raising=False)
    with pytest.raises(SystemExit) as exit_:
        main(["agreement", "--help"])
    assert exit_.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.split()[:2] == ["--bootstrap", "B"] and line.endswith("(default: 0)") for line in lines)
    assert any(
        line.split()[:2] == ["--db", "URL"] and line.endswith("(default: sqlite:///refcat.db)") for line in lines
    )
    with pytest.raises(SystemExit):
        main(["campaign", "create", "--help"])
    assert "(default: difficulty,semantics)" in capsys.readouterr().out


# every former name: command words, the argv using it, the new option it stands for and the value it gives
DEPRECATED = [
    (("train",), ["--dataset", "demo", "--root", "r", "--out", "o"], "--out", "--out-dir", "out_dir", Path("o")),
    (("pretrain-text",), ["--texts", "t.txt", "--out", "o"], "--out", "--out-dir", "out_dir", Path("o")),
    (
        ("predict",),
        ["--checkpoint", "c.pt", "--dataset", "demo", "--root", "r", "--out", "o"],
        "--out",
        "--out-dir",
        "out_dir",
        Path("o"),
    ),
    (
        ("predict",),
        ["--checkpoint", "c.pt", "--dataset", "demo", "--root", "r", "--out-dir", "o", "--table", "t.csv"],
        "--table",
        "--output",
        "output",
        Path("t.csv"),
    ),
    (
        ("consensus",),
        ["--input", "l.csv", "--output", "c.csv", "--release", "r.csv"],
        "--release",
        "--release-output",
        "release_output",
        Path("r.csv"),
    ),
    (
        ("export", "labels"),
        ["--output", "e.csv", "--consensus-release", "r.csv"],
        "--consensus-release",
        "--release-output",
        "release_output",
        Path("r.csv"),
    ),
    (
        ("phrases",),
        ["--root", "a2d", "--output", "p.csv", "--a2d-dir", "d"],
        "--a2d-dir",
        "--out-dir",
        "out_dir",
        Path("d"),
    ),
    (("agreement",), ["--input", "l.csv", "--n-boot", "100"], "--n-boot", "--bootstrap", "n_boot", 100),
]


def test_the_deprecated_cases_cover_every_former_name():
    former = {
        (path, name)
        for path, parser in LEAVES.items()
        for action in options(parser)
        if isinstance(action, Renamed)
        for name in action.former
    }
    assert former == {(path, old) for path, _, old, *_ in DEPRECATED}


@pytest.mark.parametrize(
    ("path", "argv", "old", "new", "dest", "value"), DEPRECATED, ids=[f"{' '.join(c[0])} {c[2]}" for c in DEPRECATED]
)
def test_a_former_name_still_works_and_warns(capsys, path, argv, old, new, dest, value):
    args = build_parser().parse_args([*path, *argv])
    assert getattr(args, dest) == value
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "warning" in err and old in err and f"use {new}" in err
    renewed = [new if a == old else a for a in argv]
    assert getattr(build_parser().parse_args([*path, *renewed]), dest) == value
    assert capsys.readouterr().err == ""


def test_former_names_stay_out_of_the_help():
    text = LEAVES[("predict",)].format_help()
    assert "--out-dir DIR" in text and "--out DIR" not in text and "--table" not in text


def test_demo_data_takes_its_former_positional_with_a_warning(tmp_path, capsys):
    sizes = ["--videos", "1", "--min-frames", "2", "--max-frames", "2", "--width", "214", "--height", "120"]
    assert main(["demo-data", str(tmp_path / "old"), *sizes]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "deprecated" in err and "--out-dir" in err
    assert main(["demo-data", "--out-dir", str(tmp_path / "new"), *sizes]) == 0
    assert capsys.readouterr().err == ""
    assert sorted(p.relative_to(tmp_path / "old") for p in (tmp_path / "old").rglob("*")) == sorted(
        p.relative_to(tmp_path / "new") for p in (tmp_path / "new").rglob("*")
    )
    assert main(["demo-data", *sizes]) == 2
    assert "--out-dir DIR" in capsys.readouterr().err
    assert isinstance(next(a for a in LEAVES[("demo-data",)]._actions if a.dest == "out"), FormerPositional)


PREDICT = ["predict", "--checkpoint", "c.pt", "--dataset", "a2d", "--root", "r", "--out-dir", "o"]


def test_lists_are_comma_separated_and_repeatable(capsys):
    args = build_parser().parse_args([*PREDICT, "--sources", "a, b,,c", "--sources", "d", "--polarities", "with"])
    assert (args.sources, args.polarities, args.categories) == (["a", "b", "c", "d"], ["with"], [])
    args = build_parser().parse_args(["stats", "--release", "a.csv,davis=b.csv", "--campaign", "c1,c2"])
    assert (args.release, args.campaign) == (["a.csv", "davis=b.csv"], ["c1", "c2"])
    create = ["campaign", "create", "x", "--dataset", "demo", "--annotators", "ann1,ann2"]
    args = build_parser().parse_args(create)
    assert (args.annotators, args.questions, args.videos) == (["ann1", "ann2"], ["difficulty", "semantics"], None)
    assert build_parser().parse_args([*create, "--questions", "semantics"]).questions == ["semantics"]
    assert capsys.readouterr().err == ""


def test_space_separated_lists_still_work_where_they_did_and_warn(capsys):
    args = build_parser().parse_args([*PREDICT, "--sources", "a", "b", "--categories", "motion", "static"])
    assert (args.sources, args.categories) == (["a", "b"], ["motion", "static"])
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and "--sources a,b" in lines[0] and "--categories motion,static" in lines[1]


def test_list_choices_are_checked_value_by_value(capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([*PREDICT, "--polarities", "with,sideways"])
    assert exit_.value.code == 2 and "invalid choice: 'sideways'" in capsys.readouterr().err
