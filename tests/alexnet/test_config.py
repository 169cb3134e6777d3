"""Config overrides on the command line: the forms accepted and the one-line errors."""

import pytest

from alexnet.config import ConfigError, apply_overrides, check_config, fraction, one_of, overrides_from_argv

DEFAULTS = {"epochs": 10, "lr": 0.01, "cache": True, "arch": "alexnet2012", "drops": [30, 60]}


def test_key_value_and_double_dash_forms_are_the_same_override():
    assert overrides_from_argv(["epochs=3", "--lr", "0.1", "--arch=alexnet2014", "--cache"]) == [
        "epochs=3", "lr=0.1", "arch=alexnet2014", "cache=True"]
    a = apply_overrides(DEFAULTS, ["--epochs", "3", "lr=0.1"])
    assert a == apply_overrides(DEFAULTS, ["epochs=3", "--lr=0.1"]) and a["epochs"] == 3 and a["lr"] == 0.1


@pytest.mark.parametrize("text, value", [("true", True), ("FALSE", False), ("True", True), ("false", False)])
def test_booleans_in_any_case(text, value):
    assert apply_overrides(DEFAULTS, [f"cache={text}"])["cache"] is value


@pytest.mark.parametrize("override, message", [
    ("cache=maybe", "config key 'cache' expects true or false, got 'maybe'"),
    ("epochs=ten", "config key 'epochs' expects int (default 10), got 'ten'"),
    ("bogus=1", "unknown config key 'bogus'; known keys: arch, cache, drops, epochs, lr"),
    ("epochs", "override 'epochs' is not of the form key=value (e.g. epochs=5)"),
])
def test_bad_overrides_name_the_problem(override, message):
    with pytest.raises(ConfigError) as err:
        apply_overrides(DEFAULTS, [override])
    assert str(err.value) == message


def test_check_config_rules_keys_and_types():
    rules = {"arch": one_of(("alexnet2012", "alexnet2014")), "lr": (lambda v: v > 0, "positive"),
             "frac": fraction(low_open=True, high_open=False)}
    optional = {"frac": 1.0}
    assert check_config({**DEFAULTS, "epochs": 3}, DEFAULTS, optional, rules)["epochs"] == 3
    assert check_config({**DEFAULTS, "lr": 1}, DEFAULTS, optional, rules)["lr"] == 1.0  # int stands for float
    cases = [({**DEFAULTS, "arch": "vgg"}, "config key 'arch' must be one of alexnet2012, alexnet2014, got 'vgg'"),
             ({**DEFAULTS, "lr": -1.0}, "config key 'lr' must be positive, got -1.0"),
             ({**DEFAULTS, "frac": 0.0}, "config key 'frac' must be in (0, 1], got 0.0"),
             ({**DEFAULTS, "extra": 1}, "unknown config key(s): extra"),
             ({"epochs": 3}, "config lacks key(s): lr, cache, arch, drops")]
    for config, message in cases:
        with pytest.raises(ConfigError) as err:
            check_config(config, DEFAULTS, optional, rules)
        assert str(err.value) == message


def test_every_documented_key_can_be_overridden_on_the_trainer_command_line():
    from alexnet import train
    from alexnet.defaults import base_config, optional_config

    config = train.resolve_config("experiments/cifar10_convnet.py",
                                  ["val_every_epochs=3", "cache=false", "--epochs", "5", "--input_norm=mean"])
    assert (config["val_every_epochs"], config["cache"], config["epochs"], config["input_norm"]) == (3, False, 5,
                                                                                                     "mean")
    keys = set(base_config()) | set(optional_config())
    for key in keys:  # each key's own default, given back on the command line, is accepted
        value = {**base_config(), **optional_config()}[key]
        apply_overrides(base_config(), [f"{key}={value!r}"], optional_config())
