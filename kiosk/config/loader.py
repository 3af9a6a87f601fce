"""Strict loading of YAML files into frozen, typed models.

The rule for every file an operator edits (kiosk.yaml, site profiles, the
catalog): a bad file, an unknown key, a wrong type or a missing required value
is one :class:`~kiosk.errors.ConfigError` naming the file, the key path and the
problem. Entry points print it and exit with code 2, without a traceback.

Files can be layered (defaults, then a local overlay): later files win key by
key, and an error is blamed on the file that supplied the offending key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from kiosk.errors import ConfigError

M = TypeVar("M", bound=pydantic.BaseModel)

# libyaml's parser when PyYAML was built with it: the same safe constructors, about
# eight times faster, which matters for the catalog at start-up.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictModel(pydantic.BaseModel):
    """Base of every config and catalog model: frozen, unknown keys refused, no coercion."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, strict=True)


class LText(StrictModel):
    """A text shown to people, in every language the kiosk speaks."""

    zh_CN: str = pydantic.Field(min_length=1)
    en: str = pydantic.Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh_CN


def read_yaml(path: Path) -> dict[str, Any]:
    """Read one YAML mapping; every failure is a ConfigError naming the file."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(name, "", "file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(name, "", f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(name, "", f"cannot read: {exc.strerror}") from None
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(name, where, f"YAML syntax error: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(name, "", f"expected a mapping at the top, got {_kind(data)}")
    return data


def merge_layers(layers: Sequence[tuple[str, Mapping[str, Any]]]) -> tuple[
        dict[str, Any], dict[tuple[str, ...], str]]:
    """Deep-merge mappings, later layers winning; return the result and who set each key."""
    merged: dict[str, Any] = {}
    origin: dict[tuple[str, ...], str] = {}

    def visit(target: dict[str, Any], source: Mapping[str, Any], prefix: tuple[str, ...],
              name: str) -> None:
        for key, value in source.items():
            path = (*prefix, str(key))
            origin[path] = name
            if isinstance(value, Mapping) and isinstance(target.get(key), dict):
                visit(target[key], value, path, name)
            elif isinstance(value, Mapping):
                target[key] = {}
                visit(target[key], value, path, name)
            else:
                target[key] = value

    for name, data in layers:
        visit(merged, data, (), name)
    return merged, origin


def validate(model: type[M], data: Mapping[str, Any], *, file: str,
             origin: Mapping[tuple[str, ...], str] | None = None) -> M:
    """Validate ``data`` into ``model`` or raise one ConfigError for the first problem."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(str(part) for part in err["loc"])
        blamed = file
        if origin:
            for n in range(len(loc), 0, -1):
                if loc[:n] in origin:
                    blamed = origin[loc[:n]]
                    break
        raise ConfigError(blamed, ".".join(loc), _describe(err)) from None


def load_model(model: type[M], path: Path) -> M:
    return validate(model, read_yaml(path), file=str(path))


def _describe(err: Any) -> str:
    kind = err.get("type", "")
    value = err.get("input")
    if kind == "missing":
        return "required value is missing"
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see config/kiosk.yaml for the keys)"
    msg = str(err.get("msg", "invalid value"))
    if kind.endswith("_type") or kind.startswith("literal") or kind == "enum":
        return f"{msg}, got {_kind(value)} {_short(value)}"
    return f"{msg} (got {_short(value)})"


def _kind(value: Any) -> str:
    return {
        dict: "a mapping", list: "a list", str: "text", int: "a whole number",
        float: "a number", bool: "true/false", type(None): "nothing",
    }.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
