"""Podium: the service that wires the sandbox, evaluators, leaderboard and challenges together."""

__version__ = "0.1.0"
