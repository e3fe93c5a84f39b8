"""Errors of the service layer. They say what went wrong, not how to answer it: the web
layer (``web.problems``) maps each kind to an HTTP status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self


@dataclass(frozen=True, kw_only=True)
class FieldProblem:
    """What is wrong with one part of a request.

    ``field`` is a path into the request, such as ``validations[0].min_value``.
    """

    field: str
    message: str


class ServiceError(Exception):
    """The request could not be carried out.

    ``problems`` name the parts of the request the error is about, when there are such:
    an unknown account in ``member_ids[2]`` is a ``NotFound`` about that field, a taken
    name a ``Conflict`` about ``name``.
    """

    def __init__(
        self, message: str | None = None, *, problems: Sequence[FieldProblem] = ()
    ) -> None:
        super().__init__(message or (self.__doc__ or "").strip().splitlines()[0])
        self.problems = tuple(problems)

    @property
    def message(self) -> str:
        return str(self.args[0])

    @classmethod
    def one(cls, field: str, message: str, *, detail: str | None = None) -> Self:
        """The error about one field of the request."""
        return cls(detail, problems=[FieldProblem(field=field, message=message)])


class NotFound(ServiceError):
    """The requested resource does not exist."""


class Unauthenticated(ServiceError):
    """Missing, expired or unknown credentials."""


class PermissionDenied(ServiceError):
    """Your role does not allow this action."""


class Conflict(ServiceError):
    """The resource changed or exists already."""


class StaleItem(Conflict):
    """The item changed after the client read it: its ``expected_version`` is out of date."""

    def __init__(self, *, current: int, sent: int) -> None:
        super().__init__(
            f"The item changed since you read it (version {current}, you sent {sent}); "
            "reload it and try again.",
            problems=[
                FieldProblem(
                    field="expected_version",
                    message=f"is {sent}, but the item is at version {current} now",
                )
            ],
        )


class Refused(ServiceError):
    """The rules do not allow this action now (the request itself is well formed)."""


class InvalidInput(ServiceError):
    """The request is not valid."""

    def __init__(self, problems: Sequence[FieldProblem], message: str | None = None) -> None:
        super().__init__(message, problems=problems)

    @classmethod
    def one(cls, field: str, message: str, *, detail: str | None = None) -> Self:
        return cls([FieldProblem(field=field, message=message)], detail)
