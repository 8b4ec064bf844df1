"""Services: what the API and the pages both present, composed from ``crud`` (data access) and
the libraries. Neither FastAPI nor the pages' templates are imported here; routes and pages call
these functions and show their typed answers (JSON through the response models, HTML through
the templates).
"""
