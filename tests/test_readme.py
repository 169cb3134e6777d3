"""README numbers are copies of generated results, never typed: each copied block must match its source.

A copied block in README.md (or a page in docs/) reads

    <!-- copied from results/<...>.md -->
    ...lines that appear verbatim in that file (and **labels** of its sections)...
    <!-- end copy -->

The README is the front door: short, with the details in docs/, and every
relative link in either points at a file or folder of the repository. Fenced
blocks marked ```bash quick``` are run, command by command, as written.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from alexnet import records

BLOCK = re.compile(r"<!-- copied from (\S+) -->\n(.*?)<!-- end copy -->", re.S)
README_MAX_LINES = 250
# [text](target) and ![alt](target); the target ends at whitespace (an optional "title") or ')'.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
CODE_SPAN = re.compile(r"`[^`\n]*`")


def _pages() -> list[Path]:
    return [records.REPO_ROOT / "README.md", *sorted((records.REPO_ROOT / "docs").glob("*.md"))]


def _blocks(page: Path = records.REPO_ROOT / "README.md"):
    return BLOCK.findall(page.read_text())


def test_readme_copies_generated_tables():
    blocks = _blocks()
    sources = {source for source, _ in blocks}
    assert {"results/imagenette/summary.md", "results/cifar10/summary.md", "results/tiny_imagenet/summary.md",
            "results/scaling/summary.md", "results/ablations/summary.md"} <= sources
    # The baseline's ablation table lives with the baseline's page, which the README links.
    assert "results/baseline_ablation/summary.md" in {s for s, _ in _blocks(records.REPO_ROOT / "docs/baseline.md")}


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(records.REPO_ROOT)))
def test_every_copied_line_is_in_its_source(page):
    for source, text in _blocks(page):
        generated = set((records.REPO_ROOT / source).read_text().splitlines())
        for line in filter(None, (line.strip() for line in text.splitlines())):
            if line.startswith("**") and line.endswith("**"):  # a section label
                continue
            assert line in generated, f"{page.name} line not in {source} (regenerate, then copy): {line}"


def test_readme_is_a_short_front_door():
    lines = (records.REPO_ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines, at most {README_MAX_LINES}: move details into docs/")


def _relative_links(page: Path) -> list[str]:
    text = CODE_SPAN.sub("", FENCE.sub("", page.read_text()))  # code is not a link
    targets = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):  # http(s), mailto; anchors
            continue
        targets.append(target.split("#", 1)[0])
    return targets


def test_link_pattern_finds_links():
    assert LINK.findall("see [a](docs/a.md), ![b](x/b.png \"t\") and [c](../c.md#part)") == [
        "docs/a.md", "x/b.png", "../c.md#part"]


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(records.REPO_ROOT)))
def test_every_relative_link_exists(page):
    root = records.REPO_ROOT.resolve()
    for target in _relative_links(page):
        path = (page.parent / target).resolve()
        assert path.is_relative_to(root), f"{page.name}: link {target!r} leaves the repository"
        assert path.exists(), f"{page.name}: link {target!r} points at nothing ({path.relative_to(root)})"


QUICK_BLOCK = re.compile(r"```bash quick\n(.*?)```", re.S)


def _quick_commands():
    for page in [records.REPO_ROOT / "README.md", *sorted((records.REPO_ROOT / "docs").glob("*.md"))]:
        for block in QUICK_BLOCK.findall(page.read_text()):
            for line in block.splitlines():
                command = line.split("#")[0].strip()
                if command:
                    yield page.name, command


def test_there_are_quick_commands():
    assert len(list(_quick_commands())) >= 3


@pytest.mark.parametrize("page, command", list(_quick_commands()))
def test_every_quick_command_works_as_written(page, command, tmp_path):
    """Run from the repository root as a user would (the venv's Python for `.venv/bin/python`)."""
    argv = shlex.split(command)
    if argv[0] == ".venv/bin/python":
        argv[0] = sys.executable
    env = {**os.environ, "RUNS_DIR": str(tmp_path / "runs"), "PY": sys.executable}
    if argv[0] == "make":
        argv += [f"PY={sys.executable}"]
    result = subprocess.run(argv, cwd=records.REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{page}: {command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert result.stdout.strip(), f"{page}: {command} printed nothing"
