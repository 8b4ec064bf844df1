"""Templates: one autoescaping Jinja2 environment, Markdown without raw HTML, page headers."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from podium.web.session import CSRF_FIELD, csrf_token, remember_presession

TEMPLATES_DIR = Path(__file__).parent / "templates"
# inline <svg> needs no exception: only scripts, styles and forms from this site are allowed
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # html=False: raw HTML in a description is shown as text, never rendered
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown(text: str, shift_headings: int = 2) -> Markup:
    """Markdown to safe HTML: raw HTML escaped, unsafe link schemes dropped by markdown-it.

    Headings move down ``shift_headings`` levels, so a description's ``#`` sits under the
    page's own headings (one ``h1`` per page).
    """
    md = _markdown()
    tokens = md.parse(text or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + shift_headings, 6)}"
    return Markup(md.renderer.render(tokens, md.options, {}))


def format_time(value: datetime | None) -> str:
    """A timestamp as people read it: ``2026-01-05 14:03 UTC``."""
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M UTC")


def format_number(value: float | None, decimals: int = 4) -> str:
    """A score at the challenge's precision, or a dash."""
    return "—" if value is None else f"{value:.{decimals}f}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The page templates, autoescaped (``.html`` and ``.svg``)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "svg"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = markdown
    env.filters["time"] = format_time
    env.filters["num"] = format_number
    return env


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render ``template`` with the page user and a CSRF token source, with safe headers."""
    values = {
        "request": request,
        "user": getattr(request.state, "page_user", None),
        "csrf_field": CSRF_FIELD,
        "csrf_token": lambda: csrf_token(request),
        **context,
    }
    html = environment().get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
    remember_presession(request, response)
    return response
