"""Experiment docstrings are a few lines and point at their history in docs/recipes.md, which exists.

A config's docstring says what the experiment is, its command, result and
departures; the runs and reasoning that led to its settings are a section of
docs/recipes.md, headed by the config's file name.
"""

import ast
import re

import pytest

from alexnet import records

EXPERIMENTS = records.REPO_ROOT / "experiments"
RECIPES = records.REPO_ROOT / "docs" / "recipes.md"
POINTER = re.compile(r"docs/recipes\.md#(\S+)")
DOCSTRING_MAX_LINES = 15


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation other than - and _ dropped, spaces to -."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _docstring(path):
    return ast.get_docstring(ast.parse(path.read_text(), str(path)), clean=False) or ""


def _pointing_configs():
    return [p for p in sorted(EXPERIMENTS.glob("*.py")) if POINTER.search(_docstring(p))]


def test_anchor_follows_github():
    assert _anchor("cifar10_convnet.py") == "cifar10_convnetpy"
    assert _anchor("How to add an experiment") == "how-to-add-an-experiment"


def test_some_configs_point_at_recipes():
    assert len(_pointing_configs()) >= 9


@pytest.mark.parametrize("path", _pointing_configs(), ids=lambda p: p.name)
def test_config_docstring_is_short_and_points_at_its_own_section(path):
    doc = _docstring(path)
    assert len(doc.splitlines()) <= DOCSTRING_MAX_LINES, (
        f"{path.name}: docstring of {len(doc.splitlines())} lines: move the history to docs/recipes.md")
    headings = {_anchor(h): h for h in re.findall(r"^#+ (.+)$", RECIPES.read_text(), re.M)}
    (anchor,) = POINTER.findall(doc)
    assert anchor in headings, f"{path.name}: docs/recipes.md has no section #{anchor}"
    assert headings[anchor] == path.name, f"{path.name} points at the section of {headings[anchor]}"
