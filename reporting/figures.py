"""Figures, generated from run records only (PNG and PDF, matplotlib's Agg canvas).

    python -m reporting.figures [--runs-dir runs] [--results-dir results]
                                [--run-ids ID ...] [--scale NAME ...]
                                [--data-dir DIR] [--max-images N] [--no-model-figures]

Per scale, into results/<scale>/figures/:

    learning_curves        per CNN: train and held-out error, train and held-out loss,
                           and the learning rate per epoch, lr drops marked
    confusion              row-normalised confusion matrices, CNN and baseline, each
                           titled with its crops and the table's top-1 error for them
    per_class_error        top-1 error per class, both models, from the same counts
    conv1_filters_<arch>   the learned conv1 filters, towers apart (paper, Fig. 3)
    nearest_neighbours_<arch>  validation images and their nearest training images
                           in fc7 space (paper, Fig. 4)

and into results/figures/:

    gap                    CNN vs hand-crafted per scale (ours), beside the
                           published ILSVRC 2010-2012 history

The cited runs are those of `reporting.tables` (newest finished per scale and
model, or --run-ids). Learning curves, confusion and gap need only the records
(the committed copies suffice); filters, neighbours and layer patches need the
trained network and the images. The network is the run folder's checkpoint, else
a model folder under models/ whose config.json has the record's config hash (the
same recipe, seed and data: `inspection.model_folder_of`; a note names the folder
and its source run); the figures are skipped with a note when there is neither,
or no images. The figure functions (`filters_figure`, `neighbours_figure`,
`layers_figure`) take a model folder's record as well (`runs.read_model_folder`),
as notebook 02 does.

Every figure draws a model in its family's colour (`plots.FAMILY_COLOURS`), names
the split a scale reports (CIFAR-10: its test split; elsewhere the validation
split) and prints error rates with the tables' two decimals. A confusion matrix
shows the crops of the record's saved predictions (`predictions.saved_crops`): a
CNN evaluated on ten crops keeps only those, so its panel says 10-crop beside
the baseline's centre crop, and the figure's title says that the crops differ.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from alexnet.class_names import readable
from alexnet.config import ConfigError
from reporting import inspection, plots, predictions, published
from reporting.runs import Record, RecordError, add_arguments, cite, resolve_dirs, run_main
from reporting.tables import display_name, short_name, summary_frame

FORMATS = ("png", "pdf")


def save(fig, out_dir: Path, name: str) -> list[Path]:
    """Writes `fig` as out_dir/name.png and .pdf; returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.{ext}" for ext in FORMATS]
    for path in paths:
        # No creation date in the PDF: regenerated figures stay byte-identical for git.
        fig.savefig(path, dpi=150, metadata={"CreationDate": None} if path.suffix == ".pdf" else None)
    return paths


def _label(record: Record) -> str:
    return f"{display_name(record.model, record.kind)}\n{record.run_id}"


def _family(record: Record) -> str:
    return plots.family(record.kind, record.model)


# How the figures name a crop mode: the words of the tables' column headers.
CROP_LABELS = {"centre": "centre crop", "ten_crop": "10-crop"}


def record_figures(cited: list[Record], out_dir: Path) -> list[Path]:
    """Learning curves, confusion matrices and per-class error of one scale's runs."""
    written = []
    cnns = [(r, m) for r in cited if r.kind == "cnn" for m in [r.metrics()] if len(m) and "epoch" in m]
    if cnns:
        written += save(plots.learning_curves([(_label(r), m) for r, m in cnns], [_family(r) for r, _ in cnns]),
                        out_dir, "learning_curves")
    shown = [(r, c, predictions.saved_crops(r)) for r in cited
             for c in [predictions.record_confusion(r)] if c is not None]
    if shown:
        written += save(confusion_figure(shown), out_dir, "confusion")
        written += save(per_class_figure(shown), out_dir, "per_class_error")
    return written


def _scale_and_split(records: list[Record]) -> str:
    scale = records[0].scale
    return f"{scale}, {plots.split_name(scale)} split"


