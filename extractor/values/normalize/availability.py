"""Availability: shops' phrases and spelled tokens -> schema.org ItemAvailability."""

from __future__ import annotations

import re

from extractor.values.normalize.text import (
    normalize_text,
)

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
