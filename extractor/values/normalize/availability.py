"""Availability: shops' phrases, buy-button words and spelled tokens -> schema.org ItemAvailability.

One vocabulary for the whole package: the phrases a page shows (`AVAILABILITY_PHRASES`, found by
`find_availability`; notify-me wording `NOTIFY_PHRASES` among the out-of-stock ones, pre-order and
coming-soon wording `PRE_ORDER_PHRASES`), and the words of add-to-cart / buy-now buttons
(`BUY_PHRASES`, `BUY_BUTTON`: a shopper reads a working one as in stock), in the languages of the
fixture locales and of the real pages (English, German, French, Spanish, Italian, Dutch, Polish,
Swedish, Danish, Norwegian, Portuguese, Czech, Slovak, Russian, Turkish, Indonesian, Japanese,
Chinese, Korean).

Phrases are written in lower case with single spaces; between words a page may put any run of
spaces, `_` or `-` (`auf_lager`, `pre order`, `compile_phrases`), and the case of the page does
not matter.
"""

from __future__ import annotations

import functools
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
_INVISIBLE = re.compile("[\u00ad\u200c\u200d\u2060\ufeff]")


#: Notify-me / back-in-stock-alert wording: a page offers it instead of selling (out of stock).
NOTIFY_PHRASES = (
    r"notify me|notify when|get notified|e-?mail me when|email when (?:available|back)"
    r"|alert me when|back in stock (?:alert|notification)|let me know when"
    r"|benachrichtig|erinnerung bei verfügbarkeit|verfügbarkeitsalarm|m'avertir|me prévenir"
    r"|prévenez-moi|m'alerter|alerte (?:de )?(?:stock|disponibilité|retour en stock)|avísame"
    r"|avisarme|notificarme|avvisami|avvisatemi|houd me op de hoogte|mail mij|stuur mij een"
    r"|powiadom|daj mi znać|meddela mig|bevaka|giv mig besked|varsle meg|avise-me|avisar-me"
    r"|hlídat dostupnost|hlídací pes|upozornit na dostupnost|入荷お知らせ|再入荷お知らせ"
    r"|入荷通知|再入荷通知|到货通知|到貨通知|сообщить о поступлении|재입고 알림"
)

#: Pre-order and coming-soon wording (badges and buttons).
PRE_ORDER_PHRASES = (
    r"pre-?order|pre-?sale|vorbestell|précommande|pr[ée]-?commande|preventa|pre-?venta|reserva ya"
    r"|preordina|pre-?ordine|prenota(?: ora|ora)?|förbeställ|forudbestil|forhåndsbestill"
    r"|przedsprzedaż|zamów przedpremierowo|pré-?venda|pré-?encomenda|předobjednávk|predobjednávk"
    r"|предзаказ|coming soon|bald verfügbar|demnächst verfügbar|demnächst erhältlich"
    r"|bientôt disponible|prochainement disponible|próximamente|prossimamente"
    r"|binnenkort (?:verkrijgbaar|leverbaar|beschikbaar)|wkrótce dostępn|kommer snart"
    r"|kommer snart på lager|\bem breve\b|připravujeme"
    r"|予約受付|予約商品|予約注文|予約販売|ご予約|予約|近日発売|発売予定|预订|预售|預購|預售|即将上市|即將上市"
)

#: Add-to-cart and buy-now wording: a working button with it means the product is in stock.
BUY_PHRASES = (
    r"add (?:it )?to (?:the )?(?:shopping )?(?:cart|bag|basket|trolley)|add to order"
    r"|buy (?:it )?now|^\s*buy\s*$|order now|purchase now|in den (?:warenkorb|einkaufswagen)"
    r"|(?:zum|in den) warenkorb hinzufügen|in den korb|warenkorb legen|jetzt kaufen"
    r"|^\s*kaufen\s*$|sofort kaufen|jetzt bestellen|ajouter au panier|ajouter à mon panier"
    r"|^\s*acheter\s*$|acheter maintenant|commander maintenant|añadir al carrito"
    r"|añadir a la cesta|agregar al carrito|añadir a mi cesta|^\s*comprar\s*$|comprar ahora"
    r"|aggiungi al carrello|aggiungi a carrello|^\s*acquista\s*$|acquista ora|compra ora"
    r"|in winkelwagen|in winkelmand|in mijn winkelwagen|toevoegen aan winkelwagen"
    r"|in (?:de )?winkelwagen|dodaj do koszyka|kup teraz|lägg i varukorg"
    r"|lägg i kundvagn|köp nu|læg i kurv|læg i indkøbskurv|tilføj til kurv|køb nu"
    r"|legg i handlekurv|kjøp nå|adicionar ao carrinho|adicionar ao cesto|comprar agora"
    r"|^\s*do košíku\s*$|vložit do košíku|přidat do košíku|do košíka|pridať do košíka|koupit"
    r"|в корзину|добавить в корзину|купить|sepete ekle|satın al|tambah ke keranjang"
    r"|beli sekarang|カートに入れる|カートに追加|今すぐ購入|購入する|買い物かごに入れる"
    r"|加入购物车|加入購物車|立即购买|立即購買|放入购物车|장바구니 담기|바로 구매|구매하기"
)


