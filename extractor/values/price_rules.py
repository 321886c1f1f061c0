"""Price rules on a page's text nodes: what text is a price, amounts split over two nodes,
carousels (repeated blocks), and a fallback price near the product name.

Torch-free and independent of the model: `extractor.neural.decode` applies these rules to the
model's
candidate spans, and `extractor.extract` takes `MIN_CONFIDENCE` from here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from extractor.page.dom import Node
from extractor.page.hints import OLD_PRICE_HINT, PRICE_HINT, node_hints
from extractor.values.normalize.currencies import find_currencies
from extractor.values.normalize.prices import parse_price

#: Values less confident than this are unusable: the record cut (`FusionSettings.min_confidence`)
#: and the cut under which the model's prices give way to `fallback_price`.
MIN_CONFIDENCE = 0.5

#: An amount as shops print it: thousands groups (`1.299,00`, `12,800`, `1 299`) or plain.
_AMOUNT = re.compile(
    r"\d{1,3}(?:[.,'\u2019\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
)
_CAROUSEL_HINT = re.compile(r"related|carousel|slider|recommend|similar|upsell|cross-?sell", re.I)
#: Titles of blocks of other products: related items, recommendations, accessories, history.
_CAROUSEL_TITLE = re.compile(
    r"(?:related (?:products|items)|you (?:may|might) also like|customers (?:also|who) "
    r"(?:bought|viewed)|frequently bought together|similar (?:products|items)|recently viewed"
    r"|more from this (?:brand|seller)|ähnliche (?:produkte|artikel)|das könnte (?:dir|ihnen) "
    r"auch gefallen|kunden kauften auch|kunden, die .{0,40} kauften|passendes zubehör"
    r"|zuletzt angesehen|empfehlungen für (?:dich|sie)|produits similaires"
    r"|vous (?:aimerez|pourriez aimer)|productos (?:relacionados|similares)"
    r"|también te puede interesar|prodotti (?:correlati|simili)|potrebbe (?:interessarti|piacerti)"
    r"|gerelateerde producten|anderen bekeken ook|podobne produkty|liknande produkter"
    r"|relaterede produkter|produtos (?:relacionados|semelhantes)|související produkty"
    r"|関連商品|おすすめ商品|この商品を見た人|相关商品|猜你喜欢|看了又看)\W*$",
    re.I,
)
#: Elements of an add-on's price: a warranty extension, an insurance, a service.
_ADDON_HINT = re.compile(
    r"warrant|garanti|insurance|versicherung|protection|geräteschutz|add-?on|service-?price", re.I
)
#: A carousel title is a short node of its own.
_MAX_TITLE = 60
_OLD_TAGS = frozenset({"s", "del", "strike"})
#: A number times another: a dimension or resolution (`1920 x 1080`, `2x2W`), not a price.
_TIMES_BEFORE = re.compile(r"\d\s*[x\u00d7*]\s*$", re.I)
_TIMES_AFTER = re.compile(r"\s*[x\u00d7*]\s*\d", re.I)
#: Node texts longer than this are running text, where a bare number is rarely a price.
RUNNING_TEXT = 80
#: A label node that announces the former price (`UVP`, `Was:`) or the price (`Price`, `Sale`).
_OLD_LABEL = re.compile(
    r"(?:was|statt|uvp|rrp|msrp|list price|instead of|originally|bisher|vorher|reg\.?)\s*:?", re.I
)
_PRICE_LABEL = re.compile(
    r"(?:(?:our|your|unser|ihr|sale|special)\s+)?"
    r"(?:price|preis|prix|prezzo|precio|prijs|pris|cena|sale|now|jetzt|nur|only|today)\s*:?",
    re.I,
)
#: Words before an amount that make it a delivery cost, not the product's price.
_SHIPPING = re.compile(
    r"versand|shipping|delivery|lieferung|zustellung|porto|livraison|spedizione|env[ií]o|frete"
    r"|verzending",
    re.I,
)
#: What follows an amount that is a share, a measure or a count rather than a price.
_UNIT_AFTER = re.compile(
    r"\s?(?:%|\"|(?:cm|mm|km|m|kg|mg|g|ml|l|w|kw|kwh|v|mah|hz|ghz|mhz|gb|tb|mb|zoll|inch|stk|"
    r"pcs|stück|tage|days|x|cd|nits?|ms|dpi|ppi|bit|mp|lm|db|rpm|u/min)(?![^\W\d_]))",
    re.I,
)
#: What follows an amount (after its currency) that makes it a price per unit or per month.
_PER_AFTER = re.compile(r"\s*(?:/|(?:pro|per|je)\s)", re.I)
#: Words of instalments and financing before an amount ("monatl. ab", "12 Raten à", "or 4
#: payments of", "ou 3x"); a quantity times a price ("2 x 19,99 €") stays a price.
_INSTALMENT_BEFORE = re.compile(
    r"(?<![^\W\d_])(?:monatl(?:ich)?|mtl|monthly|per month|a month|raten?|rate da|rates?"
    r"|instal+ments?|payments?|financ(?:ing|ement|iamento|iación)|finanzierung|finanzierbar|leasing"
    r"|mensualit[ée]s?|par mois|cuotas?|plazos|al mese|maandelijks|per maand|miesięcz\w*"
    r"|rat[ay]?|splátk\w*|månad\w*|måned\w*|(?:or|oder|ou|o|of|eller)\s+\d+\s*[x×])"
    r"[^\d]{0,14}$",
    re.I,
)
#: ... and after it ("3 x 33,00 € sans frais", "€ 3,69 monatlich", "9,99 €/Monat" is per-unit).
_INSTALMENT_AFTER = re.compile(
    r"\s*(?:monatl(?:ich)?|mtl\b|monthly|a month|per month|mo\b|sans frais|en \d+ fois"
    r"|mensuel|al mese|a[lo] mes\b|mensual|p\.?\s?m\b|x \d+ (?:monate|months|mois|meses|mesi))",
    re.I,
)
#: Words after an amount that make it a delivery cost ("zzgl. 4,90 € Versand").
_SHIPPING_AFTER = re.compile(
    r"\s*(?:versand|shipping|delivery|lieferung|porto|livraison|frais de port|env[ií]o"
    r"|spedizione|verzend|frete|fragt|forsendelse|frakt)",
    re.I,
)
_DATE = re.compile(r"\d{1,2}\.(\d{1,2})\.(?:\d{2,4})?|\d{1,2}:\d{2}")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
#: Letters a node may hold besides its amount and still be a price on its own (`(inc VAT)`).
_MAX_LONE_LETTERS = 12
#: How far (in nodes) from the name a fallback price may stand: after it, and before it.
_FALLBACK_AFTER, _FALLBACK_BEFORE = 80, 20
#: The cents (or a dash) of an amount split over two nodes, at the start of the second, with the
#: decimal separator before them or not.
_SPLIT_TAIL = re.compile(r"\s*([.,]?)(\d{2}|[-\u2013\u2014]{1,2})(?!\d)")
_STEP = re.compile(r"([^\[]+)(?:\[(\d+)\])?$")
_DIGIT = re.compile(r"\d")


class PriceSpan(NamedTuple):
    """A price found by the rules: node index, span of its amount in the node's text, the amount
    (a split amount joined) and the rule's confidence."""

    node: int
    start: int
    end: int
    amount: str
    confidence: float


