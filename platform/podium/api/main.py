"""The ``/api/v1`` router: it only gathers the resource routers."""

from fastapi import APIRouter

from podium.api.routes import (
    auth,
    catalogue,
    challenge_roles,
    challenges,
    deliverables,
    editions,
    judging,
    leaderboard,
    practice,
    registry,
    submissions,
    teams,
    users,
)

api_router = APIRouter()
api_router.include_router(auth.router)
api_router.include_router(users.router)
api_router.include_router(challenges.router)
api_router.include_router(challenge_roles.router)
api_router.include_router(teams.router)
api_router.include_router(deliverables.router)
api_router.include_router(submissions.router)
api_router.include_router(leaderboard.router)
api_router.include_router(judging.router)
api_router.include_router(registry.router)
api_router.include_router(editions.router)
api_router.include_router(catalogue.router)
api_router.include_router(practice.router)
