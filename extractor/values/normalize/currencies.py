"""Currencies: symbols and codes -> ISO 4217, with the page's language and domain as hints."""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

from price_parser._currencies import CURRENCIES

from extractor.values.normalize.text import (
    normalize_text,
)

#: Symbols and local abbreviations, with the codes they stand for, most common first.
CURRENCY_SYMBOLS: dict[str, tuple[str, ...]] = {
    "$": ("USD", "CAD", "AUD", "NZD", "MXN", "SGD", "HKD", "TWD", "ARS", "CLP", "COP", "UYU"),
    "us$": ("USD",),
    "u$s": ("USD",),
    "ca$": ("CAD",),
    "c$": ("CAD", "NIO"),
    "cad$": ("CAD",),
    "a$": ("AUD",),
    "au$": ("AUD",),
    "nz$": ("NZD",),
    "hk$": ("HKD",),
    "s$": ("SGD",),
    "sg$": ("SGD",),
    "mx$": ("MXN",),
    "nt$": ("TWD",),
    "r$": ("BRL",),
    "€": ("EUR",),
    "£": ("GBP", "EGP", "GIP", "FKP", "SHP"),
    "¥": ("JPY", "CNY"),
    "￥": ("JPY", "CNY"),
    "円": ("JPY",),
    "cn¥": ("CNY",),
    "元": ("CNY",),
    "rmb": ("CNY",),
    "₹": ("INR",),
    "rs": ("INR", "PKR", "LKR", "NPR"),
    "rs.": ("INR", "PKR", "LKR", "NPR"),
    "₩": ("KRW",),
    "원": ("KRW",),
    "₽": ("RUB",),
    "руб": ("RUB",),
    "руб.": ("RUB",),
    "₺": ("TRY",),
    "tl": ("TRY",),
    "₦": ("NGN",),
    "₱": ("PHP",),
    "฿": ("THB",),
    "₫": ("VND",),
    "₪": ("ILS",),
    "₴": ("UAH",),
    "грн": ("UAH",),
    "zł": ("PLN",),
    "kč": ("CZK",),
    "ft": ("HUF",),
    "kr": ("SEK", "NOK", "DKK", "ISK"),
    "kr.": ("DKK", "SEK", "NOK", "ISK"),
    ":-": ("SEK",),
    "fr.": ("CHF",),
    "sfr": ("CHF",),
    "rp": ("IDR",),
    "rp.": ("IDR",),
    "rm": ("MYR",),
    "lei": ("RON",),
    "лв": ("BGN",),
    "лв.": ("BGN",),
    "₡": ("CRC",),
    "د.إ": ("AED",),
    "﷼": ("SAR", "IRR", "QAR", "OMR", "YER"),
    "₵": ("GHS",),
    "ksh": ("KES",),
}


#: Every ISO 4217 code price-parser knows (plus a few it lacks), standing for itself.
ISO_CODES = frozenset(CURRENCIES) | {"CNY", "TWD", "VES", "ZWL"}


#: Country (TLD or region subtag) -> currency, to pick among a symbol's codes.
COUNTRY_CURRENCY = {
    "us": "USD", "ca": "CAD", "au": "AUD", "nz": "NZD", "mx": "MXN", "sg": "SGD", "hk": "HKD",
    "tw": "TWD", "ar": "ARS", "cl": "CLP", "co": "COP", "uy": "UYU", "br": "BRL", "uk": "GBP",
    "gb": "GBP", "eg": "EGP", "jp": "JPY", "cn": "CNY", "in": "INR", "pk": "PKR", "lk": "LKR",
    "np": "NPR", "kr": "KRW", "ru": "RUB", "tr": "TRY", "ng": "NGN", "ph": "PHP", "th": "THB",
    "vn": "VND", "il": "ILS", "ua": "UAH", "pl": "PLN", "cz": "CZK", "hu": "HUF", "se": "SEK",
    "no": "NOK", "dk": "DKK", "is": "ISK", "ch": "CHF", "li": "CHF", "id": "IDR", "my": "MYR",
    "ro": "RON", "bg": "BGN", "za": "ZAR", "ae": "AED", "sa": "SAR", "ni": "NIO", "ke": "KES",
    # the euro area
    "eu": "EUR", "de": "EUR", "at": "EUR", "fr": "EUR", "it": "EUR", "es": "EUR", "nl": "EUR",
    "be": "EUR", "ie": "EUR", "pt": "EUR", "fi": "EUR", "gr": "EUR", "sk": "EUR", "si": "EUR",
    "lt": "EUR", "lv": "EUR", "ee": "EUR", "lu": "EUR", "mt": "EUR", "cy": "EUR", "hr": "EUR",
}  # fmt: skip


