"""Labelled rows: "Art.-Nr.", "EAN", "Hersteller", "Marke"... name the value beside them.

One table (`ROW_LABELS`) maps the labels shops print in specification tables, definition lists
and "Label: value" lines to the attribute they name (sku, mpn, gtin, brand). `labelled_rows`
reads a page's rows from its text nodes in document order, where every layout puts the value
right after its label:

- a table row `<tr><th>EAN</th><td>4711121603488</td></tr>` (label and value in sibling cells),
- a definition list `<dt>Marke</dt><dd>Acer</dd>`,
- a label element and a value element side by side (`<li><b>SKU:</b> <span>A-1</span></li>`),
- "Label: value" in one node (`Art.-Nr.: SM-PRO-3`, `Item # 12345`).

The value matcher prefers an occurrence of an identifier or brand that stands in such a row, and
fusion reads an attribute that neither the model nor the markup gives from it (`row_values`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from extractor.page.dom import Node
from extractor.values.normalize.identifiers import normalize_gtin
from extractor.values.normalize.text import normalize_text

#: Labels per attribute, in lower case; "." and "-" in a label are optional, a space is any run
#: of spaces (so "Art.-Nr.", "Art. Nr.", "Art-Nr" and "ArtNr" all read as one label).
ROW_LABELS: dict[str, tuple[str, ...]] = {
    "gtin": (
        "ean", "ean13", "ean 13", "ean8", "ean code", "eancode", "ean nummer", "ean nr", "gtin",
        "gtin13", "gtin 13", "gtin14", "gtin8", "upc", "upc code", "isbn", "isbn13", "isbn 13",
        "barcode", "bar code", "jan", "jan code", "janコード", "code barre", "code barres",
        "code ean", "código ean", "código de barras", "codice ean", "codice a barre",
        "streepjescode", "kod ean", "ean kod", "ean kód", "european article number",
    ),
    "mpn": (
        "mpn", "model", "model no", "model nr", "model number", "model #", "model code",
        "modell", "modellnummer", "modellnr", "modell nr", "modelo", "modèle", "modello",
        "modelnummer", "hersteller nr", "herstellernummer", "hersteller artikelnummer",
        "herstellerartikelnummer", "hersteller art nr", "herst nr", "hst nr", "mfr part number",
        "mfr part no", "mfr part #", "mfr #", "mfr no", "mfg part number",
        "manufacturer part number",
        "manufacturer part no", "manufacturer sku", "part number", "part no", "part #",
        "référence fabricant", "réf fabricant", "ref fabricant", "numéro de pièce",
        "referencia del fabricante", "ref fabricante", "número de pieza", "número de parte",
        "codice produttore", "numero parte", "codice articolo produttore", "fabrikantnummer",
        "fabrikantcode", "onderdeelnummer", "kod producenta", "numer części", "symbol producenta",
        "tillverkarens artikelnummer", "producentens varenummer", "výrobní číslo",
        "katalogové číslo", "型番", "品番", "型号", "製品型番", "メーカー型番",
    ),
    "sku": (
        "sku", "art nr", "artnr", "artikel nr", "artikelnr", "artikelnummer", "art nummer",
        "artikelcode", "bestellnummer", "bestell nr", "best nr", "bestellnr",
        "produktnummer", "produkt nr", "item #", "item no", "item nr", "item number",
        "item code", "item id", "product code", "product no", "product number", "product id",
        "product #", "style #", "style no", "style number", "stock code", "stock number",
        "catalog number", "catalogue number", "cat no", "référence", "ref", "réf",
        "référence produit",
        "code article", "code produit", "n° d'article", "numéro d'article", "referencia",
        "código", "código de producto", "código del producto", "ref producto", "codice",
        "codice articolo", "codice prodotto", "cod articolo", "cod", "artikelnummer",
        "productcode", "kod produktu", "numer produktu", "indeks", "nr katalogowy", "varenummer",
        "varenr", "varunummer", "kód produktu", "kód", "商品コード", "商品番号", "商品编号",
        "商品編號", "货号", "貨號",
    ),
    "brand": (
        "brand", "brand name", "marke", "hersteller", "manufacturer", "make", "fabricant",
        "marque", "marca", "fabricante", "produttore", "merk", "fabrikant", "marka",
        "producent", "märke", "tillverkare", "mærke", "producent", "merke", "produsent",
        "výrobce", "značka", "výrobca", "メーカー", "ブランド", "品牌", "制造商", "製造商", "厂商",
    ),
}  # fmt: skip


def label_key(text: str) -> str:
    """A label's comparison form: case-folded, without ".", "-", "_" and ":", spaces collapsed."""
    folded = normalize_text(text).casefold()
    folded = re.sub(r"[.\-_:：\u2013]+", " ", folded)
    return re.sub(r"\s+", " ", folded).strip()


_ATTRIBUTE_OF: dict[str, str] = {
    label_key(label): attribute for attribute, labels in ROW_LABELS.items() for label in labels
}
#: Label words that go with a colon or "#" in one node: "SKU: 123", "Item # 45", "EAN 400...".
_INLINE = re.compile(
    "(?<![^\\W_])("
    + "|".join(
        sorted(
            (re.escape(label).replace(r"\ ", "[\\s.\\-]*") for label in _ATTRIBUTE_OF),
            key=len,
            reverse=True,
        )
    ).replace("\\#", "#")
    + r")[\s.]*(?:([:：#]|n[o°º]\.?)\s*(?=\S)|\s+(?=[^\W_]*\d))",
    re.IGNORECASE,
)
#: What an inline row needs after its label: a colon, "#", "No" or a code with a digit.
_INLINE_HINT = re.compile(r"[:：#\d]|\bn[o°º]\b", re.I)
#: A node that holds nothing but a label (and a colon).
_MAX_LABEL = 40
#: A value longer than this is not an identifier or a brand.
_MAX_VALUE = 60
#: An identifier without digits: capitals and separators (`ABC-XL`).
_CODE = re.compile(r"^[A-Z][A-Z\-_/.]{2,}$")
#: Words between a brand label and the brand ("by Acme").
_BY = frozenset({"by", "von", "par", "de", "di", "door", "av", "af", "od", "from"})
_CHROME = re.compile(r"/(?:nav|footer|header)(?:\[\d+\])?(?:/|$)")
_TEXT_STEP = re.compile(r"/text\(\)\[\d+\]$")


