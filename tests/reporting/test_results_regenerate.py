"""The committed summaries are what the code makes of the committed records: regenerated, no diff."""

import shutil

import pytest

from alexnet import records
from reporting import ablation, classes, paper_claims, scaling, tables, transfer

RESULTS = records.REPO_ROOT / "results"
SUMMARIES = ["cifar10/summary", "imagenette/summary", "tiny_imagenet/summary", "scaling/summary",
             "baseline_ablation/summary", "tiny_imagenet/classes", "transfer/summary", "ablations/summary"]


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """A copy of results/ (figures left out) with every summary regenerated from its records alone."""
    root = tmp_path_factory.mktemp("regen")
    results, runs = root / "results", root / "runs"
    runs.mkdir()
    shutil.copytree(RESULTS, results, ignore=shutil.ignore_patterns("*.png", "*.pdf", "notebooks"))
    tables.generate(runs, results)
    scaling.generate(runs, results)
    ablation.generate(runs, results)
    classes.generate(runs, results)
    transfer.generate(runs, results)
    paper_claims.generate(runs, results)
    return results


@pytest.mark.parametrize("name", SUMMARIES)
@pytest.mark.parametrize("suffix", [".md", ".csv"])
def test_committed_summary_regenerates_without_a_diff(regenerated, name, suffix):
    committed = (RESULTS / (name + suffix)).read_text()
    assert (regenerated / (name + suffix)).read_text() == committed, (
        f"results/{name}{suffix} differs from what its records give: regenerate it "
        f"(python -m reporting.tables / scaling / ablation / classes / transfer / paper_claims) and commit")
