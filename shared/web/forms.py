"""Reading HTML forms into the same models the API validates, and its errors beside fields.

A page validates with the very model its API route uses, so a form and the API refuse
the same input with the same reason. Field names in forms are the model's dotted paths
(``contacts.0.email``); the error of each is keyed the same way.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.errors import DomainError

_LIST_SEPARATORS = re.compile(r"[,;\n]")
M = TypeVar("M", bound=BaseModel)
MAX_ECHO = 120  # a reason quotes at most this much of what was typed


def split_list(value: str | None) -> list[str]:
    """A comma-, semicolon- or line-separated text field as a list of its non-empty items."""
    return [item.strip() for item in _LIST_SEPARATORS.split(value or "") if item.strip()]


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors by dotted field path, first reason per field."""
    errors: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        path = ".".join(str(part) for part in error.get("loc", ())) or "form"
        reason = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        errors.setdefault(path, reason[: MAX_ECHO * 2])
    return errors


def domain_errors(exc: DomainError) -> dict[str, str]:
    """A domain refusal (duplicate, not found…) as field errors, or a form-wide one."""
    if exc.errors:
        return {str(e.get("field", "form")): str(e.get("reason", "")) for e in exc.errors}
    return {exc.field or "form": exc.reason}


def parse(model: type[M], data: Mapping[str, Any]) -> tuple[M | None, dict[str, str]]:
    """The model, or None and the errors by field."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, field_errors(exc)


async def submit(
    model: type[M], data: Mapping[str, Any], change: Callable[[M], Awaitable[object]]
) -> tuple[M | None, dict[str, str]]:
    """Parse a form and make the change it asks for.

    One place decides what a console form answers: the draft when the change was made,
    else the errors by field, whether the form's values were invalid or the change was
    refused (a duplicate, an unknown cluster), so each page shows them beside the field.
    """
    draft, errors = parse(model, data)
    if draft is None:
        return None, errors
    try:
        await change(draft)
    except DomainError as exc:
        return None, domain_errors(exc)
    return draft, {}


def text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: Mapping[str, Any], name: str) -> str | None:
    return text(form, name) or None


def checked(form: Any, name: str) -> bool:
    return form.get(name) == "on"


def chosen(form: Any, name: str, allowed: Iterable[str]) -> list[str]:
    """The values of a multi-valued field (checkboxes), in the order they are offered."""
    picked = set(form.getlist(name)) if hasattr(form, "getlist") else set()
    return [value for value in allowed if value in picked]
