"""The published reference numbers (results/published.csv), shown beside ours.

published.csv is the one hand-written file in results/: every row is a number
printed in a paper or on a challenge's results page, with the citation in
`source`. Columns:

    task, dataset, split, model, kind (cnn | handcrafted), top1_err_pct,
    top5_err_pct, eval ('single', '10-crop', 'multi-view', 'ensemble'),
    ilsvrc_entry, source, note

`ilsvrc_entry` places an ILSVRC test-set row in the challenge's history (the
gap figure): 'winner' (that year's winning entry), 'entry' (another entry of
that year), 'after' (measured on that year's test set after the competition,
e.g. AlexNet on the 2010 test set, published in 2012); empty for every other
row, including a second number of the same entry (AlexNet's single-crop 2010
result beside its 10-crop one), so the history has one point per (year, entry).

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
           "eval", "ilsvrc_entry", "source", "note")
KINDS = ("cnn", "handcrafted")
ENTRY_ROLES = ("winner", "entry", "after")


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
        if row["ilsvrc_entry"] and row["ilsvrc_entry"] not in ENTRY_ROLES:
            raise RecordError(f"{where}: ilsvrc_entry {row['ilsvrc_entry']!r} is not one of "
                              f"{', '.join(ENTRY_ROLES)} (or empty)")
        if row["ilsvrc_entry"] and not (row["split"] == "test" and pd.notna(row["top5_err_pct"])):
            raise RecordError(f"{where}: an ILSVRC history point needs split 'test' and a top-5 error")
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
    """The ILSVRC test-set history, 2010-2012: one row per (year, entry) marked in `ilsvrc_entry`.

    Returns:
      Columns year, kind, model, role ('winner' | 'entry' | 'after'), top5_err_pct,
      source, sorted by year and error.

    Raises:
      RecordError: two rows of the same (year, model): the figure would draw one entry twice.
    """
    marked = frame[frame["ilsvrc_entry"] != ""]
    years = marked["dataset"].str.extract(r"^imagenet(\d{4})$", expand=False)
    history = marked.assign(year=pd.to_numeric(years, errors="coerce"), role=marked["ilsvrc_entry"])
    if history["year"].isna().any():
        bad = history[history["year"].isna()].iloc[0]
        raise RecordError(f"published.csv: {bad['model']!r} is marked as an ILSVRC entry but its dataset "
                          f"{bad['dataset']!r} is not imagenet<year>")
    history["year"] = history["year"].astype(int)
    twice = history[history.duplicated(["year", "model"], keep=False)]
    if len(twice):
        raise RecordError(f"published.csv marks {twice['model'].iloc[0]!r} ({twice['year'].iloc[0]}) as an "
                          "ILSVRC entry twice; mark one of its rows")
    columns = ["year", "kind", "model", "role", "top5_err_pct", "source"]
    return history[columns].sort_values(["year", "top5_err_pct"]).reset_index(drop=True)


def best_per_year(history: pd.DataFrame, kind: str | None = None) -> pd.DataFrame:
    """Per year, the competition's best entry (of `kind`, if given): 'after' rows never count."""
    entries = history[history["role"] != "after"]
    if kind is not None:
        entries = entries[entries["kind"] == kind]
    return entries.sort_values("top5_err_pct").groupby("year", as_index=False).first().sort_values("year")
