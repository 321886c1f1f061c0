"""Wrapper induction: XPath rules learnt from support pages extract the other pages' values."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.adapt.wrapper import candidate_paths, induce, literal
from extractor.values.equality import values_equal
from metatrain.methods import example, wrapper_page
from metatrain.synthetic import write_stores
from metatrain.tasks import annotate, group_by_site, read_labels


def _accuracy(site_pages: list, k: int, attributes: tuple[str, ...]) -> dict[str, float]:
    support = [annotate(p) for p in site_pages[:k]]
    wrapper = induce([example(a) for a in support])
    right = dict.fromkeys(attributes, 0)
    total = dict.fromkeys(attributes, 0)
    for page in site_pages[k:]:
        # the query page, not its labels
        prediction, confidence = wrapper.read(wrapper_page(page.page))
        assert set(confidence) == set(prediction)
        for a in attributes:
            if a in page.labels:
                total[a] += 1
                right[a] += values_equal(
                    a, prediction.get(a), page.labels[a], page_url=page.page.url
                )
    return {a: right[a] / total[a] for a in attributes if total[a]}


def test_synthetic_store_from_three_pages(tmp_path: Path) -> None:
    tasks = group_by_site(read_labels(write_stores(tmp_path, stores=2, pages=8)))
    for task in tasks.values():
        attrs = ("name", "price", "currency", "availability", "brand", "sku", "image", "breadcrumb")
        scores = _accuracy(task.pages, 3, attrs + ("author",))
        assert all(v == 1.0 for v in scores.values()), scores
        if task.industry == "books":
            assert scores["author"] == 1.0  # an attribute no standard schema has


def test_one_page_is_enough_for_a_fixed_template(tmp_path: Path) -> None:
    task = next(
        iter(group_by_site(read_labels(write_stores(tmp_path, stores=1, pages=5))).values())
    )
    scores = _accuracy(task.pages, 1, ("name", "price", "sku"))
    assert scores == {"name": 1.0, "price": 1.0, "sku": 1.0}


def test_no_support_extracts_nothing(tmp_path: Path) -> None:
    task = next(
        iter(group_by_site(read_labels(write_stores(tmp_path, stores=1, pages=2))).values())
    )
    assert induce([]).read(wrapper_page(task.pages[0].page)) == ({}, {})


def test_candidate_paths_and_literals() -> None:
    import lxml.html

    root = lxml.html.fromstring(
        "<html><body><div id='p'><span class='price big'>1</span></div></body></html>"
    )
    span = root.xpath("//span")[0]
    paths = dict.fromkeys(family for family, _ in candidate_paths(span))
    assert list(paths) == ["absolute", "relaxed", "class", "id"]
    for _, xpath in candidate_paths(span):
        assert root.xpath(xpath)[0] is span
    assert literal("it's") == '"it\'s"'
    assert literal("a'b\"c") is None


@pytest.mark.parametrize("site", ["e-tec.at"])
def test_real_store_name_and_price_from_three_pages(realpages: Path, site: str) -> None:
    task = group_by_site(read_labels(realpages / "labels.jsonl"))[site]
    assert len(task) >= 5
    scores = _accuracy(task.pages, 3, ("name", "price"))
    assert scores == {"name": 1.0, "price": 1.0}


def _recipe_page(items: list[tuple[str, str, str, str]]) -> str:
    """A recipe card as a recipe plugin writes it: every ingredient an <li> of amount, unit,
    name and note spans after a checkbox; the note is shown bare (no brackets)."""
    lis = "".join(
        f'<li class="ingredient"><span class="check">▢</span> <span class="amount">{a}</span> '
        f'<span class="unit">{u}</span> <span class="name">{n}</span> '
        + (f'<span class="notes">{note}</span>' if note else "")
        + "</li>"
        for a, u, n, note in items
    )
    return f'<html><body><h1>Pie</h1><ul class="ingredients">{lis}</ul><p>Bake.</p></body></html>'


def _written(items: list[tuple[str, str, str, str]]) -> list[str]:
    """The ingredient lines as the site's own values write them: the note in brackets."""
    bracketed = [note if note.startswith("(") or not note else f"({note})" for *_, note in items]
    return [
        f"{a} {u} {n} {note}".strip() for (a, u, n, _), note in zip(items, bracketed, strict=True)
    ]


