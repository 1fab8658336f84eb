"""What each Stripe endpoint accepts, read from the installed SDK's own typed
parameter definitions (``stripe.params``), so the stand-in refuses exactly the
unknown parameters Stripe would refuse for this SDK version."""

from __future__ import annotations

import sys
import typing
from functools import cache
from typing import Any, ForwardRef

import typing_extensions
from stripe._request_options import RequestOptions

REQUEST_OPTION_KEYS = frozenset(RequestOptions.__annotations__)


class ParamError(ValueError):
    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


def _resolve(annotation: Any, namespace: dict[str, Any]) -> Any:
    if isinstance(annotation, str):
        annotation = ForwardRef(annotation)
    if isinstance(annotation, ForwardRef):
        try:
            return eval(annotation.__forward_arg__, namespace)  # noqa: S307 (SDK source)
        except Exception:
            return Any
    return annotation


def _namespace(td: type) -> dict[str, Any]:
    module = sys.modules[td.__module__]
    return {**vars(typing), **vars(module)}


@cache
def fields_of(td: type) -> dict[str, Any]:
    """Field name -> resolved annotation, for a TypedDict class (request options removed)."""
    namespace = _namespace(td)
    fields = {}
    for klass in reversed(td.__mro__):
        for name, annotation in getattr(klass, "__annotations__", {}).items():
            fields[name] = (annotation, namespace)
    return {
        name: _resolve(annotation, ns)
        for name, (annotation, ns) in fields.items()
        if name not in REQUEST_OPTION_KEYS
    }


def _alternatives(annotation: Any, ns: dict[str, Any]) -> list[Any]:
    annotation = _resolve(annotation, ns)
    origin = typing.get_origin(annotation)
    if origin in (typing_extensions.NotRequired, typing_extensions.Required):
        return _alternatives(typing.get_args(annotation)[0], ns)
    if origin is typing.Union or type(annotation).__name__ == "UnionType":
        result: list[Any] = []
        for arg in typing.get_args(annotation):
            result.extend(_alternatives(arg, ns))
        return result
    return [annotation]


def _path(prefix: str, key: Any) -> str:
    return f"{prefix}[{key}]" if prefix else str(key)


def validate(
    params: Any, annotation: Any, prefix: str = "", ns: dict[str, Any] | None = None
) -> None:
    """Raise :class:`ParamError` the way Stripe does for unknown or invalid values."""
    if ns is None:
        ns = _namespace(annotation) if isinstance(annotation, type) else dict(vars(typing))
    options = _alternatives(annotation, ns)
    if any(o is Any for o in options):
        return
    if isinstance(params, dict):
        _validate_hash(params, options, prefix, ns)
    elif isinstance(params, list):
        _validate_array(params, options, prefix, ns)
    else:
        _validate_scalar(params, options, prefix)


def _validate_hash(
    params: dict[str, Any], options: list[Any], prefix: str, ns: dict[str, Any]
) -> None:
    """A hash: the fields of a TypedDict (unknown keys refused), or a free-form dict."""
    for option in options:
        if typing_extensions.is_typeddict(option):
            fields = fields_of(option)
            inner = _namespace(option)
            for key, value in params.items():
                path = _path(prefix, key)
                if key not in fields:
                    raise ParamError(f"Received unknown parameter: {path}", path)
                validate(value, fields[key], path, inner)
            return
    for option in options:
        if typing.get_origin(option) is dict:
            value_type = typing.get_args(option)[1]
            for key, value in params.items():
                validate(value, value_type, _path(prefix, key), ns)
            return
    raise ParamError(f"Invalid value for {prefix}: a hash is not accepted here.", prefix)


def _validate_array(params: list[Any], options: list[Any], prefix: str, ns: dict[str, Any]) -> None:
    for option in options:
        if typing.get_origin(option) is list:
            (element,) = typing.get_args(option)
            for index, value in enumerate(params):
                validate(value, element, _path(prefix, index), ns)
            return
    raise ParamError(f"Invalid value for {prefix}: an array is not accepted here.", prefix)


def _validate_scalar(params: Any, options: list[Any], prefix: str) -> None:
    """A string: one of the literals, if the field is an enum ("" unsets a field); never
    where only a hash or an array is accepted (Stripe's "Invalid hash"/"Invalid array")."""
    literals: list[Any] = []
    containers: list[str] = []
    for option in options:
        if typing.get_origin(option) is typing.Literal:
            literals.extend(typing.get_args(option))
        elif _container(option):
            containers.append(_container(option))
        elif option is not type(None):
            return  # a free-form scalar (str, int, bool) is accepted
    if params == "":
        return
    if containers and not literals:
        raise ParamError(f"Invalid {containers[0]}", prefix)
    if literals and params not in literals:
        shown = ", ".join(str(v) for v in literals[:12])
        raise ParamError(f"Invalid {prefix}: must be one of {shown}", prefix)


def _container(option: Any) -> str:
    """``"hash"`` or ``"array"`` if ``option`` takes one, else ``""``."""
    origin = typing.get_origin(option) or option
    if origin is list:
        return "array"
    if typing_extensions.is_typeddict(option) or origin is dict:
        return "hash"
    if isinstance(origin, type) and origin.__name__ == "UntypedStripeObject":
        return "hash"
    return ""


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=v`` (the SDK's encoding) into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ParamError(f"Invalid parameter: {key}", key)
        node[parts[-1]] = value
    result: dict[str, Any] = _listify(root)
    return result


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        converted = {k: _listify(v) for k, v in node.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return node


def encode_form(params: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Plain params into the SDK's form encoding (the inverse of ``decode_form``)."""
    pairs: list[tuple[str, str]] = []
    items = params.items() if isinstance(params, dict) else enumerate(params)
    for key, value in items:
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, (dict, list)):
            pairs.extend(encode_form(value, name))
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        elif value is not None:
            pairs.append((name, str(value)))
    return pairs
