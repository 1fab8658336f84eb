"""Custom fields: up to three questions on the pay page, and the shopper's answers.

``custom_fields[]`` ``{key, label{type: custom, custom}, type, optional,
dropdown{options[{label, value}], default_value}, text|numeric{minimum_length,
maximum_length, default_value}}``; the session shows each with its answer in
``text.value``, ``dropdown.value`` or ``numeric.value`` once paid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import bool_param, int_param, invalid, missing

MAX_FIELDS = 3
MAX_OPTIONS = 200
MAX_LENGTH = 255
TYPES = ("dropdown", "numeric", "text")
_ALNUM_RE = re.compile(r"^[A-Za-z0-9]+$")


@dataclass(frozen=True)
class CustomField:
    key: str
    label: str
    type: str
    optional: bool
    options: tuple[tuple[str, str], ...] = ()  # (label, value), for dropdowns
    default_value: str | None = None
    minimum_length: int | None = None
    maximum_length: int | None = None

    @property
    def form_name(self) -> str:
        return f"custom_{self.key}"


# Create rules ----------------------------------------------------------------
def parse_custom_fields(fields: list[Any]) -> list[CustomField]:
    if len(fields) > MAX_FIELDS:
        raise invalid(f"You may only specify up to {MAX_FIELDS} custom fields.", "custom_fields")
    parsed = [parse_field(field, f"custom_fields[{i}]") for i, field in enumerate(fields)]
    keys = [field.key for field in parsed]
    if len(set(keys)) != len(keys):
        raise invalid("Custom field keys must be unique.", "custom_fields")
    return parsed


def parse_field(field: dict[str, Any], path: str) -> CustomField:
    key = str(field.get("key") or "")
    if not key:
        raise missing(f"{path}[key]")
    if not _ALNUM_RE.match(key) or len(key) > 200:
        raise invalid("The key must be alphanumeric and up to 200 characters.", f"{path}[key]")
    label = field.get("label") or {}
    text = str(label.get("custom") or "").strip()
    if not text:
        raise missing(f"{path}[label][custom]")
    if len(text) > 100:
        raise invalid("The label can be up to 100 characters.", f"{path}[label][custom]")
    kind = field.get("type")
    if not kind:
        raise missing(f"{path}[type]")
    if kind not in TYPES:
        raise invalid(f"Invalid {path}[type]: must be one of {', '.join(TYPES)}", f"{path}[type]")
    for other in TYPES:
        if other != kind and field.get(other):
            raise invalid(
                f"{path}[{other}] can only be set when type is {other}.", f"{path}[{other}]"
            )
    optional = bool_param(field.get("optional"), f"{path}[optional]")
    config = field.get(kind) or {}
    if kind == "dropdown":
        return _dropdown(key, text, optional, config, f"{path}[dropdown]")
    return _typed(CustomField(key, text, kind, optional), config, f"{path}[{kind}]")


def _dropdown(
    key: str, label: str, optional: bool, config: dict[str, Any], path: str
) -> CustomField:
    options = config.get("options") or []
    if not options:
        raise missing(f"{path}[options]")
    if len(options) > MAX_OPTIONS:
        raise invalid(f"A dropdown can have up to {MAX_OPTIONS} options.", f"{path}[options]")
    pairs = tuple((str(o.get("label") or ""), str(o.get("value") or "")) for o in options)
    for index, (text, value) in enumerate(pairs):
        if not text or not _ALNUM_RE.match(value) or len(text) > 100 or len(value) > 100:
            raise invalid(
                "Each option needs a label and an alphanumeric value, each up to 100 characters.",
                f"{path}[options][{index}]",
            )
    values = [value for _label, value in pairs]
    if len(set(values)) != len(values):
        raise invalid("Option values must be unique.", f"{path}[options]")
    default = config.get("default_value") or None
    if default is not None and default not in values:
        raise invalid(
            "The default value must be one of the options' values.", f"{path}[default_value]"
        )
    return CustomField(key, label, "dropdown", optional, pairs, default)


def _typed(field: CustomField, config: dict[str, Any], path: str) -> CustomField:
    """A text or numeric field's length bounds and default value."""
    bounds: dict[str, int | None] = {}
    for name in ("minimum_length", "maximum_length"):
        value = config.get(name)
        bounds[name] = None if value in (None, "") else int_param(value, f"{path}[{name}]")
        if bounds[name] is not None and not 1 <= int(bounds[name] or 0) <= MAX_LENGTH:
            raise invalid(f"This value must be between 1 and {MAX_LENGTH}.", f"{path}[{name}]")
    low, high = bounds["minimum_length"], bounds["maximum_length"]
    if low is not None and high is not None and low > high:
        raise invalid(
            "minimum_length cannot be greater than maximum_length.", f"{path}[minimum_length]"
        )
    default = config.get("default_value") or None
    return CustomField(field.key, field.label, field.type, field.optional, (), default, low, high)


# The session's custom_fields --------------------------------------------------
def session_field(field: CustomField, value: str | None = None) -> dict[str, Any]:
    """The field as the session shows it, with the shopper's answer (``value``) if any."""
    result: dict[str, Any] = {
        "dropdown": None,
        "key": field.key,
        "label": {"custom": field.label, "type": "custom"},
        "numeric": None,
        "optional": field.optional,
        "text": None,
        "type": field.type,
    }
    if field.type == "dropdown":
        options = [{"label": label, "value": option} for label, option in field.options]
        result["dropdown"] = {
            "default_value": field.default_value,
            "options": options,
            "value": value,
        }
    else:
        result[field.type] = {
            "default_value": field.default_value,
            "maximum_length": field.maximum_length,
            "minimum_length": field.minimum_length,
            "value": value,
        }
    return result


# Answers -----------------------------------------------------------------------
def answer_problem(field: CustomField, value: str | None) -> str | None:
    """Why the pay page refuses ``value`` as the answer to ``field``, or ``None``."""
    if not value:
        return None if field.optional else f"{field.label} is required."
    if field.type == "dropdown":
        values = {option for _label, option in field.options}
        return None if value in values else f"Choose an option for {field.label}."
    if field.type == "numeric" and not value.isdigit():
        return f"{field.label} must contain only digits."
    if field.minimum_length and len(value) < field.minimum_length:
        return f"{field.label} must be at least {field.minimum_length} characters."
    if field.maximum_length and len(value) > field.maximum_length:
        return f"{field.label} must be at most {field.maximum_length} characters."
    return None


def test_answer(field: CustomField) -> str | None:
    """What the ``pay()`` helper answers when the test gives no answer: the field's
    default value, the first option, or a test value of an acceptable length."""
    if field.default_value or field.optional:
        return field.default_value
    if field.type == "dropdown":
        return field.options[0][1]
    length = field.minimum_length or min(4, field.maximum_length or 4)
    return (("1234567890" if field.type == "numeric" else "test") * MAX_LENGTH)[:length]
