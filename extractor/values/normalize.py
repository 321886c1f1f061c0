"""Value normalisers, one per attribute type: text, prices, currencies, availability, URLs, ids."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from price_parser import Price
from price_parser._currencies import CURRENCIES

from extractor.values.schema import AttributeType, attribute_type

_WS = re.compile(r"\s+")
_PLAIN_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")
_NOT_ALNUM = re.compile(r"[\W_]+")
_ALNUM = re.compile(r"[^\W_]")


# --- text -------------------------------------------------------------------------------------


def normalize_text(value: str) -> str:
    """Unicode NFKC, HTML entities decoded, whitespace collapsed: the display form of a text."""
    if "&" in value:
        value = html.unescape(value)
    return _WS.sub(" ", unicodedata.normalize("NFKC", value)).strip()


def _is_punct(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def strip_punctuation(value: str) -> str:
    """Remove punctuation and whitespace around a text (inner punctuation stays)."""
    start, end = 0, len(value)
    while start < end and (value[start].isspace() or _is_punct(value[start])):
        start += 1
    while end > start and (value[end - 1].isspace() or _is_punct(value[end - 1])):
        end -= 1
    return value[start:end]


def text_key(value: str) -> str:
    """Comparison form of a text: NFKC, case-folded, whitespace collapsed, no outer punctuation."""
    return strip_punctuation(normalize_text(value).casefold())


# --- identifiers ------------------------------------------------------------------------------


#: A label in front of an identifier ("SKU:", "Art.-Nr.", "EAN #"), dropped before normalising.
ID_LABEL = re.compile(
    r"^\s*(?:sku|mpn|ean(?:[- ]?13)?|gtin(?:-?\d+)?|upc|isbn(?:-?1[03])?|item(?: no\.?| number)?"
    r"|art(?:ikel)?\.?[- ]?(?:nr|nummer)\.?|artikelnummer|bestellnummer|best\.?-?nr\.?"
    r"|herstellernummer|hersteller-?(?:art\.?-?)?nr\.?|mfr\.? ?(?:part )?(?:no|#)\.?"
    r"|model(?: no\.?)?"
    r"|part(?: no\.?| number)?|ref(?:erence)?\.?|réf\.?|código)\s*(?:[:#]\s*|\s+(?=\S*\d))",
    re.IGNORECASE,
)


def clean_identifier(value: str) -> str:
    """An identifier as shown, without a leading label (`SKU: AB-12` -> `AB-12`)."""
    text = normalize_text(value)
    return ID_LABEL.sub("", text, count=1).strip() or text


def normalize_identifier(value: str) -> str:
    """Letters and digits only, a leading label dropped (`SKU: AB-12 34` -> `AB1234`)."""
    text = normalize_text(value)
    stripped = ID_LABEL.sub("", text, count=1)
    return _NOT_ALNUM.sub("", stripped or text)


def identifier_key(value: str) -> str:
    """The comparison form of an identifier: letters and digits only, case-folded."""
    return normalize_identifier(value).casefold()


def gtin_is_valid(code: str) -> bool:
    """Whether a GTIN-8/12/13/14 has a correct GS1 check digit."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    # Weights 3,1,3,1... counted from the digit next to the check digit.
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def normalize_gtin(value: str) -> str | None:
    """The digits of a valid GTIN-8/12/13/14 (prefixes like `EAN:` dropped), else None."""
    digits = re.sub(r"\D", "", normalize_text(value))
    return digits if gtin_is_valid(digits) else None


def gtin_type(code: str) -> str | None:
    """The zyte-common-items GTIN type of a valid code (`gtin8`, `upc`, `gtin13`, `gtin14`)."""
    if not gtin_is_valid(code):
        return None
    return {8: "gtin8", 12: "upc", 13: "gtin13", 14: "gtin14"}[len(code)]


# --- prices and numbers -----------------------------------------------------------------------


def _to_decimal(
    value: str | float | Decimal, decimal_separator: str | None = None
) -> Decimal | None:
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int | float):
        if isinstance(value, bool):
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    text = normalize_text(value)
    if not text:
        return None
    # A plain decimal ("1299.00", "49") is read as such; three decimals stay ambiguous ("1.299"
    # is a thousand-and-some in most of Europe), so those go through price-parser, unless the
    # integer part is 0 (no thousands group follows a leading zero).
    if _PLAIN_DECIMAL.fullmatch(text) and (
        not re.search(r"\.\d{3}$", text) or text.lstrip("-").startswith("0")
    ):
        return Decimal(text)
    amount = Price.fromstring(text, decimal_separator=decimal_separator).amount
    return amount if amount is not None and amount.is_finite() else None