#: Phrases per token, checked in this order: negations come before the phrases they contain
#: ("nicht auf Lager" before "auf Lager"), notify-me before "available" ("email me when
#: available"), coming soon before "verfügbar" ("bald verfügbar").
AVAILABILITY_PHRASES: tuple[tuple[str, str], ...] = (
    ("Discontinued", r"discontinued|no longer (?:available|sold|produced|stocked)"
     r"|nicht mehr (?:erhältlich|lieferbar|verfügbar|im sortiment)|auslaufartikel"
     r"|ausgelaufen|descatalogado|descontinuado|n'est plus disponible|plus fabriqué"
     r"|plus commercialisé|fuori produzione|fuori catalogo|non più disponibile"
     r"|uit (?:het )?assortiment"
     r"|niet meer leverbaar|wycofan[yaeo] z (?:oferty|produkcji|sprzedaży)|utgått|udgået"
     r"|ukončen[ýáé] prodej|prodej ukončen|снят с производства"
     r"|生産終了|販売終了|停产|已停售|已下架"),
    ("OutOfStock", r"out of stock|outofstock|sold(?: )?out|not (?:in stock|available)"
     r"|no longer in stock|temporarily (?:out|unavailable)|currently unavailable|unavailable"
     r"|back in stock soon|nicht (?:auf|am|an) lager|nicht (?:vorrätig|lagernd)"
     r"|nicht (?:verfügbar|lieferbar|erhältlich)|derzeit nicht|zurzeit nicht|zur zeit nicht"
     r"|momentan nicht|aktuell nicht (?:verfügbar|lieferbar|vorrätig|auf lager|erhältlich)"
     r"|bald wieder (?:verfügbar|lieferbar|auf lager|erhältlich)|ausverkauft|vergriffen"
     r"|kein liefertermin|liefertermin unbekannt|liefertermin offen"
     r"|rupture de stock|en rupture|épuisé|indisponible|non disponible|hors stock"
     r"|bientôt de retour|agotado|sin (?:stock|existencias)|fuera de stock|no disponible"
     r"|no hay (?:stock|existencias)|esaurit[oai]\b|non disponibil[ei]|fuori stock|terminat[oa]\b"
     r"|non è disponibile|uitverkocht|niet (?:op voorraad|leverbaar|beschikbaar|voorradig)"
     r"|tijdelijk niet|brak w magazynie|brak (?:towaru|na stanie|w sprzedaży)|niedostępn"
     r"|wyprzedan[yaeo]|slutsåld|slut i lager|tillfälligt slut|(?:ej|inte) i lager|udsolgt"
     r"|ikke (?:på lager|tilgængelig|tilgjengelig)|utsolgt|esgotad[oa]|fora de (?:estoque|stock)"
     r"|sem (?:estoque|stock)|indisponível|není skladem|vyprodáno|nedostupn|nie je na sklade"
     r"|vypredan|нет в наличии|закончился|распродан|stokta yok|tükendi|habis|품절|재고(?: )?없음"
     r"|在庫切れ|在庫なし|在庫無し|売り切れ|売切れ|品切れ|完売|販売休止|缺货|缺貨|无货|無貨|售罄"
     r"|已售完|已售罄|暂时缺货|暂无库存|暫無庫存|補貨中|补货中|" + NOTIFY_PHRASES),
    ("PreOrder", PRE_ORDER_PHRASES),
    ("BackOrder", r"back-?order|nachbestellt|wird nachgeliefert|nachlieferung"
     r"|en cours de réapprovisionnement|en réapprovisionnement|sur commande|bajo pedido"
     r"|sob encomenda|su ordinazione|op bestelling|na zamówienie|na objednávku"
     r"|beställningsvara|restnoterad|bestillingsvare|restordre|под заказ"
     r"|お取り寄せ|取り寄せ|入荷待ち|缺货登记"),
    ("LimitedAvailability", r"limited (?:stock|availability)|low stock|only \d+ left|few left"
     r"|last (?:\d+ )?(?:items?|pieces?) (?:left|in stock)|nur noch (?:\d+|wenige)"
     r"|wenige (?:artikel|exemplare|stück)|geringer (?:lager)?bestand|stock limité"
     r"|plus que \d+|derniers articles|dernières pièces|últimas unidades|quedan pocas"
     r"|solo quedan \d+|pocas unidades|ultimi (?:\d+ )?pezzi|pochi pezzi|solo \d+ (?:pezzi )?rimast"
     r"|beperkte voorraad|laatste (?:\d+ )?(?:stuks|exemplaren)|ostatnie (?:sztuki|egzemplarze)"
     r"|få (?:på lager|kvar|tilbage)|últimas peças|poslední kusy|残りわずか|残り\d+|在庫僅少"
     r"|库存紧张|仅剩|僅剩"),
    ("InStoreOnly", r"in store only|nur (?:im markt|in der filiale)|solo en tienda"
     r"|uniquement en magasin"),
    ("OnlineOnly", r"online only|nur online"),
    ("InStock", r"in stock|instock|available now|ready to ship|ready for dispatch"
     r"|auf lager|am lager|ab lager|lagernd|lagerware|sofort (?:lieferbar|verfügbar|versandfertig)"
     r"|versandbereit|versandfertig|lieferbar(?!keit)|verfügbar(?!keit)|vorrätig|en stock"
     r"|disponible|en existencia|hay existencias|disponibile|disponibilità immediata"
     r"|pronta consegna|in magazzino|op voorraad|leverbaar(?!heid)|beschikbaar(?!heid)|na stanie"
     r"|w magazynie|dostępn[yae]\b"
     r"|(?<![^\W\d_])i lager|på lager|em estoque|em stock|disponível|skladem|na skladě|na sklade"
     r"|dostupn[éý]|в наличии|stokta var|tersedia|재고(?: )?있음|在庫あり|在庫有り|在庫有|即納"
     r"|当日発送|有货|有貨|现货|現貨|有库存|库存充足|available"),
)  # fmt: skip


