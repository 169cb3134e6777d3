"""Fine-tuning: a training run that starts from another run's trained weights.

    python -m alexnet.train --config experiments/imagenette64_alexnet.py init_from=RUN-ID lr=0.002 epochs=10

The config key `init_from` names the source *run* (its id, as `alexnet.probe`'s
`probe_of` does), never a folder, so a run folder and the model folder exported
from it give one config and one config hash. Its weights are found in
$RUNS_DIR/<run-id> (its newest checkpoint) or, since run folders do not outlive
their machine, in a committed model folder models/<name> whose model.json names
that run (`python -m alexnet.export RUN DEST --model-folder`).

When a run starts (not when it resumes: its checkpoint already holds the tuned
weights), every layer but the classifier takes the source's weights; fc8 keeps
its fresh initialisation, since the target's classes are not the source's.
Then all layers train together at the config's (small) learning rate: the
"fine-tuning" of Girshick et al. 2014 and of Chatfield et al. 2014's
transfer experiments, beside the frozen probe (alexnet.probe). The source must be a finished
run of the same network (arch and design switches, checked before the run
folder is made; every layer's shapes, checked as the weights are copied); the
input size may differ where the weights fit (the small-image networks' pool5
is 4x4 at 56 and 64 px alike). The
colour statistics are the target's own, as for any run; the first layer
adapts to the small shift between two sets of ImageNet photographs.
"""

from __future__ import annotations

from pathlib import Path

from alexnet import records, run_folder
from alexnet.config import ConfigError
from alexnet.defaults import MODEL_SWITCHES, option

CLASSIFIER = "fc8"  # re-initialised: the target has its own classes
MODELS_DIR = records.REPO_ROOT / "models"


def has_weights(run_dir: Path) -> bool:
    """True if a run folder still holds a checkpoint (a committed record does not)."""
    return (Path(run_dir) / "checkpoints" / "checkpoint").is_file()


def source_folder(run_id: str, models_dir: Path | None = None) -> Path:
    """The folder holding finished run `run_id`'s network: its run folder, else a model folder.

    Raises:
      ConfigError: neither holds it (one line saying where it looked and how to make one).
    """
    run_dir = run_folder.runs_root() / run_id
    if has_weights(run_dir) and run_folder.is_done(run_dir):
        return run_dir
    models_dir = Path(models_dir or MODELS_DIR)
    for model_json in sorted(models_dir.glob("*/model.json")):
        if records.read_json(model_json).get("source_run") == run_id:
            return model_json.parent
    state = ("is not finished" if has_weights(run_dir) else "holds no checkpoint" if run_dir.exists()
             else "does not exist")
    raise ConfigError(f"init_from={run_id!r}: {run_dir} {state} and no model folder under {models_dir} "
                      "was exported from that run; train it first, or export it with "
                      f"`python -m alexnet.export RUN {models_dir.name}/NAME --model-folder`")


def check_source(config: dict) -> Path:
    """The folder of `config`'s source network, once it is known to be the same network.

    Compares the recorded configs (arch and the design switches), so a
    mismatch is one line before any run folder exists; `initialise` still
    checks every layer's shapes.

    Raises:
      ConfigError: no such network (`source_folder`), or another arch or switch.
    """
    run_id = option(config, "init_from")
    folder = source_folder(run_id)
    source = records.read_json(folder / "config.json")
    mine, theirs = ({"arch": c.get("arch"), **{key: option(c, key) for key in MODEL_SWITCHES}}
                    for c in (config, source))
    for key in mine:
        if mine[key] != theirs[key]:
            raise ConfigError(f"init_from={run_id!r}: {key} is {mine[key]!r} here but {theirs[key]!r} in the source "
                              "network; fine-tuning needs the same network as the source")
    return folder


def initialise(model, run_id: str, models_dir: Path | None = None) -> str:
    """Copies run `run_id`'s weights into every layer of `model` but the classifier.

    Layers are matched by name; the global dtype policy the loading may set is
    restored, so the run keeps its own precision.

    Returns:
      One line for the run's log: where the weights came from and what was copied.

    Raises:
      ConfigError: no such network (`source_folder`), or a layer the source
        lacks or whose weights have other shapes (the line names both shapes).
    """
    import keras

    from alexnet import predict

    folder = source_folder(run_id, models_dir)
    policy = keras.config.dtype_policy()
    try:
        source = predict.load_network(folder)
    finally:
        keras.config.set_dtype_policy(policy)
    by_name = {layer.name: layer for layer in source.layers}
    copied = 0
    for layer in model.layers:
        if not layer.weights or layer.name == CLASSIFIER:
            continue
        if layer.name not in by_name:
            raise ConfigError(f"init_from={run_id!r}: the source network has no layer {layer.name!r}; "
                              "fine-tuning needs the same network (arch and switches) as the source")
        mine, theirs = layer.get_weights(), by_name[layer.name].get_weights()
        shapes = [w.shape for w in mine], [w.shape for w in theirs]
        if shapes[0] != shapes[1]:
            raise ConfigError(f"init_from={run_id!r}: layer {layer.name} has weights of shapes {shapes[0]}, "
                              f"the source's are {shapes[1]}; fine-tuning needs the same network as the source")
        layer.set_weights(theirs)
        copied += sum(int(w.size) for w in theirs)
    return (f"fine-tuning from run {run_id} ({folder}): {copied:,} weights copied into every layer "
            f"but {CLASSIFIER}, which starts afresh")
