"""The published reference numbers (results/published.csv), shown beside ours.

published.csv is the one hand-written file in results/: every row is a number
printed in a paper or on a challenge's results page, with the citation in
`source`. Columns:

    task, dataset, split, model, kind (cnn | handcrafted), top1_err_pct,
    top5_err_pct, eval ('single', '10-crop', 'multi-view', 'ensemble'), source, note

`dataset` uses our scale names where the task is one we run (imagenet2012,
cifar10), so a scale's summary can list the published rows for the same data;
imagenet2010 and imagenet2011 are the earlier ILSVRC test sets. Empty cells mean
"not published".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alexnet import records
from reporting.runs import RecordError

COLUMNS = ("task", "dataset", "split", "model", "kind", "top1_err_pct", "top5_err_pct",
           "eval", "source", "note")
KINDS = ("cnn", "handcrafted")


def path_in(results_dir: Path) -> Path:
    """results_dir/published.csv, else the repository's (a scratch results folder has none)."""
    path = Path(results_dir) / "published.csv"
    return path if path.exists() else records.REPO_ROOT / "results" / "published.csv"


def load(results_dir: Path) -> pd.DataFrame:
    """published.csv, checked: the columns above, known kinds, numbers in 0-100.

    Raises:
      RecordError: a missing file, a missing column or a malformed row (one line).
    """
    path = path_in(results_dir)
    if not path.exists():
        raise RecordError(f"{path} is missing: it holds the published numbers shown beside ours")
    frame = pd.read_csv(path, dtype={"source": str, "note": str}, keep_default_na=False,
                        na_values={"top1_err_pct": [""], "top5_err_pct": [""]})
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise RecordError(f"{path} lacks column(s) {', '.join(missing)}")
    for i, row in frame.iterrows():
        where = f"{path} row {i + 2}"
        if row["kind"] not in KINDS:
            raise RecordError(f"{where}: kind {row['kind']!r} is not one of {', '.join(KINDS)}")
        if not row["source"]:
            raise RecordError(f"{where}: every published number needs a source")
        for col in ("top1_err_pct", "top5_err_pct"):
            if pd.notna(row[col]) and not 0.0 <= float(row[col]) <= 100.0:
                raise RecordError(f"{where}: {col} {row[col]} is not a percentage")
    return frame[list(COLUMNS)]


def for_scale(frame: pd.DataFrame, scale: str) -> pd.DataFrame:
    """The published rows on the same dataset as one of our scales (may be empty)."""
    return frame[frame["dataset"] == scale].reset_index(drop=True)


def ilsvrc_history(frame: pd.DataFrame) -> pd.DataFrame:
    """The best published ILSVRC test top-5 error per (year, kind), 2010-2012.

    Returns:
      Columns year, kind, model, top5_err_pct, source; one row per year and kind.
    """
    years = frame["dataset"].str.extract(r"^imagenet(\d{4})$", expand=False)
    test = frame.assign(year=pd.to_numeric(years, errors="coerce"))
    test = test[(test["split"] == "test") & test["year"].notna() & test["top5_err_pct"].notna()]
    best = test.sort_values("top5_err_pct").groupby(["year", "kind"], as_index=False).first()
    best["year"] = best["year"].astype(int)
    return best[["year", "kind", "model", "top5_err_pct", "source"]].sort_values(["year", "kind"])
