"""Variants of a baseline config for side studies (experiments/baseline_ablation.py).

A variant is the study's base config with a few keys changed and tagged with
`study`, which keeps its runs out of the per-scale summary tables; the
unchanged variant is the tables' own run and carries no tag, so the study
reuses it. Both the driver (drivers/baseline_ablation.py) and the report
(reporting/ablation.py) build variants here.
"""

from __future__ import annotations

from alexnet.config import EXPERIMENTS_DIR, load_config

STUDY = "baseline_ablation"


def variant_config(definition: dict, name: str) -> dict:
    """The checked baseline config of one variant: the base with its changes (and the study tag).

    Args:
      definition: the study's config (`experiments/baseline_ablation.py`):
        'base' (a config file in experiments/) and 'variants'
        {name: (changes, description)}.
      name: one of the variants.
    """
    from baselines.run import validate

    changes, _ = definition["variants"][name]
    config = load_config(EXPERIMENTS_DIR / definition["base"])
    if changes:  # the unchanged variant is the summary tables' own run, so it carries no tag
        config.update(changes, study=STUDY)
    return validate(config)
