"""Compare the stand-in's JSON with the matching object in Stripe's published fixtures.

The rule: every key of Stripe's sample object is present, and where the sample
has a value, ours has a value of the same JSON type (nested objects alike).
Ours may be ``null`` where the sample is not only when Stripe's API allows
``null`` there, read from the SDK's typed resource classes (``Optional[...]``):
an open session, for example, has no ``customer_details`` yet.
"""

from __future__ import annotations

import typing
from typing import Any, ForwardRef

import stripe


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def annotations_of(sdk_type: type | None) -> dict[str, Any]:
    if sdk_type is None:
        return {}
    result: dict[str, Any] = {}
    for klass in reversed(sdk_type.__mro__):
        result.update(getattr(klass, "__annotations__", {}))
    return result


def nullable(annotation: Any) -> bool:
    return annotation is not None and type(None) in typing.get_args(annotation)


def nested_type(annotation: Any) -> type | None:
    """The SDK class of a field's object (or of its array's elements), if it has one."""
    for candidate in [annotation, *typing.get_args(annotation)]:
        if isinstance(candidate, ForwardRef):
            candidate = getattr(stripe, candidate.__forward_arg__, None)
        if typing.get_origin(candidate) is list:
            return nested_type(typing.get_args(candidate)[0])
        if isinstance(candidate, type) and issubclass(candidate, stripe.StripeObject):
            return candidate
    return None


def shape_problems(
    ours: dict[str, Any], sample: dict[str, Any], sdk_type: type | None, path: str = ""
) -> list[str]:
    hints = annotations_of(sdk_type)
    problems: list[str] = []
    for key, expected in sample.items():
        where = f"{path}.{key}" if path else key
        if key not in ours:
            problems.append(f"{where}: missing")
            continue
        value = ours[key]
        if expected is None:
            continue
        if value is None:
            if not nullable(hints.get(key)):
                problems.append(f"{where}: null, and Stripe never sends null here")
            continue
        if json_type(value) != json_type(expected):
            problems.append(f"{where}: {json_type(value)}, Stripe sends {json_type(expected)}")
            continue
        inner = nested_type(hints.get(key))
        if isinstance(expected, dict):
            problems.extend(shape_problems(value, expected, inner, where))
        elif isinstance(expected, list) and expected and value and isinstance(expected[0], dict):
            problems.extend(shape_problems(value[0], expected[0], inner, f"{where}[0]"))
    return problems


def assert_shaped_like(ours: dict[str, Any], sample: dict[str, Any], sdk_type: type) -> None:
    problems = shape_problems(ours, sample, sdk_type)
    assert not problems, "\n".join(problems)
