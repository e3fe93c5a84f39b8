"""engine.money: amounts as people read them, in the tenant's currency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pacetrack.engine.money import CURRENCIES, format_money, format_number


@pytest.mark.parametrize(
    ("amount", "code", "shown"),
    [
        ("150000", "USD", "$150,000.00"),
        ("1234.5", "EUR", "€1,234.50"),
        ("999.995", "GBP", "£1,000.00"),
        ("-42.10", "USD", "-$42.10"),
        ("1500", "JPY", "¥1,500"),
        ("1234567.891", "CHF", "CHF\u00a01,234,567.89"),
        ("0", "INR", "₹0.00"),
        ("12", "XYZ", "$12.00"),
    ],
)
def test_money_has_its_symbol_separators_and_places(amount: str, code: str, shown: str) -> None:
    assert format_money(Decimal(amount), code) == shown


def test_every_listed_currency_is_a_three_letter_code_with_a_name() -> None:
    for code, currency in CURRENCIES.items():
        assert len(code) == 3 and code.isupper() and code == currency.code
        assert currency.name and currency.places in (0, 2)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("82.5581395349", "82.56"),
        ("12500", "12,500"),
        ("1234567.891", "1,234,567.89"),
        ("100.10", "100.1"),
        ("-5.5", "-5.5"),
        ("-0.001", "0"),
    ],
)
def test_numbers_have_separators_and_at_most_two_decimals(amount: str, shown: str) -> None:
    assert format_number(Decimal(amount)) == shown
