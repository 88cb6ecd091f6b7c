from __future__ import annotations

import pytest

from impactcheck.core.conditions import ConditionSyntaxError, parse


@pytest.mark.parametrize(
    ("raw", "facts", "expected"),
    [
        ({"question": "a", "equals": "x"}, {"a": "x"}, True),
        ({"question": "a", "equals": "x"}, {"a": "y"}, False),
        ({"question": "a", "equals": "x"}, {}, False),  # no answer: false
        ({"not": {"question": "a", "equals": "x"}}, {}, True),
        ({"question": "a", "equals": True}, {"a": 1}, False),  # a yes/no answer is not a number
        ({"question": "a", "equals": 1}, {"a": True}, False),
        ({"question": "a", "in": ["x", "y"]}, {"a": "y"}, True),
        ({"question": "a", "contains": "pv"}, {"a": ["pv", "wind"]}, True),
        ({"question": "a", "contains": "pv"}, {"a": "pv"}, False),  # contains needs a list answer
        ({"question": "n", "gt": 5}, {"n": 6}, True),
        ({"question": "n", "gte": 5}, {"n": 5}, True),
        ({"question": "n", "lt": 5}, {"n": 5}, False),
        ({"question": "n", "lte": 5}, {"n": 5}, True),
        ({"question": "n", "gt": 5}, {"n": "6"}, False),  # text is never compared as a number
        ({"question": "n", "gt": 0}, {"n": True}, False),
        ({"question": "a", "answered": True}, {"a": "x"}, True),
        ({"question": "a", "answered": False}, {"a": None}, True),
        ({"all": [{"question": "a", "equals": 1}, {"question": "b", "equals": 2}]}, {"a": 1, "b": 2}, True),
        ({"all": [{"question": "a", "equals": 1}, {"question": "b", "equals": 2}]}, {"a": 1}, False),
        ({"any": [{"question": "a", "equals": 1}, {"question": "b", "equals": 2}]}, {"b": 2}, True),
        ({"any": [{"question": "a", "equals": 1}, {"question": "b", "equals": 2}]}, {}, False),
    ],
)
def test_semantics(raw, facts, expected):
    assert parse(raw).test(facts) is expected


def test_values_only_in_verdict_rules():
    with pytest.raises(ConditionSyntaxError, match="nur in den Urteilsregeln"):
        parse({"value": "score_sum", "gt": 0})
    cond = parse({"value": "score_sum", "gt": 0}, allow_values=True)
    assert cond.test({}, {"score_sum": 1})
    assert not cond.test({}, {"score_sum": 0})


@pytest.mark.parametrize(
    ("raw", "message", "path"),
    [
        ("heating == gas", "eine Bedingung muss ein Eintrag", ()),
        ({"all": []}, "nicht leere Liste", ("all",)),
        ({"all": [{"question": "a"}]}, "genau einen Operator", ("all", 0)),
        (
            {"any": [{"question": "a", "equals": 1}, {"question": "b", "like": 2}]},
            "unbekannter Operator „like“",
            ("any", 1, "like"),
        ),
        ({"not": {"question": "a", "gt": "viel"}}, "vergleicht mit einer Zahl", ("not", "gt")),
        ({"question": "a", "equals": 1, "in": [1]}, "genau einen Operator", ()),
        ({"question": "a", "in": "x"}, "Liste", ("in",)),
        ({"question": "a", "answered": "ja"}, "true oder false", ("answered",)),
        ({"all": [{"question": "a", "equals": 1}], "any": []}, "muss allein stehen", ()),
        ({"question": "", "equals": 1}, "ID als Text", ("question",)),
    ],
)
def test_syntax_errors_say_where(raw, message, path):
    with pytest.raises(ConditionSyntaxError) as exc:
        parse(raw)
    assert message in exc.value.message
    assert exc.value.path == path


def test_questions_lists_references():
    cond = parse({"all": [{"question": "a", "equals": 1}, {"not": {"question": "b", "answered": True}}]})
    assert cond.questions() == {"a", "b"}


def test_to_data_round_trips():
    raw = {"all": [{"question": "a", "in": ["x", "y"]}, {"not": {"any": [{"question": "b", "gt": 3}]}}]}
    assert parse(raw).to_data() == raw
    assert parse(parse(raw).to_data()).test({"a": "x", "b": 1})