def parse_price(
    value: str | float | Decimal, decimal_separator: str | None = None
) -> Decimal | None:
    """The amount of a price in any local format (`1.299,00 €`, `$1,299`, `12,-`), else None."""
    return _to_decimal(value, decimal_separator)


def format_price(amount: Decimal) -> str:
    """A plain decimal string with at least two decimals (zyte-common-items' convention)."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent <= -2:
        return format(amount, "f")
    return format(amount.quantize(Decimal("0.01")), "f")


def normalize_price(value: str | float | Decimal | None) -> str | None:
    """A price as a plain decimal string (`1.299,00 €` -> `1299.00`), else None."""
    if value is None:
        return None
    amount = parse_price(value)
    return format_price(amount) if amount is not None else None


def parse_number(value: str | float | Decimal | None) -> Decimal | None:
    """A rating or count in any local format (`4,5`, `1.027`), else None."""
    if value is None:
        return None
    return _to_decimal(value)


def normalize_number(value: str | float | Decimal | None) -> str | None:
    """A number as a plain decimal string without trailing zeros (`4,50` -> `4.5`)."""
    number = parse_number(value)
    if number is None:
        return None
    text = format(number.normalize(), "f")
    return text


# --- currencies -------------------------------------------------------------------------------

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
    return found


# --- availability -----------------------------------------------------------------------------

#: schema.org ItemAvailability tokens.
AVAILABILITY_TOKENS = (
    "InStock", "OutOfStock", "PreOrder", "PreSale", "BackOrder", "LimitedAvailability",
    "Discontinued", "SoldOut", "InStoreOnly", "OnlineOnly", "MadeToOrder",
)  # fmt: skip
_TOKEN_BY_KEY = {t.casefold(): t for t in AVAILABILITY_TOKENS}

#: Phrases per token, checked in this order: negations come before the phrases they contain.
AVAILABILITY_PHRASES: tuple[tuple[str, str], ...] = (
    ("Discontinued", r"discontinued|no longer (?:available|sold|produced)|nicht mehr (?:erhältlich"
     r"|lieferbar|verfügbar)|auslaufartikel|descatalogado|n'est plus disponible|plus fabriqué"
     r"|fuori produzione|生産終了|販売終了|停产|已停售"),
    ("OutOfStock", r"out[ -]of[ -]stock|outofstock|sold[ -]?out|not (?:in stock|available)"
     r"|currently unavailable|unavailable|nicht (?:auf|am) lager|nicht (?:vorrätig|lagernd)"
     r"|nicht (?:verfügbar|lieferbar)|derzeit nicht|ausverkauft|vergriffen"
     r"|rupture de stock|en rupture|épuisé|indisponible|non disponible|agotado"
     r"|sin (?:stock|existencias)"
     r"|no disponible|esaurito|non disponibile|uitverkocht|niet (?:op voorraad|leverbaar)"
     r"|brak w magazynie|niedostępny|slutsåld|udsolgt|utsolgt|esgotado|indisponível|нет в наличии"
     r"|在庫切れ|在庫なし|売り切れ|品切れ|缺货|无货|無貨|售罄|已售完|暂时缺货|stokta yok|habis"),
    ("PreOrder", r"pre-?order|vorbestell|précommande|pr[ée]-?commande|preventa|reserva ya"
     r"|preordina|予約受付|予約|预订|预售|預購"),
    ("BackOrder", r"back-?order|nachbestellt|wird nachgeliefert|en cours de réapprovisionnement"
     r"|bajo pedido|お取り寄せ|缺货登记"),
    ("LimitedAvailability", r"limited (?:stock|availability)|low stock|only \d+ left|few left"
     r"|nur noch (?:\d+|wenige)|wenige (?:artikel|exemplare|stück)|geringer (?:lager)?bestand"
     r"|stock limité|plus que \d+|últimas unidades|quedan pocas|pocas unidades|ultimi pezzi"
     r"|残りわずか|残り\d+|库存紧张|仅剩|僅剩"),
    ("InStoreOnly", r"in[ -]store only|nur (?:im markt|in der filiale)|solo en tienda"
     r"|uniquement en magasin"),
    ("OnlineOnly", r"online only|nur online"),
    ("InStock", r"in[ -]stock|instock|available now|ready to ship|auf lager|am lager|lagernd"
     r"|sofort (?:lieferbar|verfügbar|versandfertig)|lieferbar|verfügbar(?!keit)|vorrätig|en stock"
     r"|disponible|en existencia|disponibile|op voorraad|leverbaar|w magazynie|dostępny|i lager"
     r"|på lager|em estoque|disponível|в наличии|在庫あり|在庫有り|有货|有貨|现货|現貨|有库存"
     r"|stokta var"
     r"|tersedia|available"),
)  # fmt: skip
_AVAILABILITY_RES = tuple((t, re.compile(p, re.IGNORECASE)) for t, p in AVAILABILITY_PHRASES)
#: Any phrase at all: one search rules out most texts before the per-token searches.
AVAILABILITY_ANY = re.compile("|".join(f"(?:{p})" for _, p in AVAILABILITY_PHRASES), re.IGNORECASE)
#: The same for case-folded text, without IGNORECASE: several times faster over a whole page.
AVAILABILITY_ANY_FOLDED = re.compile("|".join(f"(?:{p})" for _, p in AVAILABILITY_PHRASES))


def find_availability(text: str) -> tuple[str, int, int] | None:
    """The first availability phrase of a text by priority: (schema.org token, start, end).

    Offsets index `text` itself; normalise it first (`normalize_text`) where it may hold entities.
    """
    if not AVAILABILITY_ANY.search(text):
        return None
    for token, pattern in _AVAILABILITY_RES:
        match = pattern.search(text)
        if match:
            return token, match.start(), match.end()
    return None


def normalize_availability(value: str | None) -> str | None:
    """A schema.org availability token from a token, a schema.org URL or a phrase, else None."""
    if not value:
        return None
    text = normalize_text(value)
    tail = re.split(r"[/#:]", text.rstrip("/"))[-1]
    # Spelled tokens ("InStock", "in_stock") and URLs; phrases ("sold out") go to the phrase table.
    token = _TOKEN_BY_KEY.get(re.sub(r"[_-]", "", tail).casefold())
    if token:
        return token
    found = find_availability(text)
    return found[0] if found else None


def usable_span(name: str, raw: object) -> object:
    """The model's value if it can be the attribute's, else None: a price must parse, an
    availability read as a schema.org token, a currency name one, text hold a letter or digit
    (a list keeps only such items: a breadcrumb without its `|` and `>`)."""
    if name == "currency":
        return raw if isinstance(raw, str) and currency_codes(raw) else None
    if isinstance(raw, list):
        items = [item for item in raw if isinstance(item, str) and _ALNUM.search(item)]
        return items or None
    if not isinstance(raw, str) or not _ALNUM.search(raw):
        return None
    if attribute_type(name) == "price" and normalize_price(raw) is None:
        return None
    if name == "availability" and normalize_availability(raw) is None:
        return None
    return raw


# --- URLs -------------------------------------------------------------------------------------


def normalize_url(value: str | None, base_url: str | None = None) -> str | None:
    """An absolute http(s) URL resolved against the page URL, else None (`data:`, `javascript:`)."""
    if not value:
        return None
    url = value.strip()
    if "&" in url:
        url = html.unescape(url)
    if re.match(r"(?i)(javascript|data|mailto|about):", url):
        return None
    if base_url:
        url = urljoin(base_url, url)
    elif url.startswith("//"):
        url = "https:" + url
    if not re.match(r"(?i)https?://", url):
        return None
    return url


# --- lists and dispatch -----------------------------------------------------------------------


def normalize_list(values: str | Iterable[str]) -> list[str]:
    """Display-normalised, non-empty items of a list (a single string is one item)."""
    items = [values] if isinstance(values, str) else list(values)
    return [text for text in (normalize_text(str(v)) for v in items) if text]


@lru_cache(maxsize=64)
def _kind(attribute: str) -> AttributeType:
    return attribute_type(attribute)


def normalize_value(
    attribute: str,
    value: object,
    *,
    page_url: str | None = None,
    kind: AttributeType | None = None,
) -> str | list[str] | None:
    """Normalise one attribute value by its type (standard type unless `kind` is given)."""
    if value is None:
        return None
    kind = kind or _kind(attribute)
    if kind == "list":
        return normalize_list(value if isinstance(value, list) else str(value))
    if isinstance(value, list):
        value = value[0] if value else None
        if value is None:
            return None
    text = str(value) if not isinstance(value, Decimal) else format(value, "f")
    if kind == "price":
        return normalize_price(value if isinstance(value, int | float | Decimal) else text)
    if kind == "number":
        return normalize_number(text)
    if kind == "url":
        return normalize_url(text, page_url)
    if kind == "identifier":
        if attribute == "gtin":
            return normalize_gtin(text) or normalize_identifier(text) or None
        return normalize_identifier(text) or None
    if kind == "token":
        if attribute == "currency":
            return pick_currency(text, url=page_url)
        if attribute == "availability":
            return normalize_availability(text)
    return normalize_text(text) or None
