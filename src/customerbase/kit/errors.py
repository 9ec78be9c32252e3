"""One error base class. Services raise these; the app turns them into the error envelope.

The envelope is `{"success": false, "message", "error": {"type", "fields", "request_id", ...}}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class CustomerbaseError(Exception):
    """Base of every error the API answers with. Knows its HTTP status and error type."""

    status_code: ClassVar[int] = 500
    error_type: ClassVar[str] = "api_error"
    default_message: ClassVar[str] = "An unexpected error occurred"

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: list[FieldError] | None = None,
        error_type: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.fields = fields or []
        self.type = error_type or self.error_type
        self.extra = extra or {}
        self.headers = headers or {}
        super().__init__(self.message)

    def error_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "fields": [f.as_dict() for f in self.fields]}
        body.update(self.extra)
        return body


class ValidationFailed(CustomerbaseError):
    status_code = 422
    error_type = "validation_error"
    default_message = "The request has invalid fields"

    @classmethod
    def for_field(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", fields=[FieldError(field, message)])

    @classmethod
    def for_fields(cls, fields: list[FieldError]) -> ValidationFailed:
        summary = "; ".join(f"{f.field}: {f.message}" for f in fields)
        return cls(summary, fields=fields)


class InvalidJSON(CustomerbaseError):
    status_code = 400
    error_type = "invalid_json"
    default_message = "The request body is not valid JSON"


class UnsupportedMediaType(CustomerbaseError):
    status_code = 415
    error_type = "unsupported_media_type"
    default_message = (
        "The request body must be JSON, sent with the header 'Content-Type: application/json'"
    )


class AuthenticationFailed(CustomerbaseError):
    status_code = 401
    error_type = "authentication_error"
    default_message = "Authentication failed"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="customerbase"'})
        super().__init__(message, **kwargs)


class NotFound(CustomerbaseError):
    status_code = 404
    error_type = "not_found"
    default_message = "Not found"


class Conflict(CustomerbaseError):
    status_code = 409
    error_type = "conflict"
    default_message = "The request conflicts with the current state"


class ServiceUnavailable(CustomerbaseError):
    """A dependency (the database) is down or busy: the client should retry after a pause."""

    status_code = 503
    error_type = "service_unavailable"
    default_message = "The service is temporarily unavailable; retry shortly"
    retry_after_seconds: ClassVar[int] = 5

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(self.retry_after_seconds)})
        super().__init__(message, **kwargs)
