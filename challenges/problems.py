"""Turn pydantic validation errors into :class:`Problem` lines an organiser can act on.

Pydantic's locations carry union tags (``list[str]``) and say "Extra inputs are not permitted";
here each location is rendered as a key path (``phases[1].limits.wall_secnds``) by walking the
schema's types, and an unknown key gets the closest allowed key as a suggestion.
"""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from challenges.errors import Problem

Loc = tuple[int | str, ...]


def problems_from_error(error: ValidationError, root: type[BaseModel], file: str) -> list[Problem]:
    """One Problem per pydantic error, with key paths relative to ``root``.

    A misspelt required key gives pydantic two errors (the unknown key, the missing one); only
    the first is kept, since it already names the key to use.
    """
    details = error.errors(include_url=False)
    suggested: set[Loc] = set()
    for detail in details:
        if detail["type"] == "extra_forbidden":
            loc = tuple(detail["loc"])
            close = _closest(root, loc)
            if close is not None:
                suggested.add((*loc[:-1], close))
    return [
        _problem(detail, root, file)
        for detail in details
        if not (detail["type"] == "missing" and tuple(detail["loc"]) in suggested)
    ]


def _closest(root: type[BaseModel], loc: Loc) -> str | None:
    _, parent = describe(root, loc[:-1])
    allowed = list(parent.model_fields) if _is_model(parent) else []
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
    return close[0] if close else None


def _problem(detail: ErrorDetails, root: type[BaseModel], file: str) -> Problem:
    loc = tuple(detail["loc"])
    key_path, _ = describe(root, loc)
    return Problem(file, key_path, _message(detail, root, loc))


def _message(detail: ErrorDetails, root: type[BaseModel], loc: Loc) -> str:
    kind = detail["type"]
    if kind == "extra_forbidden":
        _, parent = describe(root, loc[:-1])
        allowed = list(parent.model_fields) if _is_model(parent) else []
        close = _closest(root, loc)
        if close:
            return f"unknown key; did you mean {close}?"
        return f"unknown key; allowed keys: {', '.join(allowed)}" if allowed else "unknown key"
    if kind == "missing":
        return "required key missing"
    if kind == "timezone_aware":
        return "needs a timezone, e.g. 2025-03-01T00:00:00Z"
    message = str(detail["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    value = detail.get("input")
    if kind not in ("value_error", "assertion_error") and isinstance(value, int | float | str):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        message = f"{message}; got {shown}"
    return message


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _strip(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _tag(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) else str(tp)


def describe(root: type[BaseModel], loc: Loc) -> tuple[str, Any]:
    """Render ``loc`` as a key path, and return the type found at its end (or None)."""
    tp: Any = root
    parts: list[str] = []
    for elem in loc:
        tp, text = _step(tp, elem)
        if text:
            parts.append(text)
    return "".join(parts).lstrip("."), tp


def _plain(elem: int | str) -> str:
    return f"[{elem}]" if isinstance(elem, int) else f".{elem}"


def _step(tp: Any, elem: int | str) -> tuple[Any, str | None]:
    tp = _strip(tp)
    origin = get_origin(tp)
    if _is_model(tp):
        fields = tp.model_fields
        if isinstance(elem, str) and elem in fields:
            return fields[elem].annotation, f".{elem}"
        return None, _plain(elem)
    if origin in (list, tuple) and isinstance(elem, int):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        item = args[min(elem, len(args) - 1)] if args else None
        return item, f"[{elem}]"
    if origin is dict and isinstance(elem, str):
        return get_args(tp)[1], f".{elem}"
    if origin in (Union, types.UnionType):
        members = [_strip(m) for m in get_args(tp) if m is not type(None)]
        for member in members:
            if _is_model(member) and isinstance(elem, str) and elem in member.model_fields:
                return _step(member, elem)
            if isinstance(elem, int) and get_origin(member) in (list, tuple):
                return _step(member, elem)
        for member in members:
            if _tag(member) == elem:
                return member, None
        if len(members) == 1:
            return _step(members[0], elem)
    return None, _plain(elem)
