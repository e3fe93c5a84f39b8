"""The refusal a redirect carries: read once, only by the session and page it was set for."""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from pacetrack.web.ui import flash

PATH = "/items/1"


def request_with(cookies: dict[str, str]) -> Request:
    header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": PATH,
            "scheme": "http",
            "server": ("testserver", 80),
            "headers": [(b"cookie", header.encode())],
            "query_string": b"",
        }
    )


def remembered_cookie(session: str, **extra: object) -> str:
    response = Response()
    flash.remember(
        response,
        request_with({"pacetrack_token": session}),
        path=PATH,
        field_errors={"deal_value": ["has more than 2 decimal places"]},
        form=FormData([("deal_value", "4500.125"), ("csrf_token", "secret")]),
        **extra,  # type: ignore[arg-type]
    )
    cookie = SimpleCookie()
    cookie.load(response.headers["set-cookie"])
    return cookie[flash.FLASH_COOKIE].value


def test_the_same_session_reads_the_errors_and_what_was_typed() -> None:
    value = remembered_cookie("session-a")

    taken = flash.take(
        request_with({"pacetrack_token": "session-a", flash.FLASH_COOKIE: value}), PATH
    )

    assert taken is not None
    assert taken.field_errors == {"deal_value": ["has more than 2 decimal places"]}
    assert taken.form is not None and list(taken.form.multi_items()) == [("deal_value", "4500.125")]


def test_another_session_another_page_or_a_changed_cookie_read_nothing() -> None:
    value = remembered_cookie("session-a")
    body, _, signature = value.rpartition(".")
    forged = f"{body[:-4]}AAAA.{signature}"

    def read(session: str, cookie: str, path: str = PATH) -> flash.Flash | None:
        return flash.take(
            request_with({"pacetrack_token": session, "pacetrack_flash": cookie}), path
        )

    assert read("session-a", value) is not None
    assert read("session-b", value) is None
    assert read("session-a", value, "/items/2") is None
    assert read("session-a", forged) is None


def test_without_a_session_nothing_is_remembered() -> None:
    response = Response()
    flash.remember(response, request_with({}), path=PATH, field_errors={"x": ["y"]})

    assert "set-cookie" not in response.headers