def snap_to_amount(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span to the whole amount it cuts into (`228,90` rather than `90` or `228`).

    Sub-word tokens split amounts at every separator, and the model may tag only a piece.
    """
    best: tuple[int, int, int] | None = None
    for match in _AMOUNT.finditer(text):
        overlap = min(end, match.end()) - max(start, match.start())
        if overlap > 0 and (best is None or overlap > best[0]):
            best = (overlap, match.start(), match.end())
    if best is None:
        return start, end
    return min(start, best[1]), max(end, best[2])


def _strip_currency(text: str, at_end: bool) -> str:
    """The text without currency symbols/codes at its end (or start) and the spaces around."""
    while True:
        text = text.rstrip() if at_end else text.lstrip()
        edge = [
            (s, e) for s, e, _ in find_currencies(text) if (e == len(text) if at_end else s == 0)
        ]
        if not edge:
            return text
        text = text[: edge[0][0]] if at_end else text[edge[0][1] :]


def _is_currency(text: str) -> bool:
    return bool(text.strip()) and not _strip_currency(text, at_end=True)


def currency_beside(text: str, start: int, end: int) -> str | None:
    """The currency symbol or code written right before or after `text[start:end]`, if any."""
    before, after = text[:start].rstrip(), text[end:].lstrip()
    for s, e, _ in find_currencies(before):
        if e == len(before):
            return before[s:e]
    for s, e, _ in find_currencies(after):
        if s == 0:
            return after[s:e]
    return None


def currency_of_price(nodes: Sequence[Node], i: int, start: int, end: int) -> str | None:
    """The currency written with the price `nodes[i]["text"][start:end]`: beside it in its node,
    alone in the node before, or at the start of the node after (`<b>€</b><b>12.50</b>`)."""
    found = currency_beside(nodes[i]["text"], start, end)
    if found is None and i > 0 and _is_currency(nodes[i - 1]["text"]):
        found = nodes[i - 1]["text"].strip()
    if found is None and i + 1 < len(nodes):
        after = nodes[i + 1]["text"].lstrip()
        found = next((after[s:e] for s, e, _ in find_currencies(after) if s == 0), None)
    return found


def no_price(text: str, start: int, end: int) -> bool:
    """Whether the amount `text[start:end]` is something else: no digits or zero, a share
    (`19 %`), a measure (`22.1cm`), a dimension (`1920 x 1080`), a date or time, a price per
    unit (`2,50 €/kg`, `1 kg = 3,99 €`), an add-on (`+ 34,99 €`), an instalment (`monatl. ab
    3,69 €`, `3 x 33,00 € sans frais`) or a delivery cost (`Versand ab 5,90`, `4,90 € Versand`)."""
    amount = parse_price(text[start:end]) if any(ch.isdigit() for ch in text[start:end]) else None
    if not amount:
        return True
    before, after = _strip_currency(text[:start], at_end=True), text[end:]
    unit_after = _strip_currency(after, at_end=False)
    if _UNIT_AFTER.match(after) or _PER_AFTER.match(unit_after):
        return True
    if _INSTALMENT_BEFORE.search(before[-60:]) or _INSTALMENT_AFTER.match(unit_after):
        return True
    if _SHIPPING_AFTER.match(unit_after):
        return True
    times = _TIMES_BEFORE.search(text[:start]) or _TIMES_AFTER.match(after)
    if times and currency_beside(text, start, end) is None:
        return True
    dates = (m for m in _DATE.finditer(text) if not m.group(1) or int(m.group(1)) <= 12)
    if any(m.start() < end and start < m.end() for m in dates):
        return True
    return before.endswith(("+", "=")) or bool(_SHIPPING.search(before))


def _currency_near(nodes: Sequence[Node], i: int) -> bool:
    """A currency in the node, or in the node just before/after that holds little else (after
    all of an amount split over several nodes: `150` `,` `85` `EUR`)."""
    if find_currencies(nodes[i]["text"]):
        return True
    split = _split(nodes, i)
    last = i if split is None else split[3]
    after = nodes[last + 1]["text"] if last + 1 < len(nodes) else ""
    before = nodes[i - 1]["text"] if i > 0 else ""
    return _strip_currency(after, at_end=False) != after.lstrip() or _is_currency(before)


def plausible_price(nodes: Sequence[Node], i: int, start: int, end: int) -> bool:
    """Whether a span reads as a price: a currency nearby, two decimals, or a price element; in
    running text (a specification, a description), only with its currency written beside it;
    never in the element of an add-on's price (a warranty extension, an insurance)."""
    text = nodes[i]["text"]
    amount = text[start:end]
    if _ADDON_HINT.search(node_hints(nodes[i])):
        return False  # a warranty extension's or an insurance's price
    if len(text) > RUNNING_TEXT:
        return currency_beside(text, start, end) is not None
    return (
        _currency_near(nodes, i)
        or bool(re.search(r"[.,](?:\d\d|[-\u2013])$", amount))
        or bool(PRICE_HINT.search(node_hints(nodes[i])))
    )


def element_steps(xpath: str) -> list[str]:
    """The steps of a text node's element XPath (without `/text()[k]`)."""
    steps = xpath.split("/")
    return steps[:-1] if steps[-1].startswith("text()") else steps


def _near_relatives(a: Node, b: Node) -> bool:
    """Elements at most two levels below a common ancestor (a price's parts)."""
    x, y = element_steps(a["xpath"]), element_steps(b["xpath"])
    common = 0
    while common < min(len(x), len(y)) and x[common] == y[common]:
        common += 1
    return len(x) - common <= 2 and len(y) - common <= 2


def split_amount(nodes: Sequence[Node], i: int) -> tuple[int, int, str] | None:
    """An amount split over node i and the nodes after it (`€210,` + `87`,
    `<span>210</span><sup>87</sup>`, `€ 4` + `,32`, `299,` + `–`, `150` + `,` + `85`): (start,
    end) of its integer part in node i, and the whole amount."""
    found = _split(nodes, i)
    return None if found is None else found[:3]


def _split(nodes: Sequence[Node], i: int) -> tuple[int, int, str, int] | None:
    """`split_amount`, and the last node the amount covers (its cents, or its dash)."""
    last, between = i + 1, ""
    if last < len(nodes) and nodes[last]["text"].strip() in (".", ","):  # `150` `,` `85`
        last, between = i + 2, nodes[last]["text"].strip()
    if last >= len(nodes):
        return None
    tail = _SPLIT_TAIL.match(nodes[last]["text"])  # the cheapest test first: most nodes fail it
    if tail is None:
        return None
    head = _strip_currency(nodes[i]["text"], at_end=True)
    sep = head[-1] if head[-1:] in (".", ",") else ""
    head = head[: len(head) - len(sep)]
    match = next((m for m in _AMOUNT.finditer(head) if m.end() == len(head)), None)
    if match is None or _strip_currency(nodes[last]["text"][tail.end() :], False):
        return None
    if not _near_relatives(nodes[i], nodes[last]):
        return None
    if sum(bool(s) for s in (sep, between, tail.group(1))) > 1:  # `4,` + `,32`
        return None
    whole, cents, sep = match.group(), tail.group(2), sep or between or tail.group(1)
    if re.search(r"[.,]\d{1,2}$", whole) or not (sep or cents.isdigit()):
        return None
    if not cents.isdigit():
        return match.start(), match.end(), whole, last
    return match.start(), match.end(), whole + (sep or ("," if "." in whole else ".")) + cents, last


def joined_split(nodes: Sequence[Node], i: int, start: int) -> tuple[int, int, int, str] | None:
    """For a price span from `start` in node i that holds part of an amount split over nodes
    (its integer part, its separator or its cents): (node, start, end, amount) of all of it."""
    here = split_amount(nodes, i)
    if here is not None and start < here[1]:
        return i, *here
    for first in (i - 1, i - 2):
        before = _split(nodes, first) if first >= 0 else None
        if before is not None and before[3] >= i:
            return first, *before[:3]
    return None


def repeated_blocks(xpaths: Sequence[str]) -> set[str]:
    """The XPaths that sit in a block repeated at least 3 times (a carousel or a product list):
    equal to two others but for the index of one ancestor element."""
    groups: dict[tuple[str, str], dict[str, list[str]]] = {}
    for xpath in set(xpaths):
        steps = element_steps(xpath)
        for j in range(1, len(steps) - 1):  # an ancestor, not the node's own element
            match = _STEP.match(steps[j])
            if match is None:
                continue
            key = ("/".join([*steps[:j], match.group(1)]), "/".join(steps[j + 1 :]))
            groups.setdefault(key, {}).setdefault(match.group(2) or "1", []).append(xpath)
    found: set[str] = set()
    for members in groups.values():
        if len(members) >= 3:
            found.update(x for xs in members.values() for x in xs)
    return found


def price_blocks(nodes: Sequence[Node], price_nodes: Sequence[int] = ()) -> set[str]:
    """`repeated_blocks` of the nodes that show an amount (with a currency nearby or in a price
    element) and of `price_nodes` (the model's price spans), and the nodes of blocks titled as
    other products (`titled_blocks`): the XPaths of a page's product lists and carousels."""
    xpaths = [nodes[i]["xpath"] for i in price_nodes]
    for i, node in enumerate(nodes):
        if _AMOUNT.search(node["text"]) and (
            _currency_near(nodes, i) or PRICE_HINT.search(node_hints(node))
        ):
            xpaths.append(node["xpath"])
    return repeated_blocks(xpaths) | titled_blocks(nodes)


def _under(node: Node, prefix: str) -> bool:
    return node["xpath"].startswith(prefix + "/") or node["xpath"] == prefix


def titled_blocks(nodes: Sequence[Node]) -> set[str]:
    """The XPaths of the nodes in blocks that a title names as other products ("Related
    products", "Kunden kauften auch", "Vous aimerez aussi"...): the largest element that starts
    with the title and holds no `<h1>`."""
    found: set[str] = set()
    for h, node in enumerate(nodes):
        text = node["text"]
        if len(text) > _MAX_TITLE or not _CAROUSEL_TITLE.match(text.strip()):
            continue
        steps = element_steps(node["xpath"])
        block = None
        for depth in range(len(steps) - 1, 3, -1):  # the title's parent up to below <body>
            prefix = "/".join(steps[:depth])
            if h > 0 and _under(nodes[h - 1], prefix):
                break  # the element holds something before the title: not the block's own
            block = prefix
        if block is None:
            continue
        members = []
        for other in nodes[h:]:
            if not _under(other, block):
                break
            members.append(other)
        if not any(m["tag"] == "h1" for m in members):
            found.update(m["xpath"] for m in members)
    return found


def in_carousel(node: Node, repeated: set[str]) -> bool:
    """Whether a node sits in a carousel: in `repeated` (`price_blocks`) or in an element whose
    class/id names one (`related`, `slider`, ...)."""
    return node["xpath"] in repeated or bool(_CAROUSEL_HINT.search(node_hints(node)))


def _is_old(nodes: Sequence[Node], i: int) -> bool:
    """A struck-through or former price: by tag, class/id, or a label node just before it."""
    node = nodes[i]
    before = nodes[i - 1]["text"] if i > 0 else ""
    return (
        node["tag"] in _OLD_TAGS
        or bool(OLD_PRICE_HINT.search(node_hints(node)))
        or bool(_OLD_LABEL.fullmatch(before.strip()))
    )


def lone_amount(nodes: Sequence[Node], i: int) -> tuple[int, int, str] | None:
    """The amount of a node that is a price on its own (`227,70 €`, `£229.00 (inc VAT)`, a price
    split over it and the next node): (start, end, amount), else None."""
    text = nodes[i]["text"]
    if nodes[i]["tag"] == "option":
        return None
    split = split_amount(nodes, i)
    amounts = list(_AMOUNT.finditer(text))
    if split is not None:
        start, end, amount = split
    elif len(amounts) == 1:
        start, end, amount = amounts[0].start(), amounts[0].end(), amounts[0].group()
    else:
        return None
    rest = _strip_currency(text[:start], True) + " " + _strip_currency(text[end:], False)
    if sum(ch.isalpha() for ch in rest) > _MAX_LONE_LETTERS or no_price(text, start, end):
        return None
    if _in_word(text, start, end):
        return None
    return start, end, amount


def _in_word(text: str, start: int, end: int) -> bool:
    """Whether an amount's digits are part of a longer word that is no currency (`I800641005`,
    a code), not an amount of their own (`€99`, `99EUR`)."""
    first, last = start, end
    while first > 0 and text[first - 1].isalnum():
        first -= 1
    while last < len(text) and text[last].isalnum():
        last += 1
    glued = text[first:start] + " " + text[end:last]
    return bool(glued.strip()) and not all(_is_currency(part) for part in glued.split())


def fallback_price(nodes: Sequence[Node], anchors: Sequence[int]) -> PriceSpan | None:
    """A price when the model gives no usable one: the node near the product name (`anchors`)
    that is a price on its own, with a currency or in a price element; not in a carousel, not a
    former price.

    Evidence (a price element, a `Price:` label, a heading) ranks the nodes, then nearness; the
    confidence is 0.5 plus 0.05 per piece of evidence (a currency counts).
    """
    found = [(i, span) for i in range(len(nodes)) if (span := lone_amount(nodes, i))]
    repeated = price_blocks(nodes)
    old = {parse_price(span[2]) for i, span in found if _is_old(nodes, i)}
    best: tuple[tuple[int, int], PriceSpan] | None = None
    for i, (start, end, amount) in found:
        distances = [
            i - a if i >= a else _FALLBACK_AFTER * (a - i) // _FALLBACK_BEFORE for a in anchors
        ]
        if not distances or min(distances) > _FALLBACK_AFTER:
            continue
        if _is_old(nodes, i) or parse_price(amount) in old or in_carousel(nodes[i], repeated):
            continue
        if _ADDON_HINT.search(node_hints(nodes[i])) or vat_label(nodes, i, start, end) == "excl":
            continue  # an add-on's price; one labelled without VAT (the page puts the other first)
        before = nodes[i - 1]["text"].strip() if i > 0 else ""
        evidence = [
            _currency_near(nodes, i),
            bool(PRICE_HINT.search(node_hints(nodes[i]))),
            bool(_PRICE_LABEL.fullmatch(before)),
            nodes[i]["tag"] in _HEADINGS,
        ]
        if not (evidence[0] or evidence[1]):
            continue
        rank = (sum(evidence[1:]), -min(distances))
        if best is None or rank > best[0]:
            best = (rank, PriceSpan(i, start, end, amount, 0.5 + 0.05 * sum(evidence)))
    return best[1] if best else None


# --- prices with and without VAT ---------------------------------------------------------------

_TAX = (
    r"(?:mwst|mehrwertsteuer|ust|vat|tax(?:es)?|tva|iva|btw|moms|mva|alv|dph|gst|fpa|áfa|ddv|pdv"
    r"|kdv|ндс)"
)
#: Words between "inkl." and the tax's name ("inkl. 19 % gesetzl. MwSt.", "incl. the VAT").
_TAX_FILLER = r"(?:(?:\d+(?:[.,]\d+)?\s*%|der|des|die|the|ges\w*|gültigen|applicable|local)\.?\s*)*"
#: An amount including VAT: "inkl. MwSt.", "incl. VAT", "TTC", "IVA incluida", "brutto".
_VAT_INCL = re.compile(
    rf"(?<![^\W\d_])(?:inkl|incl|inc|including|inclusive|inklusive|einschl\w*|con|avec|mit|med|s"
    rf"|with)\.?\s*{_TAX_FILLER}{_TAX}(?![^\W\d_])"
    rf"|{_TAX}\.?\s*(?:incl|inkl|included|inclusa|incluida|incluido|incluse|comprise|inbegrepen"
    rf"|inkluderet|inkluderad|inkludert)|(?<![^\W\d_])(?:ttc|brutto)(?![^\W\d_])",
    re.I,
)
#: An amount without VAT: "zzgl. MwSt.", "excl. VAT", "HT", "+ IVA", "netto", "bez DPH".
_VAT_EXCL = re.compile(
    rf"(?<![^\W\d_])(?:exkl|excl|exc|ex|excluding|exclusive|exklusive|zzgl|zuzügl\w*|ohne|plus"
    rf"|hors|sin|senza|bez|ekskl|utan|uden|без)\.?\s*{_TAX_FILLER}{_TAX}(?![^\W\d_])"
    rf"|\+\s*{_TAX}(?![^\W\d_])|{_TAX}\.?\s*(?:excl|exkl|esclusa|excluida|excluido|exclue)"
    rf"|(?<![^\W\d_])(?:ht|netto)(?![^\W\d_])",
    re.I,
)
#: VAT rates of the shops' countries: a gross amount is a net one times (1 + one of them).
VAT_RATES = (0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17, 0.18, 0.19,
             0.2, 0.21, 0.22, 0.23, 0.24, 0.25, 0.255, 0.27)  # fmt: skip
#: What makes an amount the page's second price: a small or muted element, a note.
_SECONDARY_HINT = re.compile(
    r"small|klein|hint|note|muted|secondary|subtle|light|gr[ae]y|netto|net-?price|excl|without"
    r"|legal|footnote|sub-?price|price-?(?:net|excl|without)",
    re.I,
)
#: How far (in nodes) a price's VAT twin may stand.
_VAT_WINDOW = 12


def _label_text(text: str, start: int, end: int) -> tuple[str, str]:
    """The text around an amount up to the amounts beside it (a rate like `19 %` is no amount)."""
    others = [m for m in _AMOUNT.finditer(text) if not re.match(r"\s*%", text[m.end() :])]
    before_start = max((m.end() for m in others if m.end() <= start), default=0)
    after_end = min((m.start() for m in others if m.start() >= end), default=len(text))
    return text[before_start:start][-40:], text[end:after_end][:40]


def _vat_of(text: str) -> str | None:
    excl, incl = _VAT_EXCL.search(text), _VAT_INCL.search(text)
    if excl and (not incl or excl.start() <= incl.start()):
        return "excl"
    return "incl" if incl else None


def _has_amount(text: str) -> bool:
    return any(not re.match(r"\s*%", text[m.end() :]) for m in _AMOUNT.finditer(text))


def vat_label(nodes: Sequence[Node], i: int, start: int, end: int) -> str | None:
    """Whether the page says the amount `nodes[i]["text"][start:end]` includes VAT ("incl") or
    excludes it ("excl"): words after or before it in its node, else in the short node just
    after or before it (`<b>167,00 €</b><p>inkl. 19% MwSt.</p>`); None when it says neither."""
    before, after = _label_text(nodes[i]["text"], start, end)
    for text in (after, before):
        found = _vat_of(text)
        if found:
            return found
    for j in (i + 1, i - 1):
        if not 0 <= j < len(nodes) or len(nodes[j]["text"]) > 60:
            continue
        if _near_relatives(nodes[i], nodes[j]) and not _has_amount(nodes[j]["text"]):
            found = _vat_of(nodes[j]["text"])
            if found:
                return found
    return None


def vat_twins(gross: float, net: float) -> bool:
    """Whether `gross` is `net` plus one of the `VAT_RATES` (to the cent, either one rounded)."""
    if not 0 < net < gross:
        return False
    return any(abs(gross - net * (1 + rate)) <= 0.011 * (1 + rate) for rate in VAT_RATES)


def secondary_price(nodes: Sequence[Node], i: int, start: int, end: int) -> bool:
    """Whether an amount is shown as the page's second price: in parentheses, in a `<small>`
    element, or in an element whose class names a note, a muted or a net price."""
    text = nodes[i]["text"]
    before, after = text[:start], text[end:]
    bracketed = before.count("(") > before.count(")") and ")" in after
    return (
        bracketed
        or nodes[i]["tag"] == "small"
        or bool(_SECONDARY_HINT.search(node_hints(nodes[i])))
    )


class VatTwin(NamedTuple):
    """The same price with or without VAT, shown near another one: where, the amount, its label."""

    node: int
    start: int
    end: int
    amount: float
    label: str | None


def vat_twin(nodes: Sequence[Node], i: int, start: int, end: int) -> VatTwin | None:
    """The amount near the price at `nodes[i]["text"][start:end]` that is the same price with
    VAT added or taken away (a rate of `VAT_RATES`), where the page labels one of the two
    ("inkl. MwSt.", "exkl. USt", "HT") and not both the same way; the nearest, else None."""
    price = parse_price(nodes[i]["text"][start:end])
    if price is None:
        return None
    label = vat_label(nodes, i, start, end)
    best: tuple[int, VatTwin] | None = None
    for j in range(max(0, i - _VAT_WINDOW), min(len(nodes), i + _VAT_WINDOW + 1)):
        text = nodes[j]["text"]
        if len(text) > RUNNING_TEXT or _is_old(nodes, j):
            continue
        for match in _AMOUNT.finditer(text):
            if j == i and match.start() < end and start < match.end():
                continue
            other = parse_price(match.group())
            if other is None or no_price(text, match.start(), match.end()):
                continue
            a, b = float(price), float(other)
            if not (vat_twins(a, b) or vat_twins(b, a)):
                continue
            their = vat_label(nodes, j, match.start(), match.end())
            if (label is None and their is None) or label == their:
                continue
            twin = VatTwin(j, match.start(), match.end(), b, their)
            if best is None or abs(j - i) < best[0]:
                best = (abs(j - i), twin)
    return best[1] if best else None


def find_amount(
    nodes: Sequence[Node], amount: Decimal, anchor: int | None = None
) -> tuple[int, int, int] | None:
    """Where the page shows an amount as a price (not a share, a unit price, an instalment...):
    (node, start, end) of the occurrence nearest after `anchor` (before it counts double)."""
    best: tuple[int, tuple[int, int, int]] | None = None
    for i, node in enumerate(nodes):
        text = node["text"]
        if len(text) > RUNNING_TEXT or not _DIGIT.search(text):
            continue
        for match in _AMOUNT.finditer(text):
            if parse_price(match.group()) != amount or no_price(text, match.start(), match.end()):
                continue
            gap = 0 if anchor is None else (i - anchor if i >= anchor else 2 * (anchor - i))
            if best is None or gap < best[0]:
                best = (gap, (i, match.start(), match.end()))
    return best[1] if best else None


def _forward_rank(nodes: Sequence[Node], i: int, start: int, end: int) -> tuple[bool, bool]:
    """How a price is shown, most forward first: not a second price, emphasised (a heading,
    bold, a price element)."""
    emphasised = nodes[i]["tag"] in _HEADINGS | {"strong", "b"} or bool(
        PRICE_HINT.search(node_hints(nodes[i]))
    )
    return secondary_price(nodes, i, start, end), not emphasised


def put_forward(nodes: Sequence[Node], i: int, start: int, end: int, twin: VatTwin) -> bool:
    """Whether the page puts its VAT twin forward rather than the price at `i`: the twin is not
    a second price (in parentheses, small, a note) where the price is, or is as plain and shown
    more emphatically, or first."""
    ours = (*_forward_rank(nodes, i, start, end), (i, start))
    theirs = (*_forward_rank(nodes, twin.node, twin.start, twin.end), (twin.node, twin.start))
    return theirs < ours
