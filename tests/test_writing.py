"""The store's writing: typeset forms its values write plainly, learnt from its support."""

from __future__ import annotations

from extractor.values.writing import Writing, learn_writing


def test_fractions_dashes_and_quotes_are_written_plainly() -> None:
    writing = Writing(("fractions", "dashes", "quotes"))
    assert writing.write("1½ cups, 1 ½ cup, about ¼ cup, 1⁄2 tsp") == (
        "1 1/2 cups, 1 1/2 cup, about 1/4 cup, 1/2 tsp"
    )
    assert writing.write("2 – 3 minutes, it’s “done”") == '2 - 3 minutes, it\'s "done"'
    assert writing.write_value(["½ cup", 3]) == ["1/2 cup", 3]
    values = {"ingredients": ["½ cup"], "price": "½", "name": "Cake – small"}
    writing.write_values(values, {"ingredients": "list", "price": "price", "name": "text"})
    assert values == {"ingredients": ["1/2 cup"], "price": "½", "name": "Cake - small"}


def test_a_family_is_plain_only_where_most_support_values_write_it_so() -> None:
    pairs = [
        ("½ cup sugar", "1/2 cup sugar"),
        ("2 – 3 eggs", "2 – 3 eggs"),  # the store keeps its dashes
        ("it’s good", "it's good"),
        ("it’s fine", "it’s fine"),  # one each way: not plain
        ("… and more", "a different text"),  # a value without the plain form says nothing
    ]
    assert learn_writing(pairs) == Writing(("fractions",))
    assert learn_writing([]) == Writing()
    assert Writing().write_value("½") == "½"


def test_image_urls_are_edited_as_the_stores_values_give_them() -> None:
    """The page shows a thumbnail (`-675x900.jpg.webp`, a `large` folder), the store's value
    the image itself: the edits are learnt from the support and made on other images; a URL
    of another image (a number changed) teaches nothing."""
    thumb = "https://bakes.example/up/2025/08/Apple-Bars-1-675x900.jpg.webp"
    writing = learn_writing([], [(thumb, "https://bakes.example/up/2025/08/Apple-Bars-1.jpg")])
    assert writing.write_url("https://bakes.example/up/2024/01/Lemon-Cake-600x400.jpg.webp") == (
        "https://bakes.example/up/2024/01/Lemon-Cake.jpg"
    )
    assert writing.write_url("https://bakes.example/up/a/photo.webp") == (
        "https://bakes.example/up/a/photo.webp"
    )
    folders = learn_writing(
        [], [("https://s.at/image/large/acer/cb2.jpg", "https://s.at/image/big/acer/cb2.jpg")]
    )
    assert (
        folders.write_url("https://s.at/image/large/nec/e274f.jpg")
        == "https://s.at/image/big/nec/e274f.jpg"
    )
    assert learn_writing([], [("https://s.at/i/1.jpg", "https://s.at/i/2.jpg")]).urls == ()
    # edits that would change a support image the page shows as its value are no edits
    both = [
        (thumb, thumb.replace("-675x900.jpg.webp", ".jpg")),
        ("https://b.example/x-2-10x10.jpg", "https://b.example/x-2-10x10.jpg"),
    ]
    assert learn_writing([], both).urls == ()
    assert Writing.from_dict(writing.to_dict()) == writing


def test_an_attributes_parts_are_joined_as_its_values_join_them() -> None:
    """The page shows `Dinner, Main Course`, the store's category value says
    `Dinner,Main Course`: learnt for the category alone (its description keeps its commas),
    and only where no support value of the attribute joins them as the page does."""
    pairs = [
        ("category", "Dinner, Main Course", "Dinner,Main Course"),
        ("category", "Soup", "Soup"),  # no comma: says nothing
        ("description", "Quick, easy, good.", "Quick, easy, good."),
    ]
    writing = learn_writing([], [], pairs)
    assert writing.joins == (("category", ","),)
    values = {"category": "Breakfast , Drinks, Snack", "description": "Warm, sweet."}
    writing.write_values(values, {"category": "text", "description": "text"})
    assert values == {"category": "Breakfast,Drinks,Snack", "description": "Warm, sweet."}
    assert Writing.from_dict(writing.to_dict()) == writing
    mixed = [*pairs, ("category", "Lunch, Salad", "Lunch, Salad")]
    assert learn_writing([], [], mixed).joins == ()


def test_a_rooted_list_is_led_by_the_items_every_support_page_names_before_those_it_shows() -> None:
    """`Home` stands first in the store's breadcrumbs where its pages show a house icon: every
    trail is led by it, unless it begins with it, or with the end of a longer lead; support
    pages that disagree teach no lead, and only lists are led."""
    writing = learn_writing([], lead_pairs=[("breadcrumb", ("Home",)), ("breadcrumb", ("Home",))])
    assert writing.leads == (("breadcrumb", ("Home",)),)
    assert writing.write_as(["Shoes", "Boots"], "list", "breadcrumb") == ["Home", "Shoes", "Boots"]
    assert writing.write_as(["HOME", "Shoes"], "list", "breadcrumb") == ["HOME", "Shoes"]
    assert writing.write_as("Shoes", "text", "breadcrumb") == "Shoes"
    assert writing.write_as(["Shoes"], "list", "ingredients") == ["Shoes"]
    longer = Writing(leads=(("breadcrumb", ("Shop", "Home")),))
    assert longer.write_as(["Home", "Shoes"], "list", "breadcrumb") == ["Shop", "Home", "Shoes"]
    assert Writing.from_dict(longer.to_dict()) == longer
    disagree = [("breadcrumb", ("Home",)), ("breadcrumb", ())]
    assert learn_writing([], lead_pairs=disagree).leads == ()