def test_a_list_of_items_over_several_nodes_read_whole_as_the_store_writes_them(
    tmp_path: Path,
) -> None:
    pages = {
        "1.html": [("2", "cups", "flour", ""), ("½", "cup", "butter", "melted"),
                   ("1", "tsp", "salt", ""), ("3", "tbsp", "jam", "(optional)")],
        "2.html": [("1", "cup", "sugar", "packed"), ("2", "cups", "apples", ""),
                   ("1", "pinch", "cinnamon", "(or nutmeg)")],
    }  # fmt: skip
    site = {
        name: (_recipe_page(items), {"name": "Pie", "ingredients": _written(items)})
        for name, items in pages.items()
    }
    first, second = _two_pages(tmp_path, "pie.example", site)
    wrapper = induce([example(annotate(first))])
    prediction, _ = wrapper.read(wrapper_page(second.page))
    # one item per line (not one string, not one per node), no checkbox, the note in brackets
    # as the support's values write it, and a note the page already brackets left as it is
    assert prediction["ingredients"] == _written(pages["2.html"])
    rule = wrapper.rules["ingredients"][0][0]
    assert (rule.mode, rule.kind) == ("items", "list")
    again = type(wrapper).from_dict(wrapper.to_dict(), wrapper.writing, wrapper.items_to_dict())
    assert again.rules == wrapper.rules and again.items == wrapper.items
    assert wrapper.items["ingredients"] == (rule.parts, rule.skip) != ((), ())


def test_notes_written_in_brackets_with_a_space_the_page_lost_still_teach_the_brackets(
    tmp_path: Path,
) -> None:
    """The site's values write one note `(peeled )`, with the space its text node had before
    the page's text was trimmed, and another `(melted)`: the same brackets, so the other
    page's notes are read in brackets too."""
    support = [("2", "cups", "apples", "peeled"), ("½", "cup", "butter", "melted"),
               ("1", "tsp", "salt", "")]  # fmt: skip
    query = [("1", "cup", "sugar", "packed"), ("2", "cups", "flour", "sifted")]
    values = _written(support)
    values[0] = "2 cups apples (peeled )"
    site = {
        "1.html": (_recipe_page(support), {"name": "Pie", "ingredients": values}),
        "2.html": (_recipe_page(query), {"name": "Pie", "ingredients": _written(query)}),
    }
    first, second = _two_pages(tmp_path, "pie.example", site)
    prediction, _ = induce([example(annotate(first))]).read(wrapper_page(second.page))
    assert prediction["ingredients"] == ["1 cup sugar (packed)", "2 cups flour (sifted)"]


def test_list_items_of_a_support_page_without_its_html_tree_give_no_parts() -> None:
    from extractor.adapt.wrapper import Example, PageView, WrapperPage, item_parts
    from extractor.page.dom import Node, NodeAttrs
    from extractor.values.matching import MatchResult

    attrs: NodeAttrs = {"class": "", "id": "", "itemprop": "", "aria-label": ""}
    nodes: list[Node] = [
        {"xpath": f"/html/body/ul/li[1]/span[{i + 1}]", "text": text, "tag": "span", "attrs": attrs}
        for i, text in enumerate(["2", "cups"])
    ]
    match = MatchResult()
    match.spans["ingredients"] = [
        {"xpath": n["xpath"], "start": 0, "end": len(n["text"]), "text": n["text"], "item": 0}
        for n in nodes
    ]
    page = Example(
        WrapperPage(nodes, None, "https://x.example/"), {"ingredients": ["2 cups"]}, match
    )
    assert item_parts("ingredients", [page], [PageView(page.page)]) == ((), ())


