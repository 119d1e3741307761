"""drec.inputs.object_id: an id sent as text is a whole number of ASCII digits, or no id (the
portal fuzzing's find, issue 20: "²" passed ``str.isdigit()`` and failed ``int()``, a 500)."""

import pytest

from drec.inputs import object_id


@pytest.mark.parametrize(
    "value",
    ["\u00b2", "1\u00b9", "\u0661\u0662", "\u216b", "9" * 5000, "9" * 19, "-1", "1.0", "", " ", None, "abc", True],
)
def test_what_cannot_be_an_id_is_none(value):
    assert object_id(value) is None


@pytest.mark.parametrize(("value", "expected"), [("7", 7), (" 7 ", 7), (12, 12), ("9" * 18, int("9" * 18))])
def test_an_id_is_its_whole_number(value, expected):
    assert object_id(value) == expected
