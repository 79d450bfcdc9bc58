"""JMESPath expressions, result paths and JMESPath truthiness."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jmespath.exceptions import JMESPathError

from chalicelib.flows.expressions import ContextPath, Expression, is_truthy

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=10,
)


class TestExpression:
    def test_searches_a_document(self) -> None:
        document = {"order": {"items": [{"price": 2}, {"price": 3}]}}

        assert Expression("order.items[].price | sum(@)").search(document) == 5

    @pytest.mark.parametrize("source", ["a >", "items[?", "{a: }", "&&"])
    def test_refuses_invalid_jmespath_at_construction(self, source: str) -> None:
        with pytest.raises(ValueError, match=r"invalid JMESPath"):
            Expression(source)

    @pytest.mark.parametrize("source", ["", "   ", None, 3])
    def test_refuses_empty_or_non_string_sources(self, source: Any) -> None:
        with pytest.raises(ValueError, match="non-empty JMESPath string"):
            Expression(source)

    @pytest.mark.parametrize(("source", "document"), [
        ("x > `1`", {"x": "5"}),
        ("x <= `1`", {"x": "5"}),
        ("`\"a\"` < x", {"x": 3}),
    ])
    def test_comparing_a_string_with_a_number_raises_a_jmespath_error(self, source: str,
                                                                        document: dict[str, Any]) -> None:
        with pytest.raises(JMESPathError, match="cannot evaluate"):
            Expression(source).search(document)

    @pytest.mark.parametrize(("source", "document"), [("x > `1`", {"x": [2]}), ("x > `1`", {"x": None})])
    def test_comparing_non_comparable_values_gives_null(self, source: str, document: dict[str, Any]) -> None:
        assert Expression(source).search(document) is None

    def test_type_errors_in_functions_stay_jmespath_errors(self) -> None:
        with pytest.raises(JMESPathError):
            Expression("length(x)").search({"x": 5})

    def test_equal_by_source_and_hashable(self) -> None:
        assert Expression("a.b") == Expression("a.b")
        assert Expression("a.b") != Expression("a.c")
        assert Expression("a.b") != "a.b"
        assert len({Expression("a"), Expression("a"), Expression("b")}) == 2


class TestContextPathAssign:
    def test_sets_a_top_level_key(self) -> None:
        assert ContextPath("total").assign({"id": 1}, 42) == {"id": 1, "total": 42}

    def test_creates_nested_objects(self) -> None:
        assert ContextPath("order.pricing.total").assign({"id": 1}, 42) == {
            "id": 1,
            "order": {"pricing": {"total": 42}},
        }

    def test_keeps_siblings_of_existing_objects(self) -> None:
        document = {"order": {"id": 7, "pricing": {"currency": "EUR"}}}

        assert ContextPath("order.pricing.total").assign(document, 42) == {
            "order": {"id": 7, "pricing": {"currency": "EUR", "total": 42}}
        }

    def test_replaces_a_non_object_on_the_way(self) -> None:
        assert ContextPath("order.total").assign({"order": [1, 2]}, 42) == {"order": {"total": 42}}

    def test_dollar_replaces_the_whole_context(self) -> None:
        assert ContextPath("$").assign({"old": True}, {"new": True}) == {"new": True}

    @pytest.mark.parametrize("value", [1, "text", [1], None])
    def test_dollar_needs_an_object(self, value: Any) -> None:
        with pytest.raises(TypeError, match=r"'\$' needs an object"):
            ContextPath("$").assign({}, value)

    @given(document=st.dictionaries(st.sampled_from(["a", "b", "c"]), json_values, max_size=3), value=json_values,
           path=st.sampled_from(["a", "a.b", "b.c.d", "c"]))
    def test_never_mutates_the_document_or_shares_the_value(self, document: dict[str, Any], value: Any,
                                                            path: str) -> None:
        before = copy.deepcopy(document)

        result = ContextPath(path).assign(document, value)

        assert document == before
        node: Any = result
        for segment in path.split("."):
            node = node[segment]
        assert node == value
        if isinstance(value, (dict, list)):
            assert node is not value

    def test_dollar_does_not_share_the_value(self) -> None:
        value = {"nested": {"n": 1}}

        result = ContextPath("$").assign({}, value)
        result["nested"]["n"] = 2

        assert value == {"nested": {"n": 1}}

    @pytest.mark.parametrize("source", ["", "a..b", ".a", "a.", "1st", "a.b c", "a[0]", "$.a", "a.$"])
    def test_refuses_paths_that_are_not_dotted_names(self, source: str) -> None:
        with pytest.raises(ValueError, match="not a result path"):
            ContextPath(source)

    @pytest.mark.parametrize("source", ["a", "_private", "order-line.total_2", "A.B.C"])
    def test_accepts_dotted_names(self, source: str) -> None:
        assert ContextPath(source).segments == tuple(source.split("."))


class TestIsTruthy:
    @pytest.mark.parametrize("value", [0, 0.0, -1, 1, True, "x", " ", [0], [None], {"a": None}, {"": 0}])
    def test_truthy(self, value: Any) -> None:
        assert is_truthy(value) is True

    @pytest.mark.parametrize("value", [None, False, "", [], {}])
    def test_falsy(self, value: Any) -> None:
        assert is_truthy(value) is False

    def test_zero_is_truthy_unlike_python(self) -> None:
        assert not bool(0)
        assert is_truthy(0)

    @given(json_values)
    def test_agrees_with_jmespath_itself(self, value: Any) -> None:
        assert is_truthy(value) is (Expression("!v").search({"v": value}) is False)
