"""Small helpers shared by the page forms: field types and readable validation problems."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Form
from pydantic import BaseModel, ValidationError

from podium.web.session import CSRF_FIELD

FormText = Annotated[str, Form()]
OptionalText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
Model = TypeVar("Model", bound=BaseModel)


def problems(error: ValidationError) -> list[str]:
    """Each problem of a form as one sentence: ``password: at least 8 characters``."""
    found: list[str] = []
    for item in error.errors():
        field = ".".join(str(part) for part in item.get("loc", ()))
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        found.append(f"{field}: {message}" if field else message)
    return found


def parse_form(model: type[Model], **values: object) -> tuple[Model | None, list[str]]:
    """``model`` built from form values, or None and the problems to show beside the form."""
    try:
        return model.model_validate(values), []
    except ValidationError as error:
        return None, problems(error)
