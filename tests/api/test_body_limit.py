"""Request body limits: a body over its limit is refused with 413 before anything reads or
parses it, through the app and against a real uvicorn server (as ``pacetrack serve`` runs it)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import Request
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

from pacetrack.bootstrap import Container, build
from pacetrack.db.tables import Item
from pacetrack.settings import Settings
from pacetrack.web.app import create_app
from pacetrack.web.body_limit import IMPORT_PATHS, size_in_words
from tests.conftest import Login
from tests.services.moves_support import Pipeline, StepDef, build_pipeline

KiB = 1024
MiB = 1024 * KiB
PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def pipeline(container: Container, admin: Login) -> Pipeline:
    return build_pipeline(container, admin.tenant_id, [StepDef(name="Lead")])


def item_count(container: Container) -> int:
    with container.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(Item)) or 0


def padded(payload: dict[str, Any], size: int) -> bytes:
    """``payload`` as JSON of exactly ``size`` bytes (trailing whitespace is valid JSON)."""
    raw = json.dumps(payload).encode()
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))


def chunks(body: bytes, size: int = 64 * KiB) -> Iterator[bytes]:
    """A body sent in pieces: httpx then frames it as chunked, without a Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def new_item(pipeline: Pipeline) -> dict[str, Any]:
    return {"pipeline_instance_id": str(pipeline.instance_id), "name": "Acme deal"}


def json_headers(login: Login) -> dict[str, str]:
    return {**login.headers, "Content-Type": "application/json"}


def too_large(limit_in_words: str) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": "Request too large",
        "status": 413,
        "detail": f"The request body is larger than {limit_in_words}.",
        "errors": [{"field": "body", "message": f"must be at most {limit_in_words}"}],
    }


# ---------------------------------------------------------------- through the app


def test_a_body_over_the_limit_is_refused_with_413_and_creates_nothing(
    client: TestClient, container: Container, admin: Login, pipeline: Pipeline
) -> None:
    # Valid JSON for a valid item: only its size stands in the way.
    body = padded(new_item(pipeline), MiB + 1)

    response = client.post("/api/item/create", content=body, headers=json_headers(admin))

    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["connection"] == "close"
    assert response.json() == too_large("1 MiB")
    assert item_count(container) == 0


def test_a_chunked_body_over_the_limit_is_refused_with_413_and_creates_nothing(
    client: TestClient, container: Container, admin: Login, pipeline: Pipeline
) -> None:
    body = padded(new_item(pipeline), MiB + 1)

    response = client.post("/api/item/create", content=chunks(body), headers=json_headers(admin))

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == too_large("1 MiB")
    assert item_count(container) == 0


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_of_exactly_the_limit_goes_through_to_the_app(
    client: TestClient, container: Container, admin: Login, pipeline: Pipeline, framing: str
) -> None:
    body = padded(new_item(pipeline), MiB)
    content = body if framing == "content-length" else chunks(body)

    response = client.post("/api/item/create", content=content, headers=json_headers(admin))

    assert response.status_code == 201, response.text
    assert item_count(container) == 1


def test_a_body_just_under_the_limit_meets_the_usual_validation(
    client: TestClient, container: Container, admin: Login, pipeline: Pipeline
) -> None:
    body = padded({**new_item(pipeline), "name": ""}, MiB - 1)

    response = client.post("/api/item/create", content=body, headers=json_headers(admin))

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["name"]
    assert item_count(container) == 0


def test_a_template_import_may_be_larger_than_other_requests_up_to_its_own_limit(
    client: TestClient, admin: Login
) -> None:
    template = client.post(
        "/api/pipeline-template/create", json={"name": "Sales"}, headers=admin.headers
    ).json()
    document = client.post(
        "/api/pipeline-template/export", json={"id": template["id"]}, headers=admin.headers
    ).json()

    imported = client.post(
        "/api/pipeline-template/import",
        content=padded({"document": document, "name": "Sales copy"}, 2 * MiB),
        headers=json_headers(admin),
    )
    refused = client.post(
        "/api/pipeline-template/import",
        content=padded({"document": document, "name": "Sales again"}, 16 * MiB + 1),
        headers=json_headers(admin),
    )

    assert imported.status_code == 201, imported.text
    assert imported.json()["name"] == "Sales copy"
    assert refused.status_code == 413
    assert refused.json() == too_large("16 MiB")
    listed = client.get("/api/pipeline-template/list", headers=admin.headers).json()
    assert sorted(t["name"] for t in listed) == ["Sales", "Sales copy"]


