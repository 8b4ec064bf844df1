"""The Celery side of the pipeline: thin tasks, the per-process runtime, the command line's app.

Start a worker with ``podium worker`` (or ``celery -A podium.worker.celery_app worker``).
"""
