"""The response envelope the seed providers use: `{"success", "message", "data"}` (+ `meta`)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class OrjsonResponse(JSONResponse):
    """JSON rendered by orjson: about 50x cheaper than the stdlib encoder for one customer."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def ok(
    data: Any,
    message: str,
    *,
    status_code: int = 200,
    meta: dict[str, Any] | None = None,
) -> OrjsonResponse:
    body: dict[str, Any] = {"success": True, "message": message, "data": data}
    if meta is not None:
        body["meta"] = meta
    return OrjsonResponse(body, status_code=status_code)


def error(
    status_code: int,
    message: str,
    error_body: dict[str, Any],
    request_id: str | None,
    headers: dict[str, str] | None = None,
) -> OrjsonResponse:
    body = {
        "success": False,
        "message": message,
        "error": {**error_body, "request_id": request_id},
    }
    return OrjsonResponse(body, status_code=status_code, headers=headers)
