"""A guard: every page form that changes something carries the session's CSRF token, and every
page POST route checks it (a form field checked by ``check_csrf``, or an upload route whose
guard checks the header or query before reading the body)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

from fastapi.routing import APIRoute

import podium.web
from podium.web.render import TEMPLATES_DIR
from podium.web.uploads import _MARK as UPLOAD_MARK

FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.DOTALL)


def _post_routes() -> list[APIRoute]:
    """The POST routes of every page module (``podium.web.pages_*``)."""
    found = []
    for module in pkgutil.iter_modules(podium.web.__path__):
        if module.name.startswith("pages_"):
            pages = importlib.import_module(f"podium.web.{module.name}")
            found += [r for r in pages.router.routes if isinstance(r, APIRoute)]
    return [r for r in found if "POST" in r.methods]


def test_every_page_post_route_checks_the_csrf_token() -> None:
    routes = _post_routes()
    assert len(routes) >= 20  # the guard sees the pages' routes
    unchecked = []
    for route in routes:
        if getattr(route.endpoint, UPLOAD_MARK, None) is not None:
            continue  # checked by PageUploadRoute before the body is read
        source = inspect.getsource(route.endpoint)
        params = inspect.signature(route.endpoint).parameters
        if "csrf_token" not in params or "check_csrf(request, csrf_token)" not in source:
            unchecked.append(route.path)
    assert unchecked == []


def test_every_post_form_in_the_templates_carries_the_token() -> None:
    missing = []
    for template in sorted(TEMPLATES_DIR.glob("*.html")):
        for form in FORM.finditer(template.read_text(encoding="utf-8")):
            if 'method="post"' not in form.group("attrs"):
                continue
            if "csrf" not in form.group("attrs") + form.group("body"):
                missing.append(f"{template.name}: <form{form.group('attrs')[:60]}")
    assert missing == []
