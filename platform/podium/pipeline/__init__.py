"""The evaluation pipeline as plain functions; Celery tasks (``podium.worker``) only call them.

dispatch    enqueue / cancel / rerun (called by the API, commit before send)
fairness    per-team cap on sent submissions: claim the team's next under its row lock
evaluate    evaluate_submission: prepare image → run sandbox → score → save
attempts    evaluation attempts, status moves, heartbeats
images      the ``preparing`` stage (load, build, wrap; reuse pinned digests)
stages      the ``running`` and ``scoring`` stages, saving scores
outcomes    failed / error / back to the queue
recording   the MLflow copy of each evaluation, and retries of missed copies
reaper      stale heartbeats, forgotten submissions
faults      whose fault a failure is (participant, platform, organiser)
examples    ``podium up --examples``: example challenges and their baselines
"""