def _table_error(record: Record, crops: str, counts: pd.DataFrame) -> float:
    """Top-1 error of the crops shown, as the table prints it (eval.json), else from the counts."""
    block = record.eval().get(crops) or {}
    try:
        return float(block["top1_err_pct"])
    except (KeyError, TypeError, ValueError):
        return _error(counts)


def confusion_figure(shown: list[tuple[Record, pd.DataFrame, str]]):
    """Confusion matrices of one scale's runs, each panel titled with its model, crops and top-1 error.

    Args:
      shown: (record, confusion counts, crops) per run; crops as `predictions.saved_crops`.
    """
    panels = [(f"{display_name(r.model, r.kind)}: {CROP_LABELS[crops]}, top-1 error "
               f"{_table_error(r, crops, c):.2f}%" + _centre_aside(r, crops), c) for r, c, crops in shown]
    return plots.confusion(panels, [_family(r) for r, _, _ in shown],
                           title=f"Confusion matrices, {_scale_and_split([r for r, _, _ in shown])}: "
                                 + _crops_phrase(shown))


def per_class_figure(shown: list[tuple[Record, pd.DataFrame, str]]):
    """Per-class top-1 error of one scale's runs, from the same counts as `confusion_figure`."""
    errors = pd.DataFrame({f"{display_name(r.model, r.kind)}, {CROP_LABELS[crops]}: "
                           f"{_table_error(r, crops, c):.2f}% overall": predictions.per_class_error(c)
                           for r, c, crops in shown})
    return plots.per_class(errors, [_family(r) for r, _, _ in shown],
                           title=f"Per-class top-1 error, {_scale_and_split([r for r, _, _ in shown])}: "
                                 + _crops_phrase(shown))


def _centre_aside(record: Record, crops: str) -> str:
    """For a matrix of ten crops: the centre-crop error beside it, which compares with the baseline's."""
    if crops == "centre":
        return ""
    block = record.eval().get("centre") or {}
    return f" (centre crop: {block['top1_err_pct']:.2f}%)" if "top1_err_pct" in block else ""


def _crops_phrase(shown: list[tuple[Record, pd.DataFrame, str]]) -> str:
    """One crop mode for all: its name. Several: which family shows which, since the
    records keep the predictions of one crop mode each (the CNN's: ten crops)."""
    modes = list(dict.fromkeys(crops for _, _, crops in shown))  # in the panels' order
    if len(modes) == 1:
        return CROP_LABELS[modes[0]]
    parts = []
    for mode in modes:
        families = list(dict.fromkeys(plots.FAMILY_LABELS.get(_family(r), r.kind)
                                      for r, _, crops in shown if crops == mode))
        parts.append(f"{' and '.join(families)} {CROP_LABELS[mode]}")
    return ", ".join(parts) + " (a record keeps one crop mode's predictions; each error is the table's for its crops)"


def _error(counts: pd.DataFrame) -> float:
    """Top-1 error in percent over all images of a confusion matrix."""
    values = counts.to_numpy()
    return 100.0 * (1.0 - values.trace() / max(values.sum(), 1))


def filters_figure(record: Record, net):
    """conv1 filters of a restored network (a run's or a model folder's) as a figure, the two towers apart."""
    filters, towers = inspection.conv1(net)
    per_tower = filters.shape[-1] // towers
    parts = [(f"tower {t} (the paper's GPU {t + 1}): filters {t * per_tower}-{(t + 1) * per_tower - 1}"
              if towers == 2 else f"{filters.shape[-1]} filters",
              inspection.filter_mosaic(filters[..., t * per_tower:(t + 1) * per_tower]))
             for t in range(towers)]
    k = filters.shape[0]
    return plots.conv1_filters(parts, f"conv1: {filters.shape[-1]} filters of {k}x{k}x3, "
                                      f"{display_name(record.model, record.kind)}")


