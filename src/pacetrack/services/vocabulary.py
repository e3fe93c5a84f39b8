"""The product's vocabulary as entry points show it: the kinds of field, the families of
step configuration, and the words and formats (counts, durations, money) that pages and
command-line output share with the services' own messages, so that they read the same
everywhere.

Entry points (web, command line) take them from here rather than from the engine.
"""

from __future__ import annotations

from pacetrack.engine.config import CONFIG_FAMILIES
from pacetrack.engine.fields import FieldType
from pacetrack.engine.money import DEFAULT_CURRENCY, currency, format_money
from pacetrack.engine.words import counted, duration_words

__all__ = [
    "CONFIG_FAMILIES",
    "DEFAULT_CURRENCY",
    "FieldType",
    "counted",
    "currency",
    "duration_words",
    "format_money",
]
