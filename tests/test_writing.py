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