def neighbours_figure(record: Record, net, data_dir=None, max_images: int = 1000,
                      n_queries: int = 6, k: int = 6):
    """Validation images (first column) and their k nearest training images in fc7 space.

    Args:
      max_images: training images searched (a class-balanced sample), which
        bounds the forward passes; their features are cached (`inspection.cache_dir`:
        in a run folder, never in a model folder).
    """
    val = inspection.image_set(record, "val", data_dir=data_dir, max_images=max(10 * n_queries, 200))
    queries = inspection.image_set(record, "val", positions=inspection.pick_queries(val, n_queries),
                                   data_dir=data_dir)
    database = inspection.image_set(record, "train", max_images=max_images, data_dir=data_dir)
    found = inspection.nearest(inspection.features(record, net, queries, "val"),
                               inspection.features(record, net, database, "train"), k)
    names = [readable(c) for c in queries.class_names]
    query_pix = inspection.pixels(queries, queries.positions)
    neighbour_pix = inspection.pixels(database, database.positions[found].ravel())
    rows, titles, colours = [], [], []
    for i, label in enumerate(queries.labels):
        hits = database.labels[found[i]]
        rows.append([query_pix[i]] + neighbour_pix[i * k:(i + 1) * k])
        titles.append([f"query: {names[label]}"] + [names[h] for h in hits])
        colours.append(["black"] + ["#2ca02c" if h == label else "#d62728" for h in hits])
    return plots.image_rows(rows, titles, colours, title=(
        f"{display_name(record.model, record.kind)}: nearest training images in fc7 space\n"
        f"(Euclidean; {len(database.positions)} training images searched; green frame = same class)"))


def layers_figure(record: Record, net, data_dir=None, max_images: int = 1000, channels: int = 6, k: int = 4):
    """For conv1 ... conv5, a few channels' most exciting validation patches (receptive fields).

    The images are the dataset's that the record's config names, run folder or model folder alike.
    """
    from reporting import activations

    images = inspection.image_set(record, "val", data_dir=data_dir, max_images=max_images)
    stats = inspection.colour_stats(record, images)
    rows = [(f"{name}\n{field.size}x{field.size} px", strips)
            for name, field, strips in activations.patch_mosaics(net, images, stats, channels=channels, k=k)]
    return plots.layer_patches(rows, (
        f"{display_name(record.model, record.kind)}: what each layer responds to. Per layer, {channels} channels "
        f"(highest mean activation); per channel, the {k} of {len(images.positions)} validation images\n"
        "that excite it most, cropped to the receptive field of the strongest unit (Zeiler & Fergus 2014)"))


def examples_figure(images: inspection.ImageSet, indices, models: dict[str, predictions.Predictions],
                    title: str = "", columns: int = 8):
    """Validation images with their true class and each model's top-1 guess.

    Args:
      images: the validation ImageSet the indices point into (source order,
        which is the order of predictions.npz).
      indices: which validation images.
      models: {short model name: its Predictions}.
    """
    names = [readable(c) for c in images.class_names]
    pix = inspection.pixels(images, indices)
    rows, titles, colours = [], [], []
    for start in range(0, len(pix), columns):
        chunk = list(range(start, min(start + columns, len(pix))))
        rows.append([pix[i] for i in chunk])
        row_titles, row_colours = [], []
        for i in chunk:
            idx = int(indices[i])
            truth = int(images.labels[np.searchsorted(images.positions, idx)])
            guesses = {m: int(p.predicted[idx]) for m, p in models.items()}
            lines = [f"true: {names[truth]}"] + [f"{m}: {names[g]}" for m, g in guesses.items()]
            row_titles.append("\n".join(lines))
            right = [g == truth for g in guesses.values()]
            row_colours.append("#2ca02c" if all(right) else "#d62728" if not any(right) else "#ff7f0e")
        titles.append(row_titles)
        colours.append(row_colours)
    return plots.image_rows(rows, titles, colours, title=title)


def _network(record: Record, models_root: Path | None) -> tuple[Record, object]:
    """(the record to draw with, its network): the run folder's, else a model folder of the same config.

    Raises:
      RecordError: neither is here (the run folder's reason), or the model folder cannot be loaded.
    """
    try:
        return record, inspection.load_model(record)
    except RecordError:
        # A fresh clone has no run folders, but may commit the network as models/<scale>.
        folder = None if record.model_folder else inspection.model_folder_of(record, models_root)
        if folder is None:
            raise
        # The folder's record, not the cited one: its preprocessing.json, and a feature cache outside results/.
        return folder, inspection.load_model(folder)


