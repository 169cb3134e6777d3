"""Experiment configs: small Python files with a `get_config()` returning a dict.

An experiment is a config, not a copied script (the big_vision convention).
The trainer and the baseline both load configs through `load_config`, which
applies command-line overrides `key=value` and rejects what it cannot check,
and both check the result with `check_config` against their own defaults and
value rules (alexnet/defaults.py, baselines/defaults.py):

    cfg = load_config("experiments/imagenette_alexnet.py", ["epochs=5", "lr=0.02"])

Rules, so a typo never silently trains the wrong model:
* an override of a key the config does not define is an error naming the key;
* `key=value`, `--key value` and `--key=value` are all accepted;
* override values are parsed as Python literals (`5`, `0.01`, `'sgd'`, `[1, 2]`)
  and falling back to a bare string (`optimizer=sgd`); booleans may be
  written in any case (`cache=false`);
* the parsed value must have the default's type (an int may stand for a float,
  `None` defaults accept anything).
"""

from __future__ import annotations

import ast
import importlib.util
import json
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

# Where experiment configs live; drivers and reporting name configs relative to it.
EXPERIMENTS_DIR = Path(__file__).resolve().parent.parent / "experiments"

# A value rule: (test, what the value must be), e.g. (lambda v: v > 0, "positive").
Rule = tuple[Callable[[Any], bool], str]
POSITIVE: Rule = (lambda v: v > 0, "positive")
NON_NEGATIVE: Rule = (lambda v: v is not None and v >= 0, ">= 0")


class ConfigError(ValueError):
    """A config file or override that cannot be used; the message is one line."""


def _import_config_module(path: Path):
    if not path.is_file():
        raise ConfigError(f"config file not found: {path} (expected a Python file defining get_config())")
    spec = importlib.util.spec_from_file_location(f"_config_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "get_config"):
        raise ConfigError(f"{path} defines no get_config() returning a dict")
    return module


def parse_value(text: str) -> Any:
    """Parses an override value as a Python literal, else keeps the bare string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _check_type(key: str, value: Any, default: Any) -> Any:
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"  # `cache=true` as well as `cache=True`
        if not isinstance(value, bool):
            raise ConfigError(f"config key '{key}' expects true or false, got {value!r}")
        return value
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, (list, tuple)) and isinstance(value, (list, tuple)):
        return type(default)(value)
    if not isinstance(value, type(default)) or isinstance(value, bool) != isinstance(default, bool):
        raise ConfigError(
            f"config key '{key}' expects {type(default).__name__} (default {default!r}), got {value!r}")
    return value


def overrides_from_argv(items: Iterable[str]) -> list[str]:
    """Command-line overrides as `key=value`, accepting `--key value` and `--key=value` too.

    A bare `--flag` (last, or followed by another `--option`) means `flag=True`.
    """
    items, out, i = list(items), [], 0
    while i < len(items):
        item = items[i]
        if item.startswith("--"):
            key = item[2:]
            if "=" in key:
                out.append(key)
            elif i + 1 < len(items) and not items[i + 1].startswith("--") and "=" not in items[i + 1]:
                out.append(f"{key}={items[i + 1]}")
                i += 1
            else:
                out.append(f"{key}=True")
        else:
            out.append(item)
        i += 1
    return out


def apply_overrides(config: dict, overrides: Iterable[str], optional: dict | None = None) -> dict:
    """Returns a copy of `config` with `key=value` overrides applied and checked.

    Args:
      config: the config to change.
      overrides: strings `key=value`.
      optional: keys the config may lack, with the defaults their types are checked against.
    """
    config, optional = dict(config), optional or {}
    for item in overrides_from_argv(overrides):
        if "=" not in item:
            raise ConfigError(f"override {item!r} is not of the form key=value (e.g. epochs=5)")
        key, text = item.split("=", 1)
        key = key.strip()
        if key not in config and key not in optional:
            known = ", ".join(sorted({*config, *optional}))
            raise ConfigError(f"unknown config key '{key}'; known keys: {known}")
        config[key] = _check_type(key, parse_value(text), config[key] if key in config else optional[key])
    return config


def repo_relative(path: str | Path) -> str:
    """`path` relative to the repository when inside it, so the config (and its hash,
    which names and finds run folders) does not depend on how the path was typed."""
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(Path(__file__).resolve().parent.parent))
    except ValueError:
        return str(resolved)


def load_config(path: str | Path, overrides: Iterable[str] = (), optional: dict | None = None) -> dict:
    """Loads `get_config()` from a config file and applies overrides.

    Args:
      path: a Python file in experiments/ (or anywhere) defining `get_config()`.
      overrides: strings `key=value`.
      optional: keys an override may add although the config lacks them, with
        their defaults (for the type check).

    Returns:
      The resolved config as a plain, JSON-serialisable dict. The key `config_file`
      records where it came from (relative to the repository).

    Raises:
      ConfigError: missing file, unknown key or a value of the wrong type.
    """
    path = Path(path)
    config = _import_config_module(path).get_config()
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: get_config() must return a dict, got {type(config).__name__}")
    config = apply_overrides(config, overrides, optional)
    config["config_file"] = repo_relative(path)
    try:
        json.dumps(config)
    except TypeError as err:
        raise ConfigError(f"{path}: config values must be JSON-serialisable ({err})") from None
    return config


def require(config: dict, keys: Iterable[str], where: str) -> None:
    """Raises ConfigError naming the first of `keys` missing from `config`."""
    for key in keys:
        if key not in config:
            raise ConfigError(f"{where}: config has no key '{key}' (file {config.get('config_file', '?')})")


def one_of(choices: Sequence) -> Rule:
    """A rule accepting only `choices` (the list the using module defines)."""
    return (lambda v: v in choices, "one of " + ", ".join(str(c) for c in choices))


def fraction(low_open: bool, high_open: bool) -> Rule:
    """A rule for a fraction in (0, 1], [0, 1) ... as the flags say."""
    def test(v):
        return (0.0 < v if low_open else 0.0 <= v) and (v < 1.0 if high_open else v <= 1.0)
    return test, f"in {'(' if low_open else '['}0, 1{')' if high_open else ']'}"


def check_config(config: dict, base: dict, optional: dict, rules: dict[str, Rule], what: str = "config",
                 hint: str = "") -> dict:
    """Checks a resolved config against its defaults and value rules, before anything runs.

    Args:
      config: the resolved config (`load_config`).
      base: every key the config must have, with its default (types are
        checked against the defaults, as `apply_overrides` does).
      optional: keys the config may add, with the value their absence means.
      rules: key -> Rule; a key missing from the config is checked at its
        optional default.
      what: how messages name the config ('config', 'baseline config').
      hint: appended to the missing-keys message (where the defaults live).

    Returns:
      The config with ints standing for floats converted.

    Raises:
      ConfigError: one line naming the first problem.
    """
    missing = [k for k in base if k not in config]
    if missing:
        where = f"{what} {config['config_file']}" if config.get("config_file") else what
        raise ConfigError(f"{where} lacks key(s): {', '.join(missing)}{hint}")
    unknown = sorted(k for k in config if k not in base and k not in optional and k != "config_file")
    if unknown:
        raise ConfigError(f"unknown {what} key(s): {', '.join(unknown)}")
    config = {k: _check_type(k, v, base.get(k, optional.get(k))) for k, v in config.items()}
    for key, (test, must) in rules.items():
        value = config[key] if key in config else optional[key]
        try:
            ok = bool(test(value))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ConfigError(f"config key '{key}' must be {must}, got {value!r}")
    return config
