"""The paper's design claims (issue 25): the model switches and the study's plan (drivers.ablations)."""

import numpy as np
import pandas as pd
import pytest
import keras

from alexnet import model as M
from alexnet import train
from alexnet.config import ConfigError, apply_overrides, load_config
from alexnet.defaults import model_switches, optional_config
from alexnet.layers import LocalResponseNorm, TwoTower
from alexnet.records import config_hash
from drivers import ablations
from reporting import paper_claims
from tests.reporting_fakes import cnn_eval, make_run


@pytest.fixture(autouse=True)
def _float32_policy():
    M.set_precision("float32")
    yield
    M.set_precision("float32")


def conv(k, c_in, c_out):
    return k * k * c_in * c_out + c_out


def dense(n_in, n_out):
    return n_in * n_out + n_out


# By hand from the layer shapes: 28 px -> pools 14, 7, 4, so fc6 reads 4 x 4 x 128 (both towers).
HEAD = dense(4 * 4 * 128, 512) + dense(512, 256) + dense(256, 10)
CIFAR_ALEXNET = {
    "one": conv(5, 3, 64) + conv(5, 64, 128) + conv(3, 128, 192) + conv(3, 192, 192) + conv(3, 192, 128) + HEAD,
    # Each tower half the kernels; conv2, conv4, conv5 read their own tower, conv3 both.
    "two": 2 * (conv(5, 3, 32) + conv(5, 32, 64) + conv(3, 128, 96) + conv(3, 96, 96) + conv(3, 96, 64)) + HEAD,
    # Half the kernels in conv1-conv4; conv5 and the head unchanged.
    "one_half": conv(5, 3, 32) + conv(5, 32, 64) + conv(3, 64, 96) + conv(3, 96, 96) + conv(3, 96, 128) + HEAD,
}
# 24 px -> pools 12, 6: fc6 reads 6 x 6 x 64.
CIFAR_CONVNET = conv(5, 3, 64) + conv(5, 64, 64) + dense(6 * 6 * 64, 384) + dense(384, 192) + dense(192, 10)


@pytest.mark.parametrize("switches, params", [
    ({}, CIFAR_ALEXNET["one"]),
    ({"activation": "tanh"}, CIFAR_ALEXNET["one"]),
    ({"lrn": False}, CIFAR_ALEXNET["one"]),
    ({"pool": [2, 2]}, CIFAR_ALEXNET["one"]),
    ({"towers": "two"}, CIFAR_ALEXNET["two"]),
    ({"towers": "one_half"}, CIFAR_ALEXNET["one_half"]),
])
def test_cifar_alexnet_parameter_counts(switches, params):
    m = M.build_model("cifar_alexnet", 10, 28, **switches)
    assert m.count_params() == params
    assert m.output_shape == (None, 10)


def test_the_tower_variants_counts_are_what_the_docstring_says():
    assert (CIFAR_ALEXNET["one"], CIFAR_ALEXNET["two"], CIFAR_ALEXNET["one_half"]) == (2_167_434, 1_788_554,
                                                                                       1_485_834)
    assert M.__doc__.count("1,788,554") == 1 and M.__doc__.count("1,485,834") == 1


@pytest.mark.parametrize("switches", [{}, {"activation": "tanh"}, {"lrn": False}])
def test_cifar_convnet_parameter_counts(switches):
    assert M.build_model("cifar_convnet", 10, 24, **switches).count_params() == CIFAR_CONVNET == 1_068_298


def test_alexnet64_switches_its_towers_too():
    # 56 px: conv1 at stride 2 -> 28, pools 14, 7, 4; fc6 reads 4 x 4 x 256; 200 classes.
    head = dense(4 * 4 * 256, 2048) + dense(2048, 2048) + dense(2048, 200)
    two = 2 * (conv(5, 3, 48) + conv(5, 48, 128) + conv(3, 256, 192) + conv(3, 192, 192) + conv(3, 192, 128))
    assert M.build_model("alexnet64", 200, 56, towers="two").count_params() == two + head == 15_303_240


def test_a_two_tower_network_survives_a_keras_file(tmp_path):
    """Export and model folders save .keras files; reloading must not build the towers twice."""
    m = M.build_model("cifar_alexnet", 10, 28, towers="two")
    m.save(tmp_path / "two.keras")
    restored = keras.saving.load_model(tmp_path / "two.keras")
    x = np.random.default_rng(1).normal(size=(2, 28, 28, 3)).astype("float32")
    np.testing.assert_array_equal(restored(x), m(x))


