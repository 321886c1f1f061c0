"""How a store's values write what its pages show: `1/2` for `½`, `-` for `–`, `'` for `’`.

A recipe plugin shows `½ cup` and `2 – 3 tablespoons` where the store's own values (its feed,
its annotations) say `1/2 cup` and `2 - 3 tablespoons`; a shop shows its images from a `large`
folder where its values give the `big` one, and its home page as an icon where its breadcrumbs
begin with `Home`; a note the page shows bare stands in brackets in
the store's ingredient lines. `learn_writing` reads from the support pages which typeset forms
the store's values write plainly and which edits its image URLs make, `Writing` writes
extracted values the same way, and `write_item` writes a list item from its nodes as the
store's items are written (`item_parts` of the wrapper learns how), so that the catalog reads
as the annotated values do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from extractor.page.dom import Node
from extractor.values.normalize.text import join_texts, text_key

#: How a store writes a list item's nodes, per kind of node (tag, class): the text its values
#: put before and after the node's text (`(`, `)` around a note the page shows bare)...
ItemParts = tuple[tuple[str, str, str, str], ...]
#: ...and the kinds of node its items leave out (a checkbox beside each ingredient).
ItemSkip = tuple[tuple[str, str], ...]

#: Families of typeset forms and their plain writing.
FORMS: dict[str, dict[str, str]] = {
    "fractions": {
        "½": "1/2",
        "⅓": "1/3",
        "⅔": "2/3",
        "¼": "1/4",
        "¾": "3/4",
        "⅕": "1/5",
        "⅙": "1/6",
        "⅛": "1/8",
        "⅜": "3/8",
        "⅝": "5/8",
        "⅞": "7/8",
        "⁄": "/",
    },
    "dashes": {"–": "-", "—": "-", "‒": "-", "−": "-"},
    "quotes": {"’": "'", "‘": "'", "′": "'", "“": '"', "”": '"', "″": '"', "„": '"'},
    "ellipsis": {"…": "..."},
}

#: The commas between the parts of a text (`Dinner, Main Course`) and the spaces around them.
_COMMA = re.compile(r"\s*,\s*")
#: A vulgar fraction after a whole number (`1½`, `1 ½`) is written `1 1/2`.
_FRACTION = re.compile(r"(\d)?(\s*)([½⅓⅔¼¾⅕⅙⅛⅜⅝⅞])")


def _write_form(family: str, text: str) -> str:
    forms = FORMS[family]
    if family == "fractions":
        text = _FRACTION.sub(
            lambda m: (f"{m[1]} " if m[1] else m[2]) + forms[m[3]],
            text,
        )
    for typeset, plain in forms.items():
        text = text.replace(typeset, plain)
    return text


#: A URL's tokens: separators and the runs between them.
_URL_TOKEN = re.compile(r"[/._-]|[^/._-]+")


def _pattern(chunk: str) -> str:
    """A regular expression for a chunk of a URL, any number where it has a number."""
    return re.sub(r"\d+", r"\\d+", re.escape(chunk))


def _neighbour(token: str) -> str:
    """What must stand beside an edit: the same token (a separator, `jpg`), or any token
    character where the token holds a number (the image's own name)."""
    return "[^/._-]" if re.search(r"\d", token) else re.escape(token)


def url_edits(shown: str, value: str) -> tuple[tuple[str, str], ...]:
    """The edits that turn the URL a page shows into the one the store's value gives: the
    size a thumbnail's name adds (`-675x900`), an extension a CDN appends (`.webp`), a size
    folder (`large` for `big`). Each is a pattern anchored by the tokens around it and its
    replacement; a change of a number (another image) or an insertion is no edit."""
    a, b = _URL_TOKEN.findall(shown), _URL_TOKEN.findall(value)
    edits = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        old, new = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "insert" or (op == "replace" and re.search(r"\d", old + new)):
            return ()
        before = f"(?<={_neighbour(a[i1 - 1])})" if i1 else "^"
        after = f"(?={_neighbour(a[i2])})" if i2 < len(a) else "$"
        edits.append((before + _pattern(old) + after, new))
    return tuple(edits)


@dataclass(frozen=True)
class Writing:
    """The families of typeset forms a store's values write plainly (none: as the page shows),
    the edits its image URLs make to the ones its pages show (`url_edits`), the attributes
    whose values join their parts otherwise than the page does (`Dinner,Main Course` where the
    page shows `Dinner, Main Course`): (attribute, separator) pairs, and the items a rooted
    list's values put before those its pages show (`Home` of a breadcrumb trail whose pages
    draw an icon): (attribute, items) pairs."""

    plain: tuple[str, ...] = ()
    urls: tuple[tuple[str, str], ...] = ()
    joins: tuple[tuple[str, str], ...] = ()
    leads: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def write_url(self, url: str) -> str:
        """An image URL as the store's values give it."""
        for pattern, replacement in self.urls:
            url = re.sub(pattern, replacement, url, count=1)
        return url

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "plain": list(self.plain),
            "urls": [list(edit) for edit in self.urls],
            "joins": [list(join) for join in self.joins],
            "leads": [[attribute, list(items)] for attribute, items in self.leads],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Writing:
        """Rebuild from `to_dict`'s output (nothing: as the page shows)."""
        data = data or {}
        urls = tuple((str(p), str(r)) for p, r in data.get("urls", ()))
        joins = tuple((str(a), str(j)) for a, j in data.get("joins", ()))
        leads = tuple((str(a), tuple(map(str, items))) for a, items in data.get("leads", ()))
        return cls(tuple(data.get("plain", ())), urls, joins, leads)

    def write(self, text: str) -> str:
        """A text as the store's values write it."""
        for family in self.plain:
            text = _write_form(family, text)
        return text

    def write_value(self, value: Any) -> Any:
        """A text or a list of texts as the store's values write them; other values unchanged."""
        if not self.plain:
            return value
        if isinstance(value, str):
            return self.write(value)
        if isinstance(value, list | tuple):
            return [self.write(v) if isinstance(v, str) else v for v in value]
        return value

    def write_as(self, value: Any, kind: str | None, attribute: str | None = None) -> Any:
        """A value of an attribute of type `kind` as the store's values write it: texts and
        lists by their typeset forms, a text's parts joined as the attribute's values join
        them, a rooted list led by the store's leading items, image URLs by their edits, other
        types unchanged."""
        if kind == "url" and isinstance(value, str):
            return self.write_url(value)
        if kind not in ("text", "list"):
            return value
        value = self.write_value(value)
        lead = dict(self.leads).get(attribute or "")
        if lead and kind == "list" and isinstance(value, list) and value:
            value = led_by(value, lead)
        join = dict(self.joins).get(attribute or "")
        if join is not None and kind == "text" and isinstance(value, str):
            value = _COMMA.sub(join, value)
        return value

    def write_values(self, values: dict[str, Any], kinds: Mapping[str, str]) -> None:
        """Write the values of a record in place (`kinds`: attribute -> type)."""
        for name, value in values.items():
            values[name] = self.write_as(value, kinds.get(name), name)


def led_by(items: list[Any], lead: Sequence[str]) -> list[Any]:
    """A list with the leading items its store's values put first, where it does not begin
    with them already: the part of `lead` that the list's first items repeat (the page shows
    `Home` after an unnamed root) is not put twice."""
    keys = [text_key(str(item)) for item in items]
    lead_keys = [text_key(item) for item in lead]
    start = next(s for s in range(len(lead) + 1) if keys[: len(lead) - s] == lead_keys[s:])
    return [*lead[:start], *items]


def node_role(node: Node) -> tuple[str, str]:
    """A node's kind, as item writing names it: its tag and class."""
    return node["tag"], (node.get("attrs") or {}).get("class", "")


def written_around(text: str, before: str, after: str) -> bool:
    """Whether a node's text already stands the way a decoration would write it."""
    return text.startswith(before.strip()) and text.endswith(after.strip())


def write_item(nodes: Sequence[Node], parts: ItemParts = (), skip: ItemSkip = ()) -> str:
    """One list item from the text nodes of its element, as the store's values write it: the
    kinds of node items leave out left out, the others decorated as `parts` say (`butter`
    `melted` -> `butter (melted)`) and joined as a reader writes them."""
    around = {(tag, cls): (before, after) for tag, cls, before, after in parts}
    left_out = set(skip)
    texts = []
    for node in nodes:
        if node_role(node) in left_out:
            continue
        text = node["text"].strip()
        before, after = around.get(node_role(node), ("", ""))
        if not written_around(text, before, after):
            text = f"{before}{text}{after}"
        texts.append(text)
    return join_texts(texts)


def _texts(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


def learn_writing(
    pairs: Iterable[tuple[Any, Any]],
    url_pairs: Iterable[tuple[str, str]] = (),
    text_pairs: Iterable[tuple[str, str, str]] = (),
    lead_pairs: Iterable[tuple[str, tuple[str, ...]]] = (),
) -> Writing:
    """The store's writing from `(what the page shows, the store's value)` pairs of its support:
    a family is written plainly when more of the values that the page typesets with it leave its
    forms out than keep them; image URLs are edited as the first pair whose URLs differ says,
    when its edits give every pair's value (a pair that shows its value unchanged included);
    an attribute's parts are joined otherwise (`text_pairs`: attribute, shown, value) when every
    support value of it whose page shows commas joins them so, and one differs from the page;
    a rooted list is led by the items its values name before the first one the page shows
    (`lead_pairs`: attribute, those items) when every support page that shows the list gives
    the same."""
    plain = []
    pairs = [(_texts(shown), _texts(value)) for shown, value in pairs]
    for family, forms in FORMS.items():
        written = kept = 0
        for shown, value in pairs:
            if not any(form in shown for form in forms):
                continue
            if any(form in value for form in forms):
                kept += 1
            elif any(plain in value for form, plain in forms.items() if form in shown):
                written += 1
        if written > kept:
            plain.append(family)
    url_pairs = list(url_pairs)
    edits = next(
        (e for shown, value in url_pairs if shown != value if (e := url_edits(shown, value))), ()
    )
    urls = Writing(urls=edits)
    if not all(urls.write_url(shown) == value for shown, value in url_pairs):
        edits = ()
    return Writing(tuple(plain), edits, _joins(text_pairs), _leads(lead_pairs))


def _agreed(pairs: Iterable[tuple[str, Any]]) -> tuple[tuple[str, Any], ...]:
    """Per attribute, the one value every support page gives it, where that is one and says
    something (not None, not empty)."""
    seen: dict[str, set[Any]] = {}
    for attribute, value in pairs:
        seen.setdefault(attribute, set()).add(value)
    return tuple(
        (attribute, value)
        for attribute, values in seen.items()
        if len(values) == 1
        for value in values
        if value
    )


def _leads(
    lead_pairs: Iterable[tuple[str, tuple[str, ...]]],
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return _agreed((attribute, tuple(lead)) for attribute, lead in lead_pairs)


def _joins(text_pairs: Iterable[tuple[str, str, str]]) -> tuple[tuple[str, str], ...]:
    def join_of(shown: str, value: str) -> str | None:
        if shown == value:
            return None
        return next((j for j in (",", ", ") if _COMMA.sub(j, shown) == value), None)

    return _agreed(
        (attribute, join_of(shown, value)) for attribute, shown, value in text_pairs if "," in shown
    )
