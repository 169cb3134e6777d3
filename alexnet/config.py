"""Experiment configs: small Python files with a `get_config()` returning a dict.

An experiment is a config, not a copied script (the big_vision convention).
The trainer and the baseline both load configs through `load_config`, which
applies command-line overrides `key=value` and rejects what it cannot check:

    cfg = load_config("experiments/imagenette_alexnet.py", ["epochs=5", "lr=0.02"])

Rules, so a typo never silently trains the wrong model:
* an override of a key the config does not define is an error naming the key;
* override values are parsed as Python literals (`5`, `0.01`, `'sgd'`, `[1, 2]`)
  and falling back to a bare string (`optimizer=sgd`);
* the parsed value must have the default's type (an int may stand for a float,
  `None` defaults accept anything).
"""

from __future__ import annotations

import ast
import importlib.util
import json
from pathlib import Path
from typing import Any, Iterable


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
        if not isinstance(value, bool):
            raise ConfigError(f"config key '{key}' expects true/false (True or False), got {value!r}")
        return value
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, (list, tuple)) and isinstance(value, (list, tuple)):
        return type(default)(value)
    if not isinstance(value, type(default)) or isinstance(value, bool) != isinstance(default, bool):
        raise ConfigError(
            f"config key '{key}' expects {type(default).__name__} (default {default!r}), got {value!r}")
    return value


def apply_overrides(config: dict, overrides: Iterable[str], optional: dict | None = None) -> dict:
    """Returns a copy of `config` with `key=value` overrides applied and checked.

    Args:
      config: the config to change.
      overrides: strings `key=value`.
      optional: keys the config may lack, with the defaults their types are checked against.
    """
    config, optional = dict(config), optional or {}
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} is not of the form key=value")
        key, text = item.split("=", 1)
        key = key.strip().lstrip("-")
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
