"""Errors a user can cause, raised by services and turned into form errors or JSON by callers."""
from __future__ import annotations


class ServiceError(Exception):
    """A request the service refuses; `code` is stable (for the API), `message` is for people."""

    code = "invalid"
    status = 400

    def __init__(self, message, fields: dict | None = None):
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}


class ValidationFailed(ServiceError):
    code = "validation_failed"
    status = 422


class Conflict(ServiceError):
    code = "conflict"
    status = 409


class NotPermitted(ServiceError):
    code = "forbidden"
    status = 403