@dataclass(frozen=True)
class RowValue:
    """A value that a labelled row shows: which attribute its label names, and where it is."""

    attribute: str
    #: the label as shown
    label: str
    #: the value as shown
    value: str
    #: the text node that shows the value, and the value's span in it
    node: int
    start: int
    end: int


def label_attribute(text: str) -> str | None:
    """The attribute a label names ("Art.-Nr.:" -> sku, "Marke" -> brand), else None."""
    if len(text) > _MAX_LABEL:
        return None
    return _label_attribute(text)


@lru_cache(maxsize=65536)
def _label_attribute(text: str) -> str | None:
    # A store's pages repeat their menus and labels: most texts were seen before.
    return _ATTRIBUTE_OF.get(label_key(text))


def _element(xpath: str) -> list[str]:
    return _TEXT_STEP.sub("", xpath).split("/")


def _side_by_side(a: Node, b: Node) -> bool:
    """Label and value in one row: elements at most three levels below a common ancestor."""
    x, y = _element(a["xpath"]), _element(b["xpath"])
    common = 0
    while common < min(len(x), len(y)) and x[common] == y[common]:
        common += 1
    return len(x) - common <= 3 and len(y) - common <= 3


def plausible_value(attribute: str, value: str) -> bool:
    """Whether a row's text can be the attribute's value: a GTIN with a valid check digit, an
    identifier of at most four words with a letter or digit, a brand of at most six words."""
    text = normalize_text(value)
    if not text or len(text) > _MAX_VALUE or not re.search(r"[^\W_]", text):
        return False
    if attribute == "gtin":
        return normalize_gtin(text) is not None
    if label_attribute(text) is not None:
        return False  # another label: an empty row
    words = len(text.split())
    if attribute in ("sku", "mpn"):
        return words <= 4 and bool(re.search(r"\d", text) or _CODE.match(text))
    return words <= 6


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without surrounding spaces and punctuation (`(`, `,`, `;`)."""
    while start < end and (text[start].isspace() or text[start] in "([,;:#"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ")],;:."):
        end -= 1
    return start, end


def labelled_rows(nodes: Sequence[Node]) -> list[RowValue]:
    """Every labelled row of the page outside navigation, headers and footers, in document
    order: a label node with the value node beside it, or "Label: value" in one node."""
    found: list[RowValue] = []
    for i, node in enumerate(nodes):
        text = node["text"]
        if _CHROME.search(node["xpath"]):
            continue
        attribute = label_attribute(text) if node["tag"] != "a" else None  # a link is no label
        if attribute is not None:
            j = i + 1
            if j + 1 < len(nodes) and nodes[j]["text"].casefold() in _BY:
                j += 1  # "Brand: by <a>Maker</a>"
            if j < len(nodes) and _side_by_side(node, nodes[j]):
                value = nodes[j]["text"]
                start, end = _trimmed(value, 0, len(value))
                if plausible_value(attribute, value[start:end]):
                    found.append(RowValue(attribute, text, value[start:end], j, start, end))
            continue
        if len(text) > 2 * _MAX_VALUE or not _INLINE_HINT.search(text):
            continue
        for match in _INLINE.finditer(text):
            attribute = label_attribute(match.group(1)) or ""
            if match.group(2) is None and attribute == "brand":
                continue  # "Marke" before a word without a colon is a sentence, not a row
            rest = text[match.end() :]
            # The value runs to the next label, a separator ("|", "·", ",") or the end.
            stop = re.search(r"\s[|·•/]\s|,\s|;\s|\s{2,}", rest)
            raw_end = match.end() + (stop.start() if stop else len(rest))
            nxt = _INLINE.search(text, match.end())
            if nxt is not None and nxt.start() < raw_end:
                raw_end = nxt.start()
            start, end = _trimmed(text, match.end(), raw_end)
            if match.group(2) is None:
                # Without a colon only a code follows its label: one word with a digit ("EAN 40..")
                end = start + len(text[start:end].split(" ", 1)[0])
                if end - start < 4 or not re.search(r"\d", text[start:end]):
                    continue
            if attribute and plausible_value(attribute, text[start:end]):
                found.append(RowValue(attribute, match.group(1), text[start:end], i, start, end))
    return found


def row_values(nodes: Sequence[Node], anchor: int | None = None) -> dict[str, RowValue]:
    """One value per attribute from the page's labelled rows: the row nearest after the
    product's name (`anchor`), else the first."""
    best: dict[str, RowValue] = {}
    for row in labelled_rows(nodes):
        current = best.get(row.attribute)
        if current is None or _rank(row, anchor) < _rank(current, anchor):
            best[row.attribute] = row
    return best


def _rank(row: RowValue, anchor: int | None) -> tuple[int, int]:
    if anchor is None:
        return (0, row.node)
    return (row.node < anchor, abs(row.node - anchor))
