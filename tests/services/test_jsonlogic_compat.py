"""The JsonLogic evaluator (maykin-json-logic-py, services.rules) against a curated part of the
shared JsonLogic tests: `[logic, data, expected]` triples in the shape of jsonlogic.com's
tests.json, strings being section headings. Written for this project from the documented
behaviour of each operator, not copied from the suite.

Known differences, pinned below so an upgrade that changes them is noticed:

- `all`, `some`, `none`, `filter` and `substr` are not implemented by the evaluator; they are not
  in services.rules.OPERATORS, so a check using one is refused on save.
- A comparison with a missing operand gives None (falsy) rather than false; rules.evaluate
  reports a variable without a default and without a value as `missing` before evaluating.
- `*` and `/` return floats (6.0 for 2 * 3): money in checks is compared in integer minor units.
"""

from typing import Any

import json_logic
import pytest
from django.core.exceptions import ValidationError

from services.rules import OPERATORS, validate_expression

SHARED_TESTS: list[Any] = [
    "# Equality",
    [{"==": [1, 1]}, {}, True],
    [{"==": [1, "1"]}, {}, True],
    [{"==": [0, False]}, {}, True],
    [{"==": [None, None]}, {}, True],
    [{"===": [1, 1]}, {}, True],
    [{"===": [1, "1"]}, {}, False],
    [{"!=": [1, 2]}, {}, True],
    [{"!=": [1, "1"]}, {}, False],
    [{"!==": [1, "1"]}, {}, True],
    "# Comparison, including between",
    [{">": [2, 1]}, {}, True],
    [{">": ["2", 1]}, {}, True],
    [{">=": [1, 1]}, {}, True],
    [{"<": [1, 2]}, {}, True],
    [{"<": [2, 1]}, {}, False],
    [{"<": [1, 2, 3]}, {}, True],
    [{"<": [1, 1, 3]}, {}, False],
    [{"<=": [1, 1, 3]}, {}, True],
    [{"<=": [1, 4, 3]}, {}, False],
    "# Truthiness and logic",
    [{"!": [True]}, {}, False],
    [{"!": [[]]}, {}, True],
    [{"!!": [["0"]]}, {}, True],
    [{"!!": ["0"]}, {}, True],
    [{"!!": [[]]}, {}, False],
    [{"or": [False, True]}, {}, True],
    [{"or": [False, 0, "a"]}, {}, "a"],
    [{"and": [True, "", 3]}, {}, ""],
    [{"and": [True, "a", 3]}, {}, 3],
    "# Conditionals",
    [{"if": [True, "yes", "no"]}, {}, "yes"],
    [{"if": [False, "yes", "no"]}, {}, "no"],
    [{"if": [False, 1, True, 2, 3]}, {}, 2],
    [{"if": [False, 1, False, 2, 3]}, {}, 3],
    [{"?:": [True, 1, 2]}, {}, 1],
    [
        {
            "if": [
                {"<": [{"var": "temp"}, 0]},
                "freezing",
                {"<": [{"var": "temp"}, 100]},
                "liquid",
                "gas",
            ]
        },
        {"temp": 55},
        "liquid",
    ],
    "# Strings and arrays",
    [{"in": ["Spring", "Springfield"]}, {}, True],
    [{"in": ["i", "team"]}, {}, False],
    [{"in": ["Ringo", ["John", "Paul", "George", "Ringo"]]}, {}, True],
    [{"cat": ["I love", " pie"]}, {}, "I love pie"],
    [{"cat": ["I love ", {"var": "filling"}, " pie"]}, {"filling": "apple"}, "I love apple pie"],
    [{"merge": [[1, 2], [3]]}, {}, [1, 2, 3]],
    [{"merge": [1, [2]]}, {}, [1, 2]],
    "# Arithmetic",
    [{"+": [1, 2]}, {}, 3],
    [{"+": ["3", 1]}, {}, 4],
    [{"-": [4, 2]}, {}, 2],
    [{"-": [2]}, {}, -2],
    [{"*": [2, 3]}, {}, 6],
    [{"/": [4, 2]}, {}, 2],
    [{"%": [101, 2]}, {}, 1],
    [{"max": [1, 2, 3]}, {}, 3],
    [{"min": [1, 2, 3]}, {}, 1],
    "# Data access",
    [{"var": ["a"]}, {"a": 1}, 1],
    [{"var": "a"}, {"a": 1}, 1],
    [{"var": "a.b"}, {"a": {"b": 2}}, 2],
    [{"var": "a.0"}, {"a": ["x", "y"]}, "x"],
    [{"var": 1}, ["apple", "banana"], "banana"],
    [{"var": ["z", 26]}, {"a": 1}, 26],
    [{"var": "z"}, {"a": 1}, None],
    [{"var": ""}, 3, 3],
    [{"missing": ["a", "b"]}, {"a": 1}, ["b"]],
    [{"missing": ["a.b"]}, {"a": {"b": 1}}, []],
    [{"missing_some": [1, ["a", "b"]]}, {"a": 1}, []],
    [{"missing_some": [2, ["a", "b", "c"]]}, {"a": 1}, ["b", "c"]],
    "# Scoped operations",
    [{"map": [{"var": "integers"}, {"*": [{"var": ""}, 2]}]}, {"integers": [1, 2, 3]}, [2, 4, 6]],
    [{"map": [{"var": "nothing"}, {"*": [{"var": ""}, 2]}]}, {}, []],
    [
        {"reduce": [{"var": "integers"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]},
        {"integers": [1, 2, 3, 4]},
        10,
    ],
]


def _cases() -> list[Any]:
    cases, section = [], ""
    for row in SHARED_TESTS:
        if isinstance(row, str):
            section = row.removeprefix("# ")
            continue
        logic, data, expected = row
        cases.append(pytest.param(logic, data, expected, id=f"{section}: {logic}"))
    return cases


@pytest.mark.parametrize(("logic", "data", "expected"), _cases())
def test_shared_jsonlogic_case(logic, data, expected):
    assert json_logic.jsonLogic(logic, data) == expected


def test_every_case_uses_only_operators_a_check_may_use():
    def operators(node: Any) -> set[str]:
        if isinstance(node, list):
            return set().union(*(operators(child) for child in node))
        if isinstance(node, dict):
            ((operator, arguments),) = node.items()
            return {operator} | operators(arguments)
        return set()

    used = set().union(*(operators(row[0]) for row in SHARED_TESTS if isinstance(row, list)))
    assert used <= OPERATORS


@pytest.mark.parametrize(
    "logic",
    [
        {"all": [{"var": "data.children"}, {">": [{"var": ""}, 0]}]},
        {"some": [{"var": "data.children"}, {">": [{"var": ""}, 0]}]},
        {"none": [{"var": "data.children"}, {">": [{"var": ""}, 0]}]},
        {"filter": [{"var": "data.children"}, {">": [{"var": ""}, 0]}]},
        {"substr": [{"var": "data.reason"}, 0, 3]},
    ],
)
def test_unsupported_operators_are_refused_on_save(logic):
    (operator,) = logic
    assert operator not in OPERATORS

    with pytest.raises(ValidationError) as refused:
        validate_expression(logic, known_data={"data.children", "data.reason"})

    assert refused.value.messages == [f'/: unknown operator "{operator}".']


def test_a_comparison_with_a_missing_operand_is_falsy_not_false():
    result = json_logic.jsonLogic({"<": [1, {"var": "x"}]}, {})
    assert result is None  # JsonLogic says false; both are falsy, and rules.evaluate
    # reports the missing variable before it gets here


def test_multiplication_and_division_give_floats():
    assert json_logic.jsonLogic({"*": [2, 3]}) == 6.0
    assert isinstance(json_logic.jsonLogic({"*": [2, 3]}), float)
    assert isinstance(json_logic.jsonLogic({"/": [4, 2]}), float)