def _two_pages(tmp_path: Path, site: str, pages: dict[str, tuple[str, dict]]) -> list:
    """A store of two pages (`{file: (html, labels)}`), read as the evaluation reads it."""
    import json

    folder = tmp_path / "pages" / site
    folder.mkdir(parents=True)
    with (tmp_path / "labels.jsonl").open("w", encoding="utf-8") as out:
        for name, (html, labels) in pages.items():
            (folder / name).write_text(html, encoding="utf-8")
            row = {"site": site, "file": f"pages/{site}/{name}",
                   "url": f"https://{site}/{name}", "labels": labels}  # fmt: skip
            out.write(json.dumps(row) + "\n")
    return read_labels(tmp_path / "labels.jsonl")


def test_a_labelled_row_is_read_by_its_label_when_the_rows_change_places(tmp_path: Path) -> None:
    rows = {
        "1.html": [("Weight", "2 kg"), ("Origin", "Italy"), ("Colour", "Red")],
        "2.html": [("Origin", "Spain"), ("Colour", "Blue"), ("Weight", "500 g")],
    }
    pages = {}
    for name, table in rows.items():
        body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in table)
        html = (
            f"<html><body><h1>Item {name}</h1><table class='grid'><tbody>{body}</tbody>"
            "</table></body></html>"
        )
        pages[name] = (html, {"name": f"Item {name}", "origin": dict(table)["Origin"]})
    first, second = _two_pages(tmp_path, "specs.example", pages)
    wrapper = induce([example(annotate(first))])
    # the class's table and the second row read the support as well as the label does; the
    # label still holds where the rows change places
    assert wrapper.read(wrapper_page(second.page))[0]["origin"] == "Spain"
    assert wrapper.rules["origin"][0][0].family == "label"


def test_a_label_the_page_shows_first_elsewhere_gives_no_label_rule(tmp_path: Path) -> None:
    pages = {}
    for name, brand in {"1.html": "Helori", "2.html": "Acme"}.items():
        html = (
            "<html><body><nav><ul><li>Manufacturer</li><li>Helori</li></ul></nav>"
            f"<h1>Item {name}</h1><table class='grid'><tbody><tr><th>Manufacturer</th>"
            f"<td>{brand}</td></tr></tbody></table></body></html>"
        )
        pages[name] = (html, {"name": f"Item {name}", "brand": brand})
    first, second = _two_pages(tmp_path, "menu.example", pages)
    wrapper = induce([example(annotate(first))])
    # the menu's "Manufacturer" comes first and is followed by the support's brand by chance
    assert wrapper.read(wrapper_page(second.page))[0]["brand"] == "Acme"
    assert all(rule.family != "label" for rule, _ in wrapper.rules["brand"])


def test_the_store_writes_its_values_plainly_where_its_pages_typeset_them(
    tmp_path: Path,
) -> None:
    """The page shows `½ cup` and `2–3 eggs`, the store's values say `1/2 cup` and `2-3 eggs`:
    the wrapper learns the store's writing from one page, its list rule then reads the support
    (no rule did before), and the other page's items come out as the store writes them."""
    lines = {
        "1.html": (["½ cup sugar", "2–3 eggs", "1¼ cups flour"], ["1/2 cup sugar", "2-3 eggs",
                                                                 "1 1/4 cups flour"]),
        "2.html": (["¾ cup milk", "1–2 lemons"], ["3/4 cup milk", "1-2 lemons"]),
    }  # fmt: skip
    pages = {}
    for name, (shown, values) in lines.items():
        items = "".join(f"<li class='ing'>{line}</li>" for line in shown)
        html = f"<html><body><h1>Cake {name}</h1><ul class='ings'>{items}</ul></body></html>"
        pages[name] = (html, {"name": f"Cake {name}", "ingredients": values})
    first, second = _two_pages(tmp_path, "cakes.example", pages)
    wrapper = induce([example(annotate(first))])
    assert wrapper.writing.plain == ("fractions", "dashes")
    assert wrapper.read(wrapper_page(second.page))[0]["ingredients"] == [
        "3/4 cup milk",
        "1-2 lemons",
    ]


