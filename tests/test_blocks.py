"""The block a text node stands in: paragraphs that links split, and the attributes whose
annotated values are whole blocks."""

from __future__ import annotations

from extractor.page.blocks import (
    ListEnds,
    block_path,
    block_range,
    block_text,
    item_path,
    list_ends,
    whole_block_attributes,
)
from extractor.page.dom import text_nodes

PAGE = """<html><body><h1>Strawberry <em>buckle</em></h1>
<p class="lead">This easy <a href="/b">strawberry buckle</a> is an old-fashioned dessert.</p>
<p class="byline">By <a href="/jane">Jane Doe</a></p>
<ul><li>Heat the <strong>oven</strong>.</li><li>Bake.</li></ul>
</body></html>"""


def _spans(nodes, attribute_texts):  # {attribute: [node texts]} -> whole-node spans
    by_text = {n["text"]: n for n in nodes}
    return {
        a: [{"xpath": by_text[t]["xpath"], "start": 0, "end": len(t), "text": t} for t in texts]
        for a, texts in attribute_texts.items()
    }


def test_a_paragraph_split_by_a_link_is_one_block() -> None:
    nodes = text_nodes(PAGE)
    texts = [n["text"] for n in nodes]
    link = texts.index("strawberry buckle")
    assert block_path(nodes[link]["xpath"]) == "/html/body/p[1]"
    first, last = block_range(nodes, link)
    assert texts[first : last + 1] == [
        "This easy",
        "strawberry buckle",
        "is an old-fashioned dessert.",
    ]
    assert (
        block_text(nodes, first, last) == "This easy strawberry buckle is an old-fashioned dessert."
    )
    step = texts.index("oven")
    assert block_text(nodes, *block_range(nodes, step)) == "Heat the oven."
    assert item_path(nodes[step]["xpath"]) == "/html/body/ul/li[1]"
    assert item_path(nodes[link]["xpath"]) is None


def test_whole_block_attributes_are_those_whose_values_fill_their_block() -> None:
    """The description fills its paragraph; the author is the link of `By Jane Doe`, a part of
    its block; the name fills its heading but is no prose (a short value's block may hold its
    label on another page)."""
    nodes = text_nodes(PAGE)
    marked = _spans(
        nodes,
        {
            "description": ["This easy", "strawberry buckle", "is an old-fashioned dessert."],
            "name": ["Strawberry", "buckle"],
            "author": ["Jane Doe"],
        },
    )
    found = whole_block_attributes([nodes], [marked], ["description", "name", "author"])
    assert found == {"description"}
    # one page where the value is a part of its block is enough to say it is not
    part = _spans(nodes, {"description": ["is an old-fashioned dessert."]})
    assert whole_block_attributes([nodes, nodes], [marked, part], ["description"]) == set()


CRUMBS = """<html><body><nav><ul class="crumbs"><li><a href="/">Back</a></li>{items}</ul></nav>
<ul class="menu"><li><a href="/a">Sale</a></li><li><a href="/b">Outlet</a></li></ul>
</body></html>"""


def _crumbs(links: list[str], last: str) -> str:
    items = "".join(f'<li><a href="/{i}">{t}</a></li>' for i, t in enumerate(links))
    return CRUMBS.format(items=f"{items}<li><span>{last}</span></li>")


def test_list_ends_say_whether_the_annotated_lists_run_to_their_list_s_ends() -> None:
    """A breadcrumb annotated from its first crumb (after the `Back` link) to the last one, the
    product's own (a `<span>`, no link): not from the list's first item element, to its last,
    on every support page; the longest list has five crumbs. Items in two lists, or outside
    item elements, give none; an attribute not asked for gives none."""
    first = text_nodes(_crumbs(["Home", "Men", "Shoes"], "Runner 2"))
    second = text_nodes(_crumbs(["Home", "Women", "Accessories", "Hats"], "Cap 7"))
    marked = [
        _spans(first, {"breadcrumb": ["Home", "Men", "Shoes", "Runner 2"]}),
        _spans(second, {"breadcrumb": ["Home", "Women", "Accessories", "Hats", "Cap 7"]}),
    ]
    assert list_ends([first, second], marked, ["breadcrumb"]) == {
        "breadcrumb": ListEnds(start=False, end=True, longest=5)
    }
    assert list_ends([first, second], marked, ["ingredients"]) == {}
    # a page whose value stops short of the last crumb: no end either, so nothing to read to
    short = _spans(second, {"breadcrumb": ["Home", "Women", "Accessories"]})
    assert list_ends([first, second], [marked[0], short], ["breadcrumb"]) == {}
    # items in two lists (a crumb and a menu entry) are no list of the store
    mixed = _spans(first, {"breadcrumb": ["Home", "Men", "Outlet"]})
    assert list_ends([first], [mixed], ["breadcrumb"]) == {}
    # from the `Back` link on: the list's first item element
    whole = _spans(first, {"breadcrumb": ["Back", "Home", "Men", "Shoes", "Runner 2"]})
    assert list_ends([first], [whole], ["breadcrumb"])["breadcrumb"].start
