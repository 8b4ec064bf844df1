"""Data functions: keyword-only, framework-free; each public one is one transaction.

Modules: ``users``, ``tokens``, ``roles``, ``teams`` / ``team_views``, ``challenges`` /
``challenge_views``, ``submissions``; the errors they raise are in :mod:`podium.errors`.
"""