def test_a_list_rule_holds_when_the_value_writes_one_item_otherwise_than_the_page(
    tmp_path: Path,
) -> None:
    """The store's value writes one of four steps otherwise than the page shows it: the rule
    that reads the steps still reads three of four of them, enough to read the list."""
    steps = {
        "1.html": ["Heat the oven.", "Mix the flour.", "Add the eggs.", "Bake it well."],
        "2.html": ["Boil the water.", "Add the pasta.", "Drain it.", "Serve hot."],
    }
    pages = {}
    for name, shown in steps.items():
        items = "".join(f"<li class='step'>{line}</li>" for line in shown)
        html = f"<html><body><h1>Dish {name}</h1><ol class='steps'>{items}</ol></body></html>"
        values = [*shown[:3], "Bake it for 30 minutes at 180 degrees."]
        pages[name] = (html, {"name": f"Dish {name}", "instructions": values})
    first, second = _two_pages(tmp_path, "dishes.example", pages)
    wrapper = induce([example(annotate(first))])
    assert wrapper.read(wrapper_page(second.page))[0]["instructions"] == steps["2.html"]
    assert wrapper.rules["instructions"][0][1] == 0.75


def test_an_image_rule_gives_the_image_url_as_the_store_writes_it(tmp_path: Path) -> None:
    """The pages show each product's image from the `large` folder, the store's values give the
    `big` one: the wrapper learns the edit from one page and reads the other page's image so."""
    images = {
        "1.html": "acer/10004567/cb242-black-1.jpg",
        "2.html": "nec/60005830/e274f-black-1.jpg",
    }
    pages = {}
    for name, path in images.items():
        html = (
            f"<html><body><h1>Monitor {name}</h1><div class='gallery'>"
            f"<img class='main' src='/image/large/{path}'></div></body></html>"
        )
        labels = {"name": f"Monitor {name}", "image": f"https://screens.example/image/big/{path}"}
        pages[name] = (html, labels)
    first, second = _two_pages(tmp_path, "screens.example", pages)
    wrapper = induce([example(annotate(first))])
    read = wrapper.read(wrapper_page(second.page))[0]
    assert read["image"] == "https://screens.example/image/big/nec/60005830/e274f-black-1.jpg"


def test_a_count_is_read_where_another_page_splits_its_text_into_pieces(tmp_path: Path) -> None:
    """A recipe with one vote shows `from 1 vote` in one text node; one with sixteen shows the
    average, `from`, the count in a span and `votes`: the rule from the first page reads the
    number after `from` in the place's whole text, not the average before it."""
    stars = {
        "1.html": ("<span>5</span>from 1 vote", "1"),
        "2.html": ("<span>4.94</span>from <span>16</span> votes", "16"),
    }
    pages = {}
    for name, (shown, count) in stars.items():
        html = f"<html><body><h1>Dish {name}</h1><div class='stars'>{shown}</div></body></html>"
        pages[name] = (html, {"name": f"Dish {name}", "review_count": count})
    first, second = _two_pages(tmp_path, "dishes.example", pages)
    read = induce([example(annotate(first))]).read(wrapper_page(second.page))[0]
    assert read["review_count"] == "16"


