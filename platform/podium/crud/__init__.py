"""Data functions: keyword-only, framework-free; each public one is one transaction.

Modules: ``users``, ``tokens``, ``roles``, ``teams`` / ``team_views``, ``challenges`` /
``challenge_views`` / ``downloads``, ``submissions``; errors in ``errors``.
"""
