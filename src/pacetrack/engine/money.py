"""Money as people read it: the tenant's currency symbol, thousands separators and the
currency's minor units ("$150,000.00", "€1,234.50", "¥1,500").

The currencies PaceTrack shows are listed here with their symbol and decimal places; a code
that is not listed is refused when a tenant admin sets it. Amounts are Decimals and are
rounded half up to the currency's places only for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True, kw_only=True)
class Currency:
    code: str
    name: str
    symbol: str
    places: int = 2

    @property
    def prefix(self) -> str:
        """What goes before the number: a symbol as is, a code followed by a space."""
        return self.symbol if self.symbol != self.code else f"{self.code}\u00a0"


def _currency(code: str, name: str, symbol: str | None = None, places: int = 2) -> Currency:
    return Currency(code=code, name=name, symbol=symbol or code, places=places)


CURRENCIES: dict[str, Currency] = {
    currency.code: currency
    for currency in (
        _currency("USD", "US dollar", "$"),
        _currency("EUR", "Euro", "€"),
        _currency("GBP", "Pound sterling", "£"),
        _currency("JPY", "Japanese yen", "¥", 0),
        _currency("CHF", "Swiss franc"),
        _currency("CAD", "Canadian dollar", "CA$"),
        _currency("AUD", "Australian dollar", "A$"),
        _currency("NZD", "New Zealand dollar", "NZ$"),
        _currency("CNY", "Chinese yuan", "CN¥"),
        _currency("HKD", "Hong Kong dollar", "HK$"),
        _currency("SGD", "Singapore dollar", "S$"),
        _currency("INR", "Indian rupee", "₹"),
        _currency("KRW", "South Korean won", "₩", 0),
        _currency("BRL", "Brazilian real", "R$"),
        _currency("MXN", "Mexican peso", "MX$"),
        _currency("ZAR", "South African rand", "R"),
        _currency("SEK", "Swedish krona"),
        _currency("NOK", "Norwegian krone"),
        _currency("DKK", "Danish krone"),
        _currency("ISK", "Icelandic króna", None, 0),
        _currency("PLN", "Polish złoty", "zł"),
        _currency("CZK", "Czech koruna", "Kč"),
        _currency("HUF", "Hungarian forint", "Ft"),
        _currency("RON", "Romanian leu"),
        _currency("TRY", "Turkish lira", "₺"),
        _currency("ILS", "Israeli new shekel", "₪"),
        _currency("AED", "UAE dirham"),
        _currency("SAR", "Saudi riyal"),
        _currency("EGP", "Egyptian pound"),
        _currency("NGN", "Nigerian naira", "₦"),
        _currency("KES", "Kenyan shilling"),
        _currency("THB", "Thai baht", "฿"),
        _currency("IDR", "Indonesian rupiah", "Rp"),
        _currency("MYR", "Malaysian ringgit", "RM"),
        _currency("PHP", "Philippine peso", "₱"),
        _currency("VND", "Vietnamese đồng", "₫", 0),
        _currency("TWD", "New Taiwan dollar", "NT$"),
        _currency("ARS", "Argentine peso"),
        _currency("CLP", "Chilean peso", None, 0),
        _currency("COP", "Colombian peso"),
        _currency("PEN", "Peruvian sol", "S/"),
        _currency("UAH", "Ukrainian hryvnia", "₴"),
    )
}


def currency(code: str) -> Currency:
    """The currency ``code`` names, or US dollars for one that is not listed."""
    return CURRENCIES.get(code, CURRENCIES[DEFAULT_CURRENCY])


def format_money(amount: Decimal, code: str = DEFAULT_CURRENCY) -> str:
    """``format_money(Decimal("150000"), "USD")`` is "$150,000.00"; negatives lead with "-"."""
    chosen = currency(code)
    if not amount.is_finite():
        return str(amount)
    quantum = Decimal(1).scaleb(-chosen.places)
    try:
        rounded = amount.quantize(quantum, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        rounded = amount
    sign = "-" if rounded < 0 else ""
    return f"{sign}{chosen.prefix}{abs(rounded):,.{chosen.places}f}"


def format_number(amount: Decimal, places: int = 2) -> str:
    """A number as people read it: thousands separators and at most ``places`` decimals,
    without trailing zeros (``format_number(Decimal("82.5581395349"))`` is "82.56",
    ``format_number(Decimal("12500"))`` is "12,500")."""
    if not amount.is_finite():
        return str(amount)
    try:
        rounded = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        rounded = amount
    text = f"{rounded:,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