def test_a_label_before_the_value_is_cut_where_the_text_after_it_changes(tmp_path: Path) -> None:
    """The support names its source `Kilde: Gino i «Ginos kjøkken»` (the value without the
    label and the closing quote); the other page's `Kilde: Rolf i NRK P1` has no quote: the
    label is still cut."""
    sources = {"1.html": ("Gino i «Ginos kjøkken", "»"), "2.html": ("Rolf i NRK P1", "")}
    pages = {
        name: (
            f"<html><body><h1>Dish</h1><p><span class='cite'>Kilde: {source}{end}</span></p>"
            "</body></html>",
            {"name": "Dish", "author": source},
        )
        for name, (source, end) in sources.items()
    }
    first, second = _two_pages(tmp_path, "nrk.example", pages)
    read = induce([example(annotate(first))]).read(wrapper_page(second.page))[0]
    assert read["author"] == "Rolf i NRK P1"


def test_the_site_name_of_one_annotated_page_is_the_name_on_the_others(tmp_path: Path) -> None:
    """One recipe post names its site in a call to action, the other in a box that holds a
    tip there: the rule from the place reads the tip; the site's name, one value for the
    whole site, is read from the annotated page for both. A name the support page does not
    show gives no such rule."""
    posts = {
        "1.html": "<p class='cta'>Bowl of Delicious</p><p class='tip'>Salt well.</p>",
        "2.html": "<p class='cta'>Try our spice mix!</p><p class='tip'>Bowl of Delicious</p>",
    }
    labels = {"name": "Dish", "site_name": "Bowl of Delicious"}
    pages = {name: (f"<html><body><h1>Dish</h1>{body}</body></html>", labels)
             for name, body in posts.items()}  # fmt: skip
    first, second = _two_pages(tmp_path, "bowl.example", pages)
    wrapper = induce([example(annotate(first))])
    assert wrapper.read(wrapper_page(second.page))[0]["site_name"] == "Bowl of Delicious"
    unshown = annotate(first, {"name": "Dish", "site_name": "Soup Kitchen"})
    assert "site_name" not in induce([example(unshown)]).read(wrapper_page(second.page))[0]


def test_an_image_rule_reads_the_widest_size_where_each_page_lists_other_sizes(
    tmp_path: Path,
) -> None:
    """Each photo's srcset lists the sizes made of it, in an order and number that change from
    page to page; the store's image is the original, the widest: the rule reads the widest
    size of the other page's photo, not the URL at the support's place in the list."""
    sizes = {
        "1.html": ("pie", ["300x300", "1024x1024", "", "150x150"]),
        "2.html": ("cake", ["300x300", "150x150", "600x600", "768x768", "", "96x96"]),
    }
    pages = {}
    for name, (dish, made) in sizes.items():
        srcset = ", ".join(
            f"/up/{dish}-{size}.jpg {size.split('x')[0]}w" if size else f"/up/{dish}.jpg 1200w"
            for size in made
        )
        html = (
            f"<html><body><h1>{dish}</h1><div class='card'>"
            f"<img class='size-medium' src='/up/{dish}-300x300.jpg' srcset='{srcset}'>"
            "</div></body></html>"
        )
        pages[name] = (html, {"name": dish, "image": f"https://dishes.example/up/{dish}.jpg"})
    first, second = _two_pages(tmp_path, "dishes.example", pages)
    wrapper = induce([example(annotate(first))])
    read = wrapper.read(wrapper_page(second.page))[0]
    assert read["image"] == "https://dishes.example/up/cake.jpg"


def test_an_image_is_read_from_the_recipe_cards_pin_button_where_the_photo_moves(
    tmp_path: Path,
) -> None:
    """The recipe's image is one of the post's photos, the third on one page and the first on
    the other; the recipe card's pin button names it on both (`data-media`): the wrapper
    learns its rule from the button, not from the photo's place."""
    photos = {
        "1.html": (["steps-1.jpg", "steps-2.jpg", "soup-hero.jpg"], "soup-hero.jpg"),
        "2.html": (["cake-hero.jpg", "cake-slice.jpg", "cake-top.jpg"], "cake-hero.jpg"),
    }
    pages = {}
    for name, (files, main) in photos.items():
        figures = "".join(f"<figure><img src='/up/{f}'></figure>" for f in files)
        card = (
            "<div class='wprm-recipe'><h2>Dish</h2>"
            f"<a class='wprm-recipe-pin' href='#' data-media='/up/{main}'>Pin</a></div>"
        )
        body = f"<h1>Dish {name}</h1><div id='content'>{figures}{card}</div>"
        html = f"<html><body>{body}</body></html>"
        pages[name] = (html, {"name": f"Dish {name}", "image": f"https://dishes.example/up/{main}"})
    first, second = _two_pages(tmp_path, "dishes.example", pages)
    wrapper = induce([example(annotate(first))])
    read = wrapper.read(wrapper_page(second.page))[0]
    assert read["image"] == "https://dishes.example/up/cake-hero.jpg"