def test_two_towers_read_their_own_tower_except_conv3():
    m = M.build_model("cifar_alexnet", 10, 28, towers="two")
    # A tower kernel's input channels: its own tower's maps (half) or both towers' (all).
    shapes = {name: [tuple(t.kernel.shape) for t in m.get_layer(name).towers]
              for name in ("conv1", "conv2", "conv3", "conv4", "conv5")}
    assert shapes == {"conv1": [(5, 5, 3, 32)] * 2, "conv2": [(5, 5, 32, 64)] * 2, "conv3": [(3, 3, 128, 96)] * 2,
                      "conv4": [(3, 3, 96, 96)] * 2, "conv5": [(3, 3, 96, 64)] * 2}
    assert all(isinstance(m.get_layer(n), TwoTower) for n in ("lrn1", "pool1", "lrn2", "pool2", "pool5"))
    assert tuple(m.get_layer("fc6").kernel.shape) == (4 * 4 * 128, 512)
    # Changing tower 0's input to conv4 moves tower 0's output only.
    x = np.random.default_rng(0).normal(size=(1, 7, 7, 96)).astype("float32")
    conv4 = m.get_layer("conv4")
    a = conv4([x, x])
    b = conv4([x + 1.0, x])
    assert not np.allclose(a[0], b[0]) and np.array_equal(a[1], b[1])
    features = M.feature_extractor(m, ("pool5", "fc7"))(np.zeros((2, 28, 28, 3), "float32"))
    assert tuple(features["pool5"].shape) == (2, 4, 4, 128) and tuple(features["fc7"].shape) == (2, 256)


def test_one_tower_half_halves_conv1_to_conv4_only():
    m = M.build_model("cifar_alexnet", 10, 28, towers="one_half")
    widths = [m.get_layer(f"conv{i}").kernel.shape[-1] for i in range(1, 6)]
    assert widths == [32, 64, 96, 96, 128]
    assert [m.get_layer(n).kernel.shape[-1] for n in ("fc6", "fc7")] == [512, 256]


@pytest.mark.parametrize("pool", [[3, 2], [2, 2]])
def test_both_poolings_give_the_same_map_sizes(pool):
    """The paper compares overlapping pooling with 2/2 at equal output sizes."""
    m = M.build_model("cifar_alexnet", 10, 28, pool=pool)
    assert [m.get_layer(n).output.shape[1] for n in ("conv1", "pool1", "pool2", "pool5")] == [28, 14, 7, 4]
    size, stride = pool
    assert (m.get_layer("pool1").pool_size, m.get_layer("pool1").strides) == ((size, size), (stride, stride))


def test_lrn_switch_removes_the_normalisation():
    def lrns(m):
        return [layer.name for layer in m.layers if isinstance(layer, LocalResponseNorm)]

    assert lrns(M.build_model("cifar_alexnet", 10, 28)) == ["lrn1", "lrn2"]
    assert lrns(M.build_model("cifar_alexnet", 10, 28, lrn=False)) == []
    assert lrns(M.build_model("cifar_convnet", 10, 24, lrn=False)) == []
    two = M.build_model("cifar_alexnet", 10, 28, towers="two", lrn=False)
    assert not any(layer.name.startswith("lrn") for layer in two.layers)


@pytest.mark.parametrize("arch, size, switches", [("cifar_alexnet", 28, {}), ("cifar_alexnet", 28, {"towers": "two"}),
                                                  ("cifar_convnet", 24, {})])
