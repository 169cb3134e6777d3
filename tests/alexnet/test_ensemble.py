"""alexnet.ensemble: members trained on demand, softmax averaged, a record tables cite as a CNN row."""

import numpy as np
import pytest

from alexnet import ensemble, evaluate, records, run_folder
from alexnet.config import ConfigError
from reporting import figures, tables
from reporting.runs import read_record
from tests.reporting_fakes import make_image_folder, write_tiny_cnn_file

@pytest.fixture()
def definition(tmp_path, runs_dir):
    data = make_image_folder(tmp_path / "data" / "tiny")
    member = write_tiny_cnn_file(tmp_path / "tiny_member.py", "tiny_member", data, epochs=1,
                                 eval_batch_size=12, eval_ten_crop=True, lr_schedule="cosine")
    return {"experiment": "tiny_ensemble", "dataset": f"folder:{data}", "model": "cifar_alexnet_ensemble",
            "members": [[str(member), []], [str(member), ["seed=1"]]]}


def test_ensemble_trains_its_members_and_averages_their_softmax(definition, runs_dir, capsys):
    run_dir = ensemble.run(definition, verbose=False)
    assert "member 1/2 is not trained yet" in capsys.readouterr().out
    result = records.read_json(run_dir / "eval.json")
    members = [run_folder.find_finished(m["experiment"], m) for m in ensemble.member_configs(definition)]
    assert result["members"] == [m.name for m in members] and members[0] != members[1]
    # The centre and ten-crop errors are those of the members' averaged probabilities.
    probs = [ensemble.member_probabilities(m, records.read_json(m / "config.json")) for m in members]
    labels = probs[0]["labels"]
    for key in ("centre", "ten_crop"):
        mean = (probs[0][key] + probs[1][key]) / 2
        assert result[key] == pytest.approx(evaluate.top_k_errors(mean, labels))
    evals = [records.read_json(m / "eval.json") for m in members]
    assert result["params"] == sum(e["params"] for e in evals)
    saved = np.load(run_dir / "predictions.npz")
    assert str(saved["crops"]) == "ten_crop" and saved["probs"].shape == (len(labels), 3)
    # Finished: the same folder again, nothing retrained or re-evaluated.
    n_runs = len(list(runs_dir.iterdir()))
    assert ensemble.run(definition, verbose=False) == run_dir and len(list(runs_dir.iterdir())) == n_runs
    # The tables cite it as a CNN row of its own, beside the single member.
    record = read_record(run_dir)
    row = tables.summary_row(record)
    assert (row["kind"], row["name"]) == ("cnn", "Small-image AlexNet, ensemble (CIFAR)")
    # Its figures: a confusion matrix from its predictions; no curves, no single network to draw.
    written = {p.name for p in figures.record_figures([record], runs_dir.parent / "figures")}
    assert "confusion.png" in written and "learning_curves.png" not in written
    notes = []
    assert figures.model_figures([record], runs_dir.parent / "figures", notes=notes) == [] and notes == []


def test_bad_ensemble_configs_get_one_line(definition):
    with pytest.raises(ConfigError, match="config key 'members' must be at least two"):
        ensemble.validate({**definition, "members": definition["members"][:1]})
    with pytest.raises(ConfigError, match="unknown ensemble config key.*: seeds"):
        ensemble.validate({**definition, "seeds": 3})
    with pytest.raises(ConfigError, match="member 'x.py' is not a \\[config file, \\[overrides\\]\\] pair"):
        ensemble.validate({**definition, "members": ["x.py", "y.py"]})
    with pytest.raises(ConfigError, match="trains on folder:.*not the ensemble's cifar10"):
        ensemble.member_configs({**definition, "dataset": "cifar10"})