def test_a_list_rule_that_reads_another_item_than_the_values_gets_no_credit(
    tmp_path: Path,
) -> None:
    """A `Back` link stands before the breadcrumb's items, in the same list: the rule that
    reads every item reads three of four right, but its fourth is no item the value words
    otherwise: it is no rule of the breadcrumb, and `Back` is never read as one."""
    crumbs = {"1.html": ["Home", "Shoes", "Sneaker Nine"], "2.html": ["Home", "Caps", "Cap Two"]}
    pages = {}
    for name, items in crumbs.items():
        links = "".join(f"<li><a href='#'>{item}</a></li>" for item in ["Back", *items])
        html = f"<html><body><ol class='crumbs'>{links}</ol><h1>{items[-1]}</h1></body></html>"
        pages[name] = (html, {"name": items[-1], "breadcrumb": items})
    first, second = _two_pages(tmp_path, "shoes.example", pages)
    wrapper = induce([example(annotate(first))])
    read = wrapper.read(wrapper_page(second.page))[0].get("breadcrumb") or []
    assert "Back" not in read


def test_a_breadcrumbs_home_drawn_as_an_icon_leads_the_other_pages_trails(
    tmp_path: Path,
) -> None:
    """The store's breadcrumbs begin with `Startseite`, which its pages draw as a house icon
    (a link with a title, no text): one annotated page teaches that every trail begins with
    it; a page that shows it in words does not get it twice, and an empty trail stays empty."""
    crumbs = {"1.html": ["Hardware", "Monitore"], "2.html": ["Hardware", "Kabel", "HDMI"]}
    pages = {}
    for name, items in crumbs.items():
        links = "".join(f"<li><a href='#'>{item}</a></li>" for item in items)
        home = "<li><a href='/' title='Startseite'><i class='icon-home'></i></a></li>"
        html = (
            f"<html><body><ul class='crumbs'>{home}{links}</ul>"
            f"<h1>Produkt {name}</h1></body></html>"
        )
        pages[name] = (html, {"name": f"Produkt {name}", "breadcrumb": ["Startseite", *items]})
    first, second = _two_pages(tmp_path, "monitors.example", pages)
    wrapper = induce([example(annotate(first))])
    read = wrapper.read(wrapper_page(second.page))[0]
    assert read["breadcrumb"] == ["Startseite", "Hardware", "Kabel", "HDMI"]
    assert wrapper.writing.leads == (("breadcrumb", ("Startseite",)),)
    written = wrapper.writing.write_as(["startseite", "Kabel"], "list", "breadcrumb")
    assert written == ["startseite", "Kabel"]
    assert wrapper.writing.write_as([], "list", "breadcrumb") == []
    # where the support shows its first item, nothing leads
    shown = {
        n: (h.replace("<i class='icon-home'></i>", "Startseite"), v) for n, (h, v) in pages.items()
    }
    first, _ = _two_pages(tmp_path / "shown", "monitors.example", shown)
    assert induce([example(annotate(first))]).writing.leads == ()