_SPACE_OR_SET = re.compile(r"\[[^\]]*\]| ")


#: Between words: spaces (a no-break one too), `_`, `-`, a soft hyphen or a zero-width space.
_BETWEEN = r"[\s_\-\u00ad\u200b]+"


def compile_phrases(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    """A phrase pattern in which a space (outside `[...]`) stands for `_BETWEEN`."""
    flexible = _SPACE_OR_SET.sub(lambda m: _BETWEEN if m.group() == " " else m.group(), pattern)
    return re.compile(flexible, flags)


_AVAILABILITY_RES = tuple((t, compile_phrases(p)) for t, p in AVAILABILITY_PHRASES)


#: Any phrase at all, in case-folded text (without IGNORECASE: several times faster).
AVAILABILITY_ANY_FOLDED = compile_phrases("|".join(f"(?:{p})" for _, p in AVAILABILITY_PHRASES), 0)


@functools.lru_cache(maxsize=1 << 14)
def has_availability_phrase(text: str) -> bool:
    """Whether a text holds any availability phrase: one search rules out most texts before the
    per-token searches (cached: a store's template texts come back on every page)."""
    return AVAILABILITY_ANY_FOLDED.search(text.casefold()) is not None


#: Words of add-to-cart / buy-now buttons (InStock when the button works).
BUY_BUTTON = compile_phrases(BUY_PHRASES, re.IGNORECASE | re.MULTILINE)


def find_availability(text: str) -> tuple[str, int, int] | None:
    """The first availability phrase of a text by priority: (schema.org token, start, end).

    Offsets index `text` itself; normalise it first (`normalize_text`) where it may hold entities.
    Buy-button words are not phrases here (`button_availability` reads them).
    """
    if not has_availability_phrase(text):
        return None
    for token, pattern in _AVAILABILITY_RES:
        match = pattern.search(text)
        if match:
            return token, match.start(), match.end()
    return None


def button_availability(text: str) -> str | None:
    """What a button's words say: an availability phrase's token ("Sold out", "Notify me",
    "Pre-order"), InStock for add-to-cart / buy-now words, else None."""
    found = find_availability(text)
    if found is not None:
        return found[0]
    return "InStock" if BUY_BUTTON.search(text) else None


def normalize_availability(value: str | None) -> str | None:
    """A schema.org availability token from a token, a schema.org URL, a phrase or a buy
    button's words ("In den Warenkorb" is in stock), else None."""
    if not value:
        return None
    # Invisible format characters: a zero-width space parts words, a soft hyphen or a joiner
    # sits inside one ("Auf\u200bLager", "verfüg\u00adbar").
    text = _INVISIBLE.sub("", normalize_text(value).replace("\u200b", " "))
    tail = re.split(r"[/#:]", text.rstrip("/"))[-1]
    # Spelled tokens ("InStock", "in_stock") and URLs; phrases ("sold out") go to the phrase table.
    token = _TOKEN_BY_KEY.get(re.sub(r"[_-]", "", tail).casefold())
    if token:
        return token
    return button_availability(text)
