"""README numbers are copies of generated results, never typed: each copied block must match its source.

A copied block in README.md reads

    <!-- copied from results/<...>.md -->
    ...lines that appear verbatim in that file (and **labels** of its sections)...
    <!-- end copy -->
"""

import re

from alexnet import records

BLOCK = re.compile(r"<!-- copied from (\S+) -->\n(.*?)<!-- end copy -->", re.S)


def _blocks():
    return BLOCK.findall((records.REPO_ROOT / "README.md").read_text())


def test_readme_copies_generated_tables():
    blocks = _blocks()
    sources = {source for source, _ in blocks}
    assert {"results/imagenette/summary.md", "results/cifar10/summary.md", "results/scaling/summary.md",
            "results/baseline_ablation/summary.md"} <= sources


def test_every_copied_line_is_in_its_source():
    for source, text in _blocks():
        generated = set((records.REPO_ROOT / source).read_text().splitlines())
        for line in filter(None, (line.strip() for line in text.splitlines())):
            if line.startswith("**") and line.endswith("**"):  # a section label
                continue
            assert line in generated, f"README line not in {source} (regenerate, then copy): {line}"
