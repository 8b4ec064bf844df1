"""The image registry: CNCF Distribution as Podium's image store, with tokens issued by the API.

Participants push their images to their team's repository (``teams/<challenge>/<team id>``),
with ``docker push`` after ``docker login`` or with ``podium submit --image``, which pushes only
the layers the registry lacks; the submission pins the manifest digest and workers pull by that
digest. The registry trusts one thing, the API's signature on a short-lived token (Distribution's
token authentication): :mod:`~podium.registry.keys` holds the key pair,
:mod:`~podium.registry.access` decides who gets which actions on which repository,
:mod:`~podium.registry.config` renders the registry's configuration and
:mod:`~podium.registry.process` runs it for `podium up`.
"""