def test_a_description_is_read_as_its_paragraph_where_a_link_splits_it(tmp_path: Path) -> None:
    """The support's description is a paragraph of one node; on the other page a link splits
    it: the rule reads the paragraph, not its first piece."""
    shown = {
        "1.html": "A quick pancake for busy mornings.",
        "2.html": "This easy <a href='/buckle'>strawberry buckle</a> is an old-fashioned dessert.",
    }
    pages = {}
    for name, text in shown.items():
        html = f"<html><body><h1>Dish {name}</h1><p class='summary'>{text}</p></body></html>"
        plain = text.replace("<a href='/buckle'>", "").replace("</a>", "")
        pages[name] = (html, {"name": f"Dish {name}", "description": plain})
    first, second = _two_pages(tmp_path, "desc.example", pages)
    wrapper = induce([example(annotate(first))])
    assert wrapper.rules["description"][0][0].mode == "block"
    read = wrapper.read(wrapper_page(second.page))[0]["description"]
    assert values_equal("description", read, pages["2.html"][1]["description"])
    assert read.startswith("This easy strawberry buckle is")


def test_steps_of_one_node_each_are_read_as_their_items_without_the_step_numbers(
    tmp_path: Path,
) -> None:
    """Each step is one node of its `<li>`, beside a `Step` `1` label the values leave out; on
    the other page a step's link splits it. The rule reads every `<li>` whole, labels left out."""
    steps = {
        "1.html": ["Heat the oven.", "Mix the flour and the eggs.", "Bake for an hour."],
        "2.html": ["Boil the water.", "Add the <a href='/p'>pasta</a> and stir.", "Drain it."],
    }
    pages = {}
    for name, shown in steps.items():
        items = "".join(
            f"<li><span class='label'>Step</span><span class='n'>{k}</span>{line}</li>"
            for k, line in enumerate(shown, 1)
        )
        html = f"<html><body><h1>Dish {name}</h1><ol class='steps'>{items}</ol></body></html>"
        values = [s.replace("<a href='/p'>", "").replace("</a>", "") for s in shown]
        pages[name] = (html, {"name": f"Dish {name}", "instructions": values})
    first, second = _two_pages(tmp_path, "steps.example", pages)
    wrapper = induce([example(annotate(first))])
    assert wrapper.rules["instructions"][0][0].mode == "items"
    assert wrapper.read(wrapper_page(second.page))[0]["instructions"] == [
        "Boil the water.",
        "Add the pasta and stir.",
        "Drain it.",
    ]


def test_section_headings_between_the_steps_are_items_of_the_list(tmp_path: Path) -> None:
    """A recipe's steps in sections: each section's `<li>` holds its heading and its steps'
    `<ol>` (each step beside a `Step` `1` label the values leave out); the store's values name
    the headings among the steps. One rule reads headings and steps, in order, on a page with
    other sections."""
    sections = {
        "1.html": [("For the cake:", ["Heat the oven.", "Mix the flour."]),
                   ("For the filling:", ["Whip the cream.", "Fill the cake."])],
        "2.html": [("Cookie dough", ["Cream the butter.", "Add the sugar.", "Chill it."]),
                   ("Glaze", ["Melt the chocolate."])],
    }  # fmt: skip

    def step(k: int, line: str) -> str:
        return f"<li><span class='label'>Step</span><span class='n'>{k}</span>{line}</li>"

    pages = {}
    for name, shown in sections.items():
        blocks = "".join(
            f"<li><h3>{heading}</h3><ol>{''.join(map(step, range(1, 9), steps))}</ol></li>"
            for heading, steps in shown
        )
        html = f"<html><body><h1>Cake {name}</h1><ul class='sections'>{blocks}</ul></body></html>"
        values = [line for heading, steps in shown for line in (heading, *steps)]
        pages[name] = (html, {"name": f"Cake {name}", "instructions": values})
    first, second = _two_pages(tmp_path, "cakes.example", pages)
    wrapper = induce([example(annotate(first))])
    assert wrapper.rules["instructions"][0][1] == 1.0
    assert (
        wrapper.read(wrapper_page(second.page))[0]["instructions"]
        == pages["2.html"][1]["instructions"]
    )
