"""Provider dialects: each seed provider's customer API under its own prefix, translated to the
canonical services (see `base`). A client written against the provider works by changing only
its base URL and key."""

from __future__ import annotations

from fastapi import FastAPI

from customerbase.dialects import advancly, bitnob, bloc, yativo

# The prefix every dialect lives under (responses there carry personal data, like /v1's).
COMPAT_PREFIX = "/compat"


def install_dialects(app: FastAPI) -> None:
    bloc.install(app)
    bitnob.install(app)
    yativo.install(app)
    advancly.install(app)