#: Language -> currency, where a language mostly means one country's shops.
LANGUAGE_CURRENCY = {
    "ja": "JPY", "zh": "CNY", "ko": "KRW", "sv": "SEK", "nb": "NOK", "nn": "NOK", "no": "NOK",
    "da": "DKK", "is": "ISK", "pl": "PLN", "cs": "CZK", "hu": "HUF", "ru": "RUB", "uk": "UAH",
    "tr": "TRY", "th": "THB", "vi": "VND", "he": "ILS", "id": "IDR", "ms": "MYR", "ro": "RON",
    "bg": "BGN", "hi": "INR",
}  # fmt: skip


_SYMBOLS_BY_LENGTH = sorted((s for s in CURRENCY_SYMBOLS if s != ":-"), key=len, reverse=True)


_WORD_SYMBOLS = "|".join(re.escape(s) for s in _SYMBOLS_BY_LENGTH if s[0].isalpha())


_SIGN_SYMBOLS = "|".join(re.escape(s) for s in _SYMBOLS_BY_LENGTH if not s[0].isalpha())


#: A currency symbol or ISO code as it stands in a page's text ("€" may touch letters, "kr" not).
CURRENCY_PATTERN = re.compile(
    rf"(?<![^\W\d_])(?:[A-Z]{{3}}|{_WORD_SYMBOLS})(?![^\W\d_])|{_SIGN_SYMBOLS}",
    re.IGNORECASE,
)


def currency_codes(value: str | None) -> tuple[str, ...]:
    """The ISO 4217 codes a symbol or code can stand for, most common first (empty if none)."""
    if not value:
        return ()
    raw = normalize_text(value)
    if raw.upper() in ISO_CODES:
        return (raw.upper(),)
    key = raw.casefold()
    return CURRENCY_SYMBOLS.get(key) or CURRENCY_SYMBOLS.get(key.rstrip(".")) or ()


def currency_hints(lang: str | None = None, url: str | None = None) -> list[str]:
    """Currencies suggested by a page language tag (`en-CA`) and its URL's top-level domain."""
    hints: list[str] = []
    if lang:
        parts = re.split(r"[-_]", lang.strip().lower())
        if len(parts) > 1 and parts[1] in COUNTRY_CURRENCY:
            hints.append(COUNTRY_CURRENCY[parts[1]])
        if parts[0] in LANGUAGE_CURRENCY:
            hints.append(LANGUAGE_CURRENCY[parts[0]])
    if url:
        host = urlsplit(url if "//" in url else "//" + url).hostname or ""
        tld = host.rsplit(".", 1)[-1]
        if tld in COUNTRY_CURRENCY:
            hints.append(COUNTRY_CURRENCY[tld])
    return hints


def pick_currency(value: str | None, lang: str | None = None, url: str | None = None) -> str | None:
    """The ISO code a symbol most likely means on a page of that language and domain, else None."""
    codes = currency_codes(value)
    if len(codes) <= 1:
        return codes[0] if codes else None
    for hint in currency_hints(lang, url):
        if hint in codes:
            return hint
    return codes[0]


def find_currencies(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """Every currency symbol or ISO code in a text: (start, end, candidate codes)."""
    return list(_find_currencies(text))


@functools.lru_cache(maxsize=1 << 14)
def _find_currencies(text: str) -> tuple[tuple[int, int, tuple[str, ...]], ...]:
    """`find_currencies`, cached (a store's texts come back on every page)."""
    found = []
    for match in CURRENCY_PATTERN.finditer(text):
        raw = match.group()
        if (
            raw.isalpha()
            and len(raw) == 3
            and not raw.isupper()
            and raw.casefold() not in CURRENCY_SYMBOLS
        ):
            continue  # "eur" in running text is a word; page codes are written in capitals
        codes = currency_codes(raw)
        if codes:
            found.append((match.start(), match.end(), codes))
    return tuple(found)
