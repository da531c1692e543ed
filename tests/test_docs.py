"""The docs cannot drift from the CLI or from each other.

Every command line that README.md and docs/*.md show (`docqa ...` or `$ docqa ...`, in code blocks and
in inline code) names a command that docqa has (its `--help` succeeds), and each of its options is one
that this command accepts (listed by that `--help`). A complete command of a code block is parsed in
full by docqa's own parser (values, choices, required arguments). A line of inline code often names a
command without its arguments (`docqa ask`), and a synopsis elides them (`[--out DIR]`, `...`,
`auto|cpu|cuda`): those get only the first check. Every relative link points to a file that exists,
and an anchor to a heading of that file.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from docqa.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))

FENCE = re.compile(r"^[ \t]*```")
INLINE = re.compile(r"`([^`]+)`")
COMMAND = re.compile(r"(?:\S*bin/)?docqa\s+\S")  # `docqa ...`, `.venv/bin/docqa ...`; not a bare `docqa`
OUTPUT = re.compile(r"(?:\S*bin/)?docqa(?: \S+)?:")  # "docqa: chat at ...", "docqa eval: 97 questions ..."
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *#*$")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
ELISION = re.compile(r"\.\.\.|…|[\[\]|]")  # a synopsis's [optional] parts, a|b choices, elided arguments
CLI_COMMANDS = ("index", "ask", "serve", "eval", "bench", "train-reader", "export-reader")


@dataclass(frozen=True)
class Shown:
    """A docqa command line as a page shows it."""

    page: Path
    line: int
    text: str  # without the prompt, the path before `docqa` and a trailing comment
    in_block: bool

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}: {self.text}"


def split_fences(text: str) -> tuple[list[tuple[int, list[str]]], str]:
    """The code blocks (their first line's number and their lines) and the text outside them, in which
    every line of a block is left empty so that line numbers still hold."""
    blocks: list[tuple[int, list[str]]] = []
    outside: list[str] = []
    current: list[str] | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if FENCE.match(line):
            if current is None:
                current = []
                blocks.append((number + 1, current))
            else:
                current = None
            outside.append("")
        elif current is not None:
            current.append(line)
            outside.append("")
        else:
            outside.append(line)
    return blocks, "\n".join(outside)


def command_text(line: str) -> str | None:
    """The command of a line that runs docqa (prompt, path and comment left out), else None."""
    line = line.strip()
    if line.startswith("$ "):
        line = line[2:].lstrip()
    if not COMMAND.match(line) or OUTPUT.match(line):
        return None
    words = shlex.split(line, comments=True)
    return shlex.join(["docqa", *words[1:]])


def shown_commands(page: Path) -> list[Shown]:
    blocks, outside = split_fences(page.read_text(encoding="utf-8"))
    found: list[Shown] = []
    for first, lines in blocks:
        # In a block with prompts only the prompted lines are commands; the rest is their output.
        prompted = any(line.startswith("$ ") for line in lines)
        number = 0
        while number < len(lines):
            start, line = number, lines[number]
            while line.endswith("\\") and number + 1 < len(lines):
                number += 1
                line = line[:-1] + " " + lines[number].strip()
            number += 1
            if prompted and not line.startswith("$ "):
                continue
            text = command_text(line)
            if text is not None:
                found.append(Shown(page, first + start, text, in_block=True))
    for match in INLINE.finditer(outside):
        text = command_text(" ".join(match.group(1).split()))
        if text is not None:
            found.append(Shown(page, outside.count("\n", 0, match.start()) + 1, text, in_block=False))
    return found


def run_parser(argv: list[str]) -> tuple[int, str]:
    """docqa's parser on `argv`: (0, "") when it parses; else its exit code and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            build_parser().parse_args(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
            return code, out.getvalue() + err.getvalue()
    return 0, ""


@cache
def help_of(command: tuple[str, ...]) -> str | None:
    """What `docqa COMMAND... --help` prints, or None when it fails: there is no such command."""
    code, printed = run_parser([*command, "--help"])
    return printed if code == 0 else None


@cache
def verbs(command: tuple[str, ...]) -> frozenset[str]:
    """The sub-commands `docqa COMMAND --help` lists (`docqa documents` has list, add, remove)."""
    return frozenset(re.findall(r"(?m)^ {4}(\w[\w-]*) ", help_of(command) or ""))


@cache
def accepted(command: str | tuple[str, ...] | None) -> frozenset[str] | None:
    """The option strings that `docqa COMMAND --help` lists (`docqa --help` for None), or None when that
    help fails: there is no such command."""
    path = () if command is None else (command,) if isinstance(command, str) else command
    printed = help_of(path)
    if printed is None:
        return None
    options = set()
    for line in printed.splitlines():
        listed = re.match(r" {2}(-\S.*?)(?: {2,}|$)", line)
        if listed:
            options.update(part.split()[0] for part in listed.group(1).split(", "))
    return frozenset(options)


def problems(text: str, complete: bool) -> list[str]:
    """What is wrong with the command line `text` ("docqa ..."): an unknown command or option; and, when
    the line is `complete`, anything docqa's parser refuses."""
    words = shlex.split(text)[1:]
    named = [word for word in words if not word.startswith("-")]
    command = named[0] if named else None
    found = []
    if command is not None and accepted(command) is None:
        return [f"docqa has no command {command!r}: `docqa {command} --help` fails"]
    path = (command,) if command is not None else ()
    if len(named) > 1 and named[1] in verbs(path):  # docqa documents list
        path = (command, named[1])
    before = True  # options before the command are docqa's own (-v, --version)
    for word in words:
        if word == command:
            before = False
        option = word.strip("[]").split("=", 1)[0]
        if re.fullmatch(r"--?[A-Za-z][\w-]*", option):
            owner = None if before else path
            if option not in accepted(owner):
                found.append(f"`{' '.join(['docqa', *(owner or ())])} --help` lists no {option}")
    if complete and not ELISION.search(text):
        code, printed = run_parser(words)
        if code != 0:
            found.append(f"docqa's parser refuses it: {printed.strip().splitlines()[-1]}")
    return found


SHOWN = [shown for page in PAGES for shown in shown_commands(page)]


@pytest.mark.parametrize("shown", SHOWN, ids=str)
def test_every_command_shown_parses(shown):
    found = problems(shown.text, complete=shown.in_block)
    assert found == [], f"{shown}: " + "; ".join(found)


def test_the_checker_refuses_an_unknown_option_or_command():
    unknown = problems('docqa ask --no-such-flag "When?"', complete=True)
    assert unknown[0] == "`docqa ask --help` lists no --no-such-flag"
    assert unknown[1].startswith("docqa's parser refuses it: ") and unknown[1].endswith(
        "unrecognized arguments: --no-such-flag")
    assert len(unknown) == 2
    assert problems("docqa ask --no-such-flag", complete=False) == ["`docqa ask --help` lists no --no-such-flag"]
    assert problems("docqa train-reader ... --no-such-flag 4", complete=True) == [
        "`docqa train-reader --help` lists no --no-such-flag"]
    assert problems("docqa query --top-k 3", complete=False) == [
        "docqa has no command 'query': `docqa query --help` fails"]
    assert problems("docqa --no-such-flag index", complete=False) == ["`docqa --help` lists no --no-such-flag"]
    # An option of another command, and a value the option refuses.
    assert problems("docqa serve --full", complete=False) == ["`docqa serve --help` lists no --full"]
    refused = problems("docqa index --vector-index exact", complete=True)
    assert len(refused) == 1 and refused[0].startswith("docqa's parser refuses it: ")
    assert "--vector-index: invalid choice: 'exact'" in refused[0]
    assert problems("docqa --help", complete=True) == []
    # A command's own verbs: an option of `documents add` is no option of `documents list`.
    assert problems("docqa documents add notes.txt --replace", complete=True) == []
    assert problems("docqa documents list --replace", complete=False) == ["`docqa documents list --help` lists no --replace"]
    assert problems("docqa bench [--sizes 1000,10000] [--out DIR]", complete=True) == []


def test_commands_are_found_in_blocks_and_inline_code(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "Run `docqa index --full`, or `docqa\neval --calibrate`; `docqa:` is no command.\n\n"
        "```\n"
        "$ .venv/bin/docqa ask \"When?\"   # a comment\n"
        "Answer: December 2006\n"
        "docqa eval: 97 questions\n"
        "$ docqa train-reader --squad A \\\n"
        "      --out B\n"
        "```\n\n"
        "```\n"
        "pip install 'docqa[ray]'\n"
        "docqa index --ray auto   # joins the cluster\n"
        "```\n", encoding="utf-8")
    assert [(s.line, s.text, s.in_block) for s in shown_commands(page)] == [
        (5, "docqa ask 'When?'", True),
        (8, "docqa train-reader --squad A --out B", True),
        (14, "docqa index --ray auto", True),
        (1, "docqa index --full", False),
        (1, "docqa eval --calibrate", False),
    ]


def test_the_docs_show_every_command():
    """The pages hold commands to check (the README's real run among them), and docs/commands.md shows
    every command in a code block."""
    assert any(s.page.name == "README.md" and s.in_block and s.text.startswith("docqa ask ") for s in SHOWN)
    in_reference = {shlex.split(s.text)[1] for s in SHOWN
                    if s.page == ROOT / "docs" / "commands.md" and s.in_block and len(shlex.split(s.text)) > 1}
    assert set(CLI_COMMANDS) <= in_reference
    for command in CLI_COMMANDS:
        assert accepted(command) is not None, command


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: its text lower-cased, punctuation dropped, spaces made hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").replace("*", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings; a repeated heading gets -1, -2, ... as on GitHub."""
    _, outside = split_fences(page.read_text(encoding="utf-8"))
    names: set[str] = set()
    for line in outside.split("\n"):
        heading = HEADING.match(line)
        if heading:
            name, repeat = slug(heading.group(1)), 0
            while (f"{name}-{repeat}" if repeat else name) in names:
                repeat += 1
            names.add(f"{name}-{repeat}" if repeat else name)
    return names


def test_slug_follows_github():
    assert slug("`docqa index --ray`: big corpora, in shards, on a Ray cluster") == \
        "docqa-index---ray-big-corpora-in-shards-on-a-ray-cluster"
    assert slug("What a corpus size costs (measured)") == "what-a-corpus-size-costs-measured"
    assert slug("`docqa train-reader` and `docqa export-reader`: the reader's own model") == \
        "docqa-train-reader-and-docqa-export-reader-the-readers-own-model"
    assert anchors(ROOT / "README.md") >= {"docqa", "two-commands", "what-docqa-cannot-do-yet"}


def relative_links(page: Path) -> list[tuple[int, str]]:
    _, outside = split_fences(page.read_text(encoding="utf-8"))
    outside = INLINE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), outside)
    return [(outside.count("\n", 0, m.start()) + 1, m.group(1)) for m in LINK.finditer(outside)
            if not SCHEME.match(m.group(1))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_to_a_file_and_heading_that_exist(page):
    broken = []
    for line, target in relative_links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{page.relative_to(ROOT)}:{line}: {target} (no such file)")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{page.relative_to(ROOT)}:{line}: {target} (no such heading in {file.name})")
    assert broken == []


def test_links_are_found_outside_code(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("See [the\ncommands](docs/commands.md#docqa-ask-one-question), ![a chat](images/chat.png),\n"
                    "[a site](https://example.org/) and [here](#top); `[not](a-link.md)`.\n\n"
                    "```\n[nor](this.md)\n```\n", encoding="utf-8")
    assert relative_links(page) == [(1, "docs/commands.md#docqa-ask-one-question"), (2, "images/chat.png"),
                                    (3, "#top")]
