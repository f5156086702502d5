"""The README lists every subcommand that `refcat --help` offers."""

from pathlib import Path

from refcat.cli import build_parser


def test_every_subcommand_is_in_the_readme():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    commands = build_parser()._subparsers._group_actions[0].choices
    missing = [name for name in commands if f"`refcat {name}" not in readme]
    assert not missing, f"README lacks {missing}"


def test_readme_opens_with_the_two_commands():
    lines = (Path(__file__).parent.parent / "README.md").read_text().splitlines()
    block = lines[lines.index("```") + 1 : lines.index("```", lines.index("```") + 1)]
    assert [line.split("#")[0].strip() for line in block] == ["make run", "make test"]