def test_the_larger_limit_is_on_the_import_route_itself(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert all("post" in paths[path] for path in IMPORT_PATHS)


def test_the_limits_follow_the_settings(database_url: str) -> None:
    settings = Settings(
        database_url=database_url,
        embedded_worker=False,
        max_body_bytes=64 * KiB,
        max_import_body_bytes=128 * KiB,
        _env_file=None,  # type: ignore[call-arg]
    )
    container = build(settings)
    try:
        with TestClient(create_app(container)) as client:
            # Without a token the app answers 401: the body got past the limit.
            at_limit = client.post("/api/item/create", content=b" " * (64 * KiB))
            over_limit = client.post("/api/item/create", content=b" " * (64 * KiB + 1))
            import_at_limit = client.post(
                "/api/pipeline-template/import", content=b" " * (128 * KiB)
            )
            import_over_limit = client.post(
                "/api/pipeline-template/import", content=b" " * (128 * KiB + 1)
            )
    finally:
        container.close()

    assert at_limit.status_code == 401
    assert over_limit.status_code == 413
    assert over_limit.json() == too_large("64 KiB")
    assert import_at_limit.status_code == 401
    assert import_over_limit.status_code == 413
    assert import_over_limit.json() == too_large("128 KiB")


def test_the_limits_are_read_from_the_environment_and_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PACETRACK_MAX_BODY_BYTES", "65536")
    monkeypatch.setenv("PACETRACK_MAX_IMPORT_BODY_BYTES", "33554432")

    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert (settings.max_body_bytes, settings.max_import_body_bytes) == (64 * KiB, 32 * MiB)
    for name, value in [
        ("max_body_bytes", 1000),
        ("max_body_bytes", 2 * 1024 * MiB),
        ("max_import_body_bytes", 0),
        ("max_import_body_bytes", 2 * 1024 * MiB),
    ]:
        with pytest.raises(ValidationError, match=name):
            Settings(**{name: value}, _env_file=None)  # type: ignore[arg-type]


def test_the_default_limits_are_1_mib_and_16_mib_for_imports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PACETRACK_MAX_BODY_BYTES", raising=False)
    monkeypatch.delenv("PACETRACK_MAX_IMPORT_BODY_BYTES", raising=False)

    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert (settings.max_body_bytes, settings.max_import_body_bytes) == (MiB, 16 * MiB)


@pytest.mark.parametrize("declared", [str(MiB + 1), f"000{MiB + 1}", "9" * 5000])
def test_a_declared_length_over_the_limit_is_refused_however_it_is_written(
    client: TestClient, container: Container, admin: Login, pipeline: Pipeline, declared: str
) -> None:
    response = client.post(
        "/api/item/create",
        content=json.dumps(new_item(pipeline)).encode(),
        headers={**json_headers(admin), "Content-Length": declared},
    )

    assert response.status_code == 413
    assert response.json() == too_large("1 MiB")
    assert item_count(container) == 0


@pytest.mark.parametrize("declared", [f"{'0' * 40}{MiB}", f" {MiB} "])
def test_a_declared_length_at_the_limit_with_zeros_or_spaces_is_let_through(
    client: TestClient, container: Container, admin: Login, pipeline: Pipeline, declared: str
) -> None:
    response = client.post(
        "/api/item/create",
        content=padded(new_item(pipeline), MiB),
        headers={**json_headers(admin), "Content-Length": declared},
    )

    assert response.status_code == 201, response.text
    assert item_count(container) == 1


@pytest.mark.parametrize("value", ["abc", "-1", "+5", "1e3", "5, 5", "0x10", ""])
def test_a_content_length_that_is_not_a_whole_number_is_a_400_naming_the_header(
    client: TestClient, container: Container, admin: Login, pipeline: Pipeline, value: str
) -> None:
    response = client.post(
        "/api/item/create",
        content=json.dumps(new_item(pipeline)).encode(),
        headers={**json_headers(admin), "Content-Length": value},
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["errors"] == [
        {"field": "Content-Length", "message": "must be a whole number of bytes"}
    ]
    assert item_count(container) == 0


def test_a_form_post_over_the_limit_is_refused_like_an_api_call(client: TestClient) -> None:
    response = client.post(
        "/login",
        data={"tenant": "acme", "login": "ada", "password": "x" * MiB},
        follow_redirects=False,
    )

    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == too_large("1 MiB")


@pytest.mark.parametrize(
    ("size", "words"),
    [
        (MiB, "1 MiB"),
        (16 * MiB, "16 MiB"),
        (1024 * MiB, "1 GiB"),
        (64 * KiB, "64 KiB"),
        (1536 * KiB, "1,536 KiB"),
        (100_000, "100,000 bytes"),
        (1, "1 byte"),
    ],
)
def test_a_limit_is_named_in_the_unit_a_person_reads(size: int, words: str) -> None:
    assert size_in_words(size) == words


# ---------------------------------------------------------------- against a real server


@dataclass
class Served:
    port: int
    seen_bodies: list[int]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=30)


@pytest.fixture
def served(container: Container) -> Iterator[Served]:
    """The app on uvicorn on a free port, plus two routes of the test's own: one that fails
    and one that records the size of every body it is given."""
    app = create_app(container)
    seen_bodies: list[int] = []

    @app.get("/test/fails")
    def fails() -> None:
        raise RuntimeError("an unexpected failure")

    @app.post("/test/record")
    async def record(request: Request) -> dict[str, int]:
        seen_bodies.append(len(await request.body()))
        return {"size": seen_bodies[-1]}

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "the server did not start"
            thread.join(0.05)
        yield Served(port=listener.getsockname()[1], seen_bodies=seen_bodies)
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def read_answer(connection: socket.socket) -> Answer:
    """One HTTP/1.1 response with a Content-Length, read from a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        received = connection.recv(65536)
        assert received, f"the connection closed before an answer: {data!r}"
        data += received
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers["content-length"])
    while len(rest) < length:
        received = connection.recv(65536)
        assert received, "the connection closed in the middle of the answer"
        rest += received
    return Answer(status=int(status_line.split()[1]), headers=headers, body=rest[:length])


def request_head(method: str, path: str, login: Login | None, *extra: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if login is not None:
        lines.append(f"Authorization: Bearer {login.token}")
    return ("\r\n".join([*lines, *extra]) + "\r\n\r\n").encode()


def closes_cleanly(connection: socket.socket) -> bool:
    """The server ends the connection with an orderly close, not a reset."""
    try:
        return connection.recv(65536) == b""
    except ConnectionResetError:
        return False


def test_a_huge_declared_body_is_answered_413_without_being_sent(
    served: Served, admin: Login
) -> None:
    with served.connect() as connection:
        connection.sendall(
            request_head(
                "POST",
                "/api/item/create",
                admin,
                "Content-Type: application/json",
                f"Content-Length: {10**12}",
            )
        )
        # Not a byte of the body is sent: the answer can only come from the headers.
        answer = read_answer(connection)

        assert answer.status == 413
        assert answer.headers["content-type"] == PROBLEM_JSON
        assert answer.headers["connection"] == "close"
        assert answer.json() == too_large("1 MiB")
        assert closes_cleanly(connection)

    me = httpx.get(f"{served.base}/api/account/me", headers=admin.headers)
    assert me.status_code == 200
    assert me.json()["id"] == str(admin.account_id)


def test_a_client_that_sends_its_whole_oversized_body_reads_the_413_on_a_clean_close(
    served: Served,
) -> None:
    size = 20 * MiB
    with served.connect() as connection:
        connection.sendall(request_head("POST", "/test/record", None, f"Content-Length: {size}"))
        # The server answers early and reads on, so sending the rest is not cut off by a reset.
        connection.sendall(b"[" * size)
        answer = read_answer(connection)

        assert answer.status == 413
        assert answer.json() == too_large("1 MiB")
        assert closes_cleanly(connection)
    assert served.seen_bodies == []


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(served: Served) -> None:
    piece = b"x" * (64 * KiB)
    with served.connect() as connection:
        connection.sendall(request_head("POST", "/test/record", None, "Transfer-Encoding: chunked"))
        for _ in range(17):  # 1 MiB + 64 KiB, and the body not ended
            connection.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        answer = read_answer(connection)

        assert answer.status == 413
        assert answer.headers["connection"] == "close"
        assert answer.json() == too_large("1 MiB")
        assert closes_cleanly(connection)
    assert served.seen_bodies == []


def test_a_chunked_body_within_the_limit_reaches_the_app_whole(served: Served) -> None:
    body = b"x" * MiB

    response = httpx.post(f"{served.base}/test/record", content=chunks(body))

    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.json() == {"size": MiB}
    assert served.seen_bodies == [MiB]


def test_after_a_413_a_keep_alive_client_carries_on_with_its_next_request(
    served: Served, admin: Login, container: Container, pipeline: Pipeline
) -> None:
    body = padded(new_item(pipeline), 20 * MiB)
    with httpx.Client(base_url=served.base, headers=json_headers(admin)) as http:
        declared = http.post("/api/item/create", content=body)
        chunked = http.post("/api/item/create", content=chunks(body))
        created = http.post("/api/item/create", json=new_item(pipeline))

    assert declared.status_code == 413
    assert chunked.status_code == 413
    assert created.status_code == 201, created.text
    assert item_count(container) == 1


def test_after_an_unexpected_500_the_same_connection_serves_the_next_request(
    served: Served, admin: Login
) -> None:
    with served.connect() as connection:
        connection.sendall(request_head("GET", "/test/fails", None))
        failed = read_answer(connection)
        connection.sendall(request_head("GET", "/api/account/me", admin))
        me = read_answer(connection)

    assert failed.status == 500
    assert failed.headers["content-type"] == PROBLEM_JSON
    assert failed.json()["detail"] == "An unexpected error occurred; it has been logged."
    assert "connection" not in failed.headers
    assert me.status == 200
    assert json.loads(me.body)["id"] == str(admin.account_id)
