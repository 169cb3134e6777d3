"""Tables, figures and notebooks, generated from run records only.

Entry points (each takes --runs-dir, default $RUNS_DIR or runs/, and
--results-dir, default $RESULTS_DIR or results/):

    python -m reporting.tables     results/<scale>/summary.{csv,md} and records/
    python -m reporting.figures    results/<scale>/figures/, results/figures/gap
    python -m reporting.notebooks  executes notebooks/*.ipynb into results/notebooks/
    python -m reporting.scaling    results/scaling/: the data-scaling table and figure
    python -m reporting.classes    results/tiny_imagenet/classes.*: the lead against the number of classes
    python -m reporting.transfer   results/transfer/: frozen Tiny-ImageNet features vs training anew
    python -m reporting.ablation   results/baseline_ablation/: the Fisher-vector pipeline's ablation
    python -m reporting.paper_claims  results/ablations/: the paper's design claims, re-measured

Modules: `runs` (finding and citing records), `predictions` (confusion and
failures from predictions.npz), `published` (results/published.csv), `tables`,
`plots` (the drawings), `figures`, `inspection` (conv1 filters and fc7
features of a restored network), `activations` (each conv layer's most exciting
image patches), `notebooks`, `scaling` (with `scaling_stats` and
`scaling_presentation`), `classes`, `transfer`, `ablation`, `paper_claims`.
"""
