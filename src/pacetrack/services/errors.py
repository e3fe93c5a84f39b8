"""Errors of the service layer; the web layer maps each to one HTTP status."""

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

    status = 400

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


class InvalidInput(ServiceError):
    """The request is not valid."""

    status = 422

    def __init__(self, problems: Sequence[FieldProblem], message: str | None = None) -> None:
        super().__init__(message, problems=problems)

    @classmethod
    def one(cls, field: str, message: str, *, detail: str | None = None) -> Self:
        return cls([FieldProblem(field=field, message=message)], detail)