def test_tanh_is_really_used(arch, size, switches):
    x = np.random.default_rng(1).normal(size=(4, size, size, 3)).astype("float32")
    outputs = {}
    for activation in ("relu", "tanh"):
        keras.utils.set_random_seed(0)
        m = M.build_model(arch, 10, size, init="he", activation=activation, **switches)
        outputs[activation] = {k: np.asarray(v) for k, v in M.feature_extractor(m, ("conv1", "fc7"))(x).items()}
    for name in ("conv1", "fc7"):
        relu, tanh = outputs["relu"][name], outputs["tanh"][name]
        assert relu.min() >= 0.0 and tanh.min() < -0.1, name
        assert np.abs(tanh).max() <= 1.0 and relu.max() > 1.0, name
    # The same seed gives the same weights, so conv1 applies tanh to what ReLU sees.
    pre = np.arctanh(np.clip(outputs["tanh"]["conv1"], -0.999999, 0.999999))
    positive = (outputs["relu"]["conv1"] > 0.05) & (outputs["relu"]["conv1"] < 4.0)
    np.testing.assert_allclose(pre[positive], outputs["relu"]["conv1"][positive], rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("arch, size", [("alexnet2012", 67), ("alexnet2014", 67), ("cifar_convnet", 24),
                                        ("cifar_alexnet", 28), ("alexnet64", 56)])
def test_default_switches_build_the_same_network_bit_for_bit(arch, size):
    """A config without the keys and one with their defaults build the network as before the switches."""
    assert model_switches({}) == {"activation": "relu", "lrn": True, "pool": [3, 2], "towers": "one"}
    x = np.random.default_rng(2).normal(size=(2, size, size, 3)).astype("float32")
    built = []
    for switches in ({}, model_switches({"arch": arch}), {"activation": "relu", "lrn": True, "pool": (3, 2)}):
        keras.utils.set_random_seed(5)
        m = M.build_model(arch, 4, size, init="he", **switches)
        built.append((m.get_weights(), np.asarray(m(x)), [layer.name for layer in m.layers]))
    (w0, y0, names0), *others = built
    for w, y, names in others:
        assert names == names0 and len(w) == len(w0)
        assert all(np.array_equal(a, b) for a, b in zip(w0, w))
        assert np.array_equal(y, y0)


@pytest.mark.parametrize("arch, switches, message", [
    ("alexnet2014", {"lrn": False}, "lrn=False does not apply to 'alexnet2014': it has no LRN to remove"),
    ("alexnet2012", {"towers": "two"}, "towers='two' does not apply to 'alexnet2012': only the small-image "
                                       "AlexNets (cifar_alexnet, alexnet64) switch their tower layout"),
    ("cifar_convnet", {"towers": "one_half"}, "towers='one_half' does not apply to 'cifar_convnet': only the "
                                              "small-image AlexNets (cifar_alexnet, alexnet64) switch their tower "
                                              "layout"),
    ("cifar_alexnet", {"activation": "sigmoid"}, "unknown activation 'sigmoid'; expected one of relu, tanh"),
    ("cifar_alexnet", {"pool": [3, 3]}, "pool must be [size, stride], one of [3, 2], [2, 2]; got [3, 3]"),
    ("cifar_alexnet", {"towers": "three"}, "unknown towers 'three'; expected one of one, two, one_half"),
])
def test_a_switch_a_network_lacks_is_one_line(arch, switches, message):
    with pytest.raises(ValueError) as err:
        M.build_model(arch, 10, 28 if arch.startswith("cifar") else 224, **switches)
    assert str(err.value) == message


def test_the_trainer_checks_the_switches_before_building():
    base = load_config(ablations.EXPERIMENTS_DIR / "cifar10_convnet.py")
    checked = train.validate(apply_overrides(base, ["towers=two", "activation=tanh"], optional_config()))
    assert (checked["towers"], checked["activation"]) == ("two", "tanh")
    with pytest.raises(ConfigError, match=r"^config key 'pool' must be one of \[3, 2\], \[2, 2\], got \[4, 2\]$"):
        train.validate(apply_overrides(base, ["pool=[4, 2]"], optional_config()))
    with pytest.raises(ConfigError, match=r"^config key 'lrn' expects true or false, got 'off'$"):
        apply_overrides(base, ["lrn=off"], optional_config())
    with pytest.raises(ConfigError) as err:
        train.validate(apply_overrides(base, ["arch=alexnet2014", "lrn=false"], optional_config()))
    assert str(err.value) == "lrn=False does not apply to 'alexnet2014': it has no LRN to remove"


# ---- the study's plan ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def definition():
    return load_config(ablations.DEFAULT_CONFIG)


@pytest.fixture(scope="module")
def planned(definition):
    return ablations.plan(definition)


def _diff(a: dict, b: dict) -> set:
    return {k for k in {*a, *b} if a.get(k, "absent") != b.get(k, "absent")}


def test_each_variant_is_its_base_with_one_key_changed(definition):
    for name, (network, key, value) in definition["variants"].items():
        base = ablations.variant_config(definition, network, "base", 0)
        variant = ablations.variant_config(definition, network, name, 0)
        assert _diff(base, variant) == {key}, name
        assert variant[key] == value and {**optional_config(), **base}[key] != value, name


def test_every_row_compares_two_configs_one_key_apart(definition):
    assert list(definition["rows"]) == list(paper_claims.CLAIMS)
    for name, (network, paper, other) in definition["rows"].items():
        a, b = (ablations.variant_config(definition, network, side, 1) for side in (paper, other))
        if name == "ten_crop":
            assert a == b and paper == "base"       # the base runs' own crops
            continue
        keys = {definition["variants"][v][1] for v in (paper, other) if v != "base"}
        assert len(keys) == 1 and _diff(a, b) == keys, name


def test_the_bases_are_the_recipe_shortened_alike(definition):
    recipe = train.resolve_config(ablations.EXPERIMENTS_DIR / "cifar10_convnet.py")
    alexnet = ablations.base_config(definition, "cifar_alexnet")
    convnet = ablations.base_config(definition, "cifar_convnet")
    assert _diff(recipe, alexnet) == {"experiment", "study", "epochs", "warmup_epochs", "image_size", "pad"}
    assert _diff(alexnet, convnet) == {"arch", "image_size", "dropout", "epochs", "warmup_epochs"}
    assert alexnet["epochs"] == 7 and alexnet["image_size"] == 28 and alexnet["pad"] == 0
    assert alexnet["warmup_epochs"] == pytest.approx(2.0 * 7 / 45)
    # The four-layer net's own epochs (Figure 1 needs 25% training error), its warm-up at the same share.
    assert convnet["epochs"] == 20 and convnet["warmup_epochs"] == pytest.approx(2.0 * 20 / 45)
    assert (convnet["arch"], convnet["image_size"], convnet["dropout"]) == ("cifar_convnet", 24, 0.0)
    assert alexnet["study"] == paper_claims.STUDY   # kept out of the per-scale tables


def test_the_plan_runs_every_config_once_at_distinct_seeds(planned):
    assert len(planned) == 33
    assert sum(r.network == "cifar_alexnet" for r in planned) == 24
    hashes = {config_hash(r.config) for r in planned}
    assert len(hashes) == 33
    by_config = {}
    for r in planned:
        assert r.config["seed"] == r.seed
        by_config.setdefault((r.network, r.variant), []).append(r)
    assert len(by_config) == 11
    for runs in by_config.values():
        assert [r.seed for r in runs] == [0, 1, 2]
        assert all(_diff(runs[0].config, r.config) <= {"seed"} for r in runs)
    # Seed by seed: every config has seed 0 before any has seed 1.
    assert [r.seed for r in planned] == sorted(r.seed for r in planned)


def test_rows_and_seeds_select_runs(definition):
    lrn = ablations.plan(definition, rows=["lrn"], seeds=2)
    assert [(r.variant, r.seed) for r in lrn] == [("base", 0), ("no_lrn", 0), ("base", 1), ("no_lrn", 1)]
    assert {(r.network, r.variant) for r in ablations.plan(definition, rows=["ten_crop"])} == {("cifar_alexnet",
                                                                                                  "base")}
    assert {r.network for r in ablations.plan(definition, networks=("cifar_convnet",))} == {"cifar_convnet"}
    with pytest.raises(ConfigError, match="^row\\(s\\) relu not in the study; rows: relu_tanh, lrn, "):
        ablations.plan(definition, rows=["relu"])


def test_estimate_follows_the_measured_speed(planned, definition):
    cost = definition["cost"]
    run = planned[0]
    # 7 epochs of 45,000 images at 594 img/s, 4 held-out passes, the final evaluation, the start.
    expected = (7 * 45000 / 594 + 4 * 6.0 + 55.0 + 30.0) / 60
    assert ablations.estimate_minutes(run, cost) == pytest.approx(expected)
    total = sum(ablations.estimate_minutes(r, cost) for r in planned) / 60
    # The budget the study's docstring states is this estimate.
    assert 5.0 < total < 6.0 and f"= {total:.1f} hours on the 2-core CPU" in ablations.DEFAULT_CONFIG.read_text()


def test_dry_run_prints_each_run_its_state_and_the_hours(runs_dir, planned, capsys):
    done = planned[1]
    make_run(runs_dir, "20260101T000000Z", done.config, cnn_eval(20.0, 1.0, 10000, "cifar10", "cifar_alexnet"))
    assert ablations.main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "paper's claims: 33 runs selected, 1 finished, 32 to run (~5.8 h on the 2-core CPU)" in out
    assert "  cifar_alexnet tanh (activation='tanh'), seed 0, 7 epochs: finished" in out
    assert "  cifar_alexnet pool_2_2 (pool=[2, 2]), seed 2, 7 epochs: to run (~11 min)" in out
    assert "  cifar_convnet four_layer_no_lrn (lrn=False), seed 1, 20 epochs: to run (~11 min)" in out
    assert len([line for line in out.splitlines() if line.startswith("  ")]) == 33


def test_reuse_committed_counts_a_committed_record_as_finished(runs_dir, tmp_path, planned, monkeypatch, capsys):
    """A new machine has no runs/, only the records the report step committed under results/."""
    monkeypatch.setenv("RESULTS_DIR", str(tmp_path / "results"))
    done = planned[1]
    make_run(tmp_path / "results" / "ablations" / "records", "20260101T000000Z", done.config,
             cnn_eval(20.0, 1.0, 10000, "cifar10", "cifar_alexnet"), done=False)
    assert ablations.main(["--dry-run"]) == 0
    assert "33 runs selected, 0 finished, 33 to run" in capsys.readouterr().out  # off: a clean clone reruns all
    assert ablations.main(["--dry-run", "--reuse-committed"]) == 0
    out = capsys.readouterr().out
    assert "33 runs selected, 1 finished, 32 to run" in out
    assert "  cifar_alexnet tanh (activation='tanh'), seed 0, 7 epochs: finished" in out


def test_reuse_committed_trains_the_rest_and_the_table_cites_the_committed_run(runs_dir, tmp_path, definition,
                                                                              monkeypatch):
    monkeypatch.setenv("RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setattr(ablations.preflight, "check", lambda stages: None)
    base, no_lrn = ablations.plan(definition, rows=["lrn"], seeds=1)
    make_run(tmp_path / "results" / "ablations" / "records", "20260101T000000Z", base.config,
             cnn_eval(20.0, 1.0, 10000, "cifar10", "cifar_alexnet"), done=False)
    trained = []

    def fake_train(config):
        trained.append(config)
        return make_run(runs_dir, "20260102T000000Z", config, cnn_eval(21.0, 1.0, 10000, "cifar10", "cifar_alexnet"))

    monkeypatch.setattr(train, "run", fake_train)
    assert ablations.main(["--rows", "lrn", "--seeds", "1", "--reuse-committed"]) == 0
    assert trained == [no_lrn.config]
    frame = pd.read_csv(tmp_path / "results" / "ablations" / "summary.csv").set_index("row")
    assert frame.loc["lrn", "n_seeds"] == 1 and frame.loc["lrn", "d_top1_mean"] == pytest.approx(-1.0)


def test_a_failed_run_does_not_stop_the_others_and_the_table_follows(runs_dir, tmp_path, monkeypatch, capsys):
    from alexnet.trainer import TrainingDiverged

    monkeypatch.setenv("RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setattr(ablations.preflight, "check", lambda stages: None)
    trained = []

    def fake_train(config):
        trained.append((config.get("lrn", True), config["seed"]))
        if config.get("lrn") is False and config["seed"] == 1:
            raise TrainingDiverged("training loss stuck at ln(10)")
        top1 = 20.0 + config["seed"] + (1.0 if config.get("lrn") is False else 0.0)
        return make_run(runs_dir, f"2026010{len(trained)}T000000Z", config,
                        cnn_eval(top1, 1.0, 10000, "cifar10", "cifar_alexnet"))

    monkeypatch.setattr(train, "run", fake_train)
    assert ablations.main(["--rows", "lrn", "--seeds", "2"]) == 1
    assert trained == [(True, 0), (False, 0), (True, 1), (False, 1)]
    captured = capsys.readouterr()
    assert "error: cifar_alexnet no_lrn (lrn=False), seed 1 failed: training loss stuck at ln(10)" in captured.err
    frame = pd.read_csv(tmp_path / "results" / "ablations" / "summary.csv").set_index("row")
    assert frame.loc["lrn", "n_seeds"] == 1 and frame.loc["lrn", "d_top1_mean"] == pytest.approx(-1.0)
    assert frame.loc["ten_crop", "n_seeds"] == 2


def test_a_switched_network_trains_and_is_restored_as_trained(runs_dir, tmp_path):
    """The trainer and alexnet.evaluate build the config's switches (two towers, tanh), so the
    checkpoint restores into the same network and eval.json counts its parameters."""
    from alexnet import evaluate
    from alexnet.defaults import base_config
    from tests.reporting_fakes import make_image_folder, tiny_cnn_config

    config = base_config()
    config.update(tiny_cnn_config("tiny_two_towers", make_image_folder(tmp_path / "data"), arch="cifar_alexnet",
                                  image_size=28, epochs=1, batch_size=8, eval_batch_size=12, towers="two",
                                  activation="tanh", eval_ten_crop=False, lr_schedule="cosine"))
    run_dir = train.run(config, verbose=False)
    head = dense(4 * 4 * 128, 512) + dense(512, 256) + dense(256, 3)
    assert records_eval(run_dir)["params"] == CIFAR_ALEXNET["two"] - HEAD + head
    restored = evaluate.load_model(run_dir)
    assert isinstance(restored.get_layer("conv2"), TwoTower)
    assert restored.get_layer("fc6").activation.__name__ == "tanh"
    assert restored.count_params() == CIFAR_ALEXNET["two"] - HEAD + head


def records_eval(run_dir):
    from alexnet.records import read_json
    return read_json(run_dir / "eval.json")
