"""The pages' router: it only gathers the page modules (API routes live under ``/api/v1``)."""

from fastapi import APIRouter

from podium.web import (
    pages_account,
    pages_catalogue,
    pages_deliverables,
    pages_editions,
    pages_practice,
    pages_public,
    pages_staff,
    pages_submissions,
    pages_submit,
    pages_teams,
)

router = APIRouter(include_in_schema=False)
router.include_router(pages_public.router)
router.include_router(pages_submissions.router)
router.include_router(pages_staff.router)
router.include_router(pages_account.router)
router.include_router(pages_teams.router)
router.include_router(pages_deliverables.router)
router.include_router(pages_submit.router)
router.include_router(pages_editions.router)
router.include_router(pages_catalogue.router)
router.include_router(pages_practice.router)
