"""The block a text node stands in: paragraphs that links split, and the attributes whose
annotated values are whole blocks."""

from __future__ import annotations

from extractor.page.blocks import (
    block_path,
    block_range,
    block_text,
    item_path,
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
