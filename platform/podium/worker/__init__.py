"""The Celery side of the pipeline: the app, thin tasks, and the per-process runtime.

Start a worker with ``podium worker`` (or ``celery -A podium.worker.celery_app worker``).
"""
