"""The plain baseline, and variants of a baseline config for side studies.

The scales' baseline configs (experiments/fv_*.py) are the 2012 entries' form
(colour statistics beside SIFT; on Imagenette also a spatial pyramid). The
plain SIFT pipeline is the same config with those features off
(`plain_config`): the per-scale tables show it beside the 2012 form, and the
ablation study (experiments/baseline_ablation.py) changes it one setting at a
time. A variant is tagged with `study`, which keeps its runs out of the
per-scale tables, unless it *is* one of the tables' runs (the plain config, or
the settings of the scale's own config), which the study then reuses. Both
the drivers and the reports build configs here.
"""

from __future__ import annotations

from alexnet.config import EXPERIMENTS_DIR, load_config

STUDY = "baseline_ablation"
# What turns a scale's baseline config into the plain SIFT pipeline.
PLAIN = {"model": "dsift_fv_svm", "colour": False, "spatial_pyramid": False}


def plain_config(config: dict) -> dict:
    """The plain SIFT-only pipeline of a baseline config, checked (the tables' second baseline row)."""
    from baselines.run import validate

    return validate({**config, **PLAIN})


def variant_config(definition: dict, name: str) -> dict:
    """The checked baseline config of one variant: the plain pipeline with its changes.

    Args:
      definition: the study's config (`experiments/baseline_ablation.py`):
        'base' (a config file in experiments/), 'variants'
        {name: (changes to the plain pipeline, description)} and optionally
        'svm': the classifier settings every variant uses instead of the
        base's fair_svm_settings keys (those absent from it are dropped).
      name: one of the variants.

    Returns:
      One of the scale table's own configs (the scale's baseline config, or its
      plain form) where the variant is exactly that, untagged, so the study
      reuses the table's run; else the variant tagged with the study, which keeps
      it out of the per-scale tables (a variant with the study's own SVM settings
      is never the table's run once the scale's config has other ones).
    """
    from baselines.defaults import fair_svm_settings
    from baselines.run import validate

    changes, _ = definition["variants"][name]
    scale = validate(load_config(EXPERIMENTS_DIR / definition["base"]))
    base = scale
    if definition.get("svm") is not None:
        base = validate({**{k: v for k, v in scale.items() if k not in fair_svm_settings()}, **definition["svm"]})
    config = {**plain_config(base), **changes}
    if all(config[k] == base[k] for k in config if k != "model"):
        config = base  # the 2012 form, under its own model name
    if config in (scale, plain_config(scale)):
        return config
    return validate({**config, "study": STUDY})


def untagged(config: dict) -> dict:
    """A variant's config without the study tag: the config its run had when it was also one of
    the scale table's runs (the tag changes what cites a run, not what the run computes)."""
    return {k: v for k, v in config.items() if k != "study"}