def model_figures(cited: list[Record], out_dir: Path, data_dir=None, max_images: int = 1000,
                  notes: list[str] | None = None, models_root: Path | None = None) -> list[Path]:
    """conv1 filters, fc7 neighbours and each layer's patches of each cited CNN whose network is here.

    Args:
      models_root: where model folders stand in for a run folder without checkpoints
        (default `inspection.MODELS_ROOT`, the repository's models/).
    """
    written = []
    for record in cited:
        if "arch" not in record.config:  # the baseline, or an ensemble (several networks, none to draw)
            continue
        try:
            drawn, net = _network(record, models_root)
            written += save(filters_figure(drawn, net), out_dir, f"conv1_filters_{record.model}")
            written += save(neighbours_figure(drawn, net, data_dir, max_images), out_dir,
                            f"nearest_neighbours_{record.model}")
            written += save(layers_figure(drawn, net, data_dir, max_images), out_dir, f"layer_patches_{record.model}")
        except (RecordError, ConfigError) as err:  # no checkpoint nor model folder here, or no images
            if notes is not None:
                notes.append(f"skipped model figures of {record.run_id}: {err}")
            continue
        if drawn is not record and notes is not None:
            notes.append(f"model figures of {record.run_id} drawn with {inspection.label(drawn)}, same config")
    return written


def gap_figure(cited: dict[str, list[Record]], results_dir: Path) -> list[Path]:
    """results/figures/gap.{png,pdf} from every scale's cited runs and published.csv."""
    # Short labels (AlexNet 2012, SIFT+colour FV): the long names would not fit under the bars.
    frames = [summary_frame(recs).assign(scale=scale) for scale, recs in cited.items()]
    frames = [f.assign(name=[short_name(m, k) for m, k in zip(f["model"], f["kind"])]) for f in frames]
    ours = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["scale", "name", "kind", "top1_err_pct_centre", "top5_err_pct_centre"])
    history = published.ilsvrc_history(published.load(results_dir))
    return save(plots.gap(ours, history), Path(results_dir) / "figures", "gap")


def generate(runs_dir: Path, results_dir: Path, run_ids=(), scales=None, data_dir=None,
             max_images: int = 1000, model: bool = True, notes: list[str] | None = None,
             models_root: Path | None = None) -> list[Path]:
    """Draws every figure the cited records allow; returns the files written.

    Args:
      models_root: the model folders that stand in for run folders without
        checkpoints (default: the repository's models/).
    """
    cited = cite(runs_dir, results_dir, run_ids, scales)
    if not cited:
        raise RecordError(f"no finished run records in {runs_dir} nor in {results_dir}/*/records")
    written = []
    for scale, recs in cited.items():
        out_dir = Path(results_dir) / scale / "figures"
        written += record_figures(recs, out_dir)
        if model:
            written += model_figures(recs, out_dir, data_dir, max_images, notes, models_root)
    everything = cite(runs_dir, results_dir)  # the gap shows every scale, not just those redrawn
    everything.update(cited)
    return written + gap_figure(everything, results_dir)


def main(argv: list[str] | None = None) -> int:
    import matplotlib
    matplotlib.use("Agg")
    parser = argparse.ArgumentParser(prog="python -m reporting.figures", description=__doc__.split("\n")[0])
    add_arguments(parser)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="datasets for the model figures (default: $DATA_DIR or the run's config)")
    parser.add_argument("--max-images", type=int, default=1000,
                        help="training images searched for fc7 nearest neighbours (default 1000)")
    parser.add_argument("--no-model-figures", action="store_true",
                        help="skip conv1 filters and nearest neighbours (no TensorFlow, no images)")

    def body(args, notes):
        runs_dir, results_dir = resolve_dirs(args)
        return generate(runs_dir, results_dir, args.run_ids, args.scales, args.data_dir,
                        args.max_images, not args.no_model_figures, notes)

    return run_main(body, parser, argv)


if __name__ == "__main__":
    raise SystemExit(main())
