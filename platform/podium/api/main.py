"""The ``/api/v1`` router: it only gathers the resource routers."""

import importlib

from fastapi import APIRouter

from podium.api.routes import auth, challenge_roles, challenges, teams, users

# routers other areas add join when their module exists (built in parallel)
OPTIONAL_ROUTERS = ("podium.api.routes.submissions", "podium.api.routes.leaderboard")

api_router = APIRouter()
api_router.include_router(auth.router)
api_router.include_router(users.router)
api_router.include_router(challenges.router)
api_router.include_router(challenge_roles.router)
api_router.include_router(teams.router)

for _name in OPTIONAL_ROUTERS:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as _exc:
        if _exc.name != _name:
            raise
        continue
    api_router.include_router(_module.router)
