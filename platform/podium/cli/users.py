"""`podium users`: create administrators and set site-wide flags without the API."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from podium.cli.common import fail
from podium.crud import users as crud
from podium.db import get_engine, session_scope
from podium.db.migrate import upgrade
from podium.db.models import UserAdminUpdate, UserCreate
from podium.errors import PodiumError
from podium.settings import get_settings

app = typer.Typer(help="Accounts: administrators and site-wide flags.", no_args_is_help=True)


@app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Argument(help="the new administrator's username")],
    email: Annotated[str | None, typer.Option(help="prompted for when missing")] = None,
    password: Annotated[str | None, typer.Option(help="prompted for (hidden) when missing")] = None,
) -> None:
    """Create a site administrator (the database is migrated first)."""
    email = email or typer.prompt("email")
    password = password or typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        body = UserCreate(username=username, email=email, password=password)
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    settings = get_settings()
    upgrade(settings.database_url)
    try:
        with session_scope(get_engine(settings)) as session:
            user = crud.create_user(session, user_create=body, is_admin=True)
    except PodiumError as exc:
        fail(exc.message)
    typer.echo(f"created administrator {user.username} (id {user.id})")


@app.command("set")
def set_flags(
    username: Annotated[str, typer.Argument(help="the account to change")],
    admin: Annotated[bool | None, typer.Option("--admin/--no-admin")] = None,
    creator: Annotated[
        bool | None,
        typer.Option("--can-create-challenges/--cannot-create-challenges"),
    ] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive")] = None,
) -> None:
    """Set an account's site-wide flags."""
    update = UserAdminUpdate(is_admin=admin, can_create_challenges=creator, is_active=active)
    try:
        with session_scope(get_engine(get_settings())) as session:
            user = crud.require_user(session, username=username)
            user = crud.admin_update_user(session, user=user, update=update)
    except PodiumError as exc:
        fail(exc.message)
    typer.echo(
        f"{user.username}: admin={user.is_admin} "
        f"can_create_challenges={user.can_create_challenges} active={user.is_active}"
    )
