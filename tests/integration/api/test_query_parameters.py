"""Query parameters through the api handler: one value each, or a 400 naming the parameter."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api import ApiHandlerClient
from tests.support.batch import BatchPath
from zstc_local.api_gateway import proxy_event


@pytest.fixture
def api(api: ApiHandlerClient, batch: BatchPath) -> ApiHandlerClient:
    """The api handler with the jobs table and data bucket in moto."""
    return api


ROUTES = {
    "/jobs": ["status", "limit", "next_token"],
    "/jobs/0123456789abcdef0123456789abcdef/results": ["limit", "next_token"],
}
VALUES = {"status": ["Completed", "Failed"], "limit": ["1", "3"], "next_token": ["abc", "def"]}


@pytest.mark.parametrize(("path", "name"), [(path, name) for path, names in ROUTES.items() for name in names])
def test_a_declared_query_parameter_given_twice_is_a_400_naming_it(
    api: ApiHandlerClient, path: str, name: str
) -> None:
    # Given ?name=a&name=b, as API Gateway passes it (multiValueQueryStringParameters)
    event = proxy_event("GET", path, query={name: VALUES[name]})

    # When the handler answers
    response = api.invoke(event)

    # Then a 400 names the parameter, whatever its type, rather than choosing one of the values
    assert response.status == 400, response.body
    error = response.body["error"]
    assert error["code"] == "invalid_query"
    assert error["details"] == [
        {"loc": ["query", name], "msg": "given more than once", "type": "query_repeated"}
    ]


def test_an_undeclared_parameter_repeated_is_ignored_and_one_value_each_is_served(
    api: ApiHandlerClient,
) -> None:
    assert api.invoke(proxy_event("GET", "/jobs", query={"limit": ["2"], "x": ["1", "2"]})).status == 200
    assert api.invoke(proxy_event("GET", "/health", query={"limit": ["1", "2"]})).status in {200, 503}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.dictionaries(
        st.sampled_from(["status", "limit", "next_token", "other"]),
        st.lists(st.text(max_size=8), min_size=1, max_size=3),
        max_size=4,
    )
)
def test_any_query_is_answered_below_500_and_repeats_of_declared_names_are_400(
    api: ApiHandlerClient, query: dict[str, list[str]]
) -> None:
    response = api.invoke(proxy_event("GET", "/jobs", query=query))
    assert response.status < 500, response.body
    if any(len(values) > 1 for name, values in query.items() if name != "other"):
        assert response.status == 400


@pytest.mark.parametrize("value", ["1.0", "2_0", "+2", " 2", "2 ", "-1", "٣", "1e1"])
@pytest.mark.parametrize(
    ("path", "name"),
    [*((path, "limit") for path in ROUTES), ("/label-sets", "limit"), ("/label-sets/intents", "version")],
)
def test_an_integer_query_parameter_that_is_not_ascii_digits_is_a_400_naming_it(
    api: ApiHandlerClient, path: str, name: str, value: str
) -> None:
    # Given ?limit= a value pydantic would read as an integer (1.0, 2_0, +2, " 2" from %202) or not
    response = api.invoke(proxy_event("GET", path, query={name: [value]}))
    # Then a 400 names the parameter instead of reading it as some number
    assert response.status == 400, response.body
    assert response.body["error"]["code"] == "invalid_query"
    assert response.body["error"]["details"] == [
        {"loc": ["query", name], "msg": "must be a whole number in ASCII digits", "type": "query_integer"}
    ]
