"""Errors of the service layer; the web layer maps each to one HTTP status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class FieldProblem:
    """What is wrong with one part of a request.

    ``field`` is a path into the request, such as ``validations[0].min_value``.
    """

    field: str
    message: str


class ServiceError(Exception):
    """The request could not be carried out."""

    status = 400

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0])


class NotFound(ServiceError):
    """The requested resource does not exist."""

    status = 404


class Unauthenticated(ServiceError):
    """Missing, expired or unknown credentials."""

    status = 401


class PermissionDenied(ServiceError):
    """Your role does not allow this action."""

    status = 403


class Conflict(ServiceError):
    """The resource changed or exists already."""

    status = 409


class InvalidInput(ServiceError):
    """The request is not valid."""

    status = 422

    def __init__(self, problems: Sequence[FieldProblem], message: str | None = None) -> None:
        super().__init__(message)
        self.problems = tuple(problems)

    @classmethod
    def one(cls, field: str, message: str) -> InvalidInput:
        return cls([FieldProblem(field=field, message=message)])
