"""Text templates (notification subjects and bodies) in Jinja2's sandbox.

Tenant admins write these templates, so they are untrusted: the sandboxed
environment refuses unsafe attribute access, and output is capped. A
template that fails to parse or render comes back as an error value; the
caller records it instead of crashing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

MAX_OUTPUT = 100_000


def _finalize(value: Any) -> Any:
    """Objects and lists (object and multiselect fields) print as JSON, not Python reprs,
    so that a webhook receiver or an email reader gets ``["python", "go"]``."""
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, default=str, ensure_ascii=False)
    return value


_environment = SandboxedEnvironment(
    autoescape=False, keep_trailing_newline=False, finalize=_finalize
)


@dataclass(frozen=True, kw_only=True)
class Rendered:
    text: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@lru_cache(maxsize=1024)
def _compiled(source: str) -> Template:
    return _environment.from_string(source)


def render(source: str, context: Mapping[str, Any]) -> Rendered:
    """``source`` rendered with ``context``, or the reason it could not be."""
    try:
        text = _compiled(source).render(**context)
    except TemplateError as exc:
        return Rendered(error=f"{type(exc).__name__}: {exc}")
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        return Rendered(error=f"{type(exc).__name__}: {exc}")
    if len(text) > MAX_OUTPUT:
        text = text[:MAX_OUTPUT]
    return Rendered(text=text)
