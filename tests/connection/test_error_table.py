import pytest

from krakked_core.connection.client import decode_reply
from krakked_core.connection.errors import classify, error_from_http, error_from_kraken
from krakked_core.errors import (
    AuthError,
    InvalidArgumentsError,
    InvalidNonceError,
    OrderError,
    OrderOutcomeUnknown,
    RateLimitError,
    ServiceUnavailableError,
    TemporaryVenueError,
    VenueError,
)

# Every error string of shared/kraken/FACTS.md, with what the caller must do about it.
FACTS_TABLE = [
    ("EAPI:Invalid key", AuthError),
    ("EAPI:Invalid signature", AuthError),
    ("EAPI:Invalid nonce", InvalidNonceError),
    ("EGeneral:Permission denied", AuthError),
    ("EGeneral:Temporary lockout", AuthError),
    ("EAPI:Bad request", AuthError),
    ("EService:Unavailable", ServiceUnavailableError),
    ("EService:Busy", ServiceUnavailableError),
    ("EService: Throttled: 1700000000", RateLimitError),
    ("EGeneral:Internal error", ServiceUnavailableError),
    ("EAPI:Rate limit exceeded", RateLimitError),
    ("EGeneral:Too many requests", RateLimitError),
    ("EGeneral:Invalid arguments", InvalidArgumentsError),
    ("EGeneral:Invalid arguments:volume", InvalidArgumentsError),
    ("EOrder:Insufficient funds", OrderError),
    ("EOrder:Order minimum not met", OrderError),
    ("EOrder:Cost minimum not met", OrderError),
    ("EOrder:Invalid price", OrderError),
    ("EOrder:Tick size check failed", OrderError),
    ("EOrder:Unknown order", OrderError),
    ("EOrder:Orders limit exceeded", OrderError),
    ("EOrder:Rate limit exceeded", OrderError),
    ("EService:Market in cancel_only mode", OrderError),
    ("EService:Market in post_only mode", OrderError),
    ("EQuery:Unknown asset pair", InvalidArgumentsError),
    ("EQuery:Unknown asset", InvalidArgumentsError),
]


@pytest.mark.parametrize(("kraken_error", "expected"), FACTS_TABLE)
def test_each_kraken_error_string_then_its_error_class(
    kraken_error: str, expected: type[VenueError]
) -> None:
    error = error_from_kraken([kraken_error], method="AddOrder")

    assert type(error) is expected
    assert error.kraken_errors == (kraken_error,)
    assert error.method == "AddOrder"
    assert kraken_error in str(error)


# For a state-changing call, the strings whose "retry" hides a danger (FACTS.md lists Internal
# error under "retry with backoff"; Deadline elapsed is not in FACTS): the order may stand.
UNKNOWN_IF_CHANGING = {
    "EGeneral:Internal error",
    "EService:Deadline elapsed",
    "EService:Something new",
}


@pytest.mark.parametrize(
    ("kraken_error", "expected"),
    [*FACTS_TABLE, ("EService:Deadline elapsed", ServiceUnavailableError)],
)
def test_each_string_for_a_state_changing_call_then_definite_or_unknown(
    kraken_error: str, expected: type[VenueError]
) -> None:
    error = error_from_kraken([kraken_error], method="AddOrder", changes_state=True, cl_ord_id="k")

    if kraken_error in UNKNOWN_IF_CHANGING:
        assert type(error) is OrderOutcomeUnknown and error.cl_ord_id == "k"
    else:
        assert type(error) is expected
    assert error.kraken_errors == (kraken_error,)
    assert classify(kraken_error) is expected  # a read keeps its class (and its retries)


@pytest.mark.parametrize("kraken_error", sorted(UNKNOWN_IF_CHANGING))
def test_ambiguous_string_then_unknown_only_for_state_changing_calls(kraken_error: str) -> None:
    assert classify(kraken_error, changes_state=True) is OrderOutcomeUnknown
    assert classify(kraken_error) is ServiceUnavailableError


def test_rejection_and_ambiguous_error_together_then_rejection_decides() -> None:
    error = error_from_kraken(
        ["EGeneral:Internal error", "EOrder:Insufficient funds"],
        method="AddOrder",
        changes_state=True,
    )

    assert type(error) is OrderError


def test_ambiguous_and_retryable_errors_together_then_unknown_decides() -> None:
    error = error_from_kraken(
        ["EService:Unavailable", "EGeneral:Internal error"], method="AddOrder", changes_state=True
    )

    assert type(error) is OrderOutcomeUnknown


@pytest.mark.parametrize("status", [500, 502, 503, 504, 520])
def test_http_5xx_on_state_changing_call_then_unknown(status: int) -> None:
    error = error_from_http(status, method="CancelOrder", changes_state=True, cl_ord_id="k")

    assert type(error) is OrderOutcomeUnknown
    assert (error.http_status, error.method, error.cl_ord_id) == (status, "CancelOrder", "k")


def test_http_429_and_4xx_on_state_changing_call_then_definite() -> None:
    assert type(error_from_http(429, method="AddOrder", changes_state=True)) is RateLimitError
    assert type(error_from_http(403, method="AddOrder", changes_state=True)) is VenueError


@pytest.mark.parametrize(
    "content", [b"<html>oops</html>", b'{"error": [], "result": {"txid"', b'{"error": []}']
)
def test_unclean_200_on_state_changing_call_then_unknown(content: bytes) -> None:
    with pytest.raises(OrderOutcomeUnknown, match="malformed"):
        decode_reply("AddOrder", 200, content, changes_state=True, cl_ord_id="k")


def test_order_rate_limit_then_rejected_not_retried_but_api_rate_limit_retried() -> None:
    assert not issubclass(classify("EOrder:Rate limit exceeded"), TemporaryVenueError)
    assert issubclass(classify("EAPI:Rate limit exceeded"), TemporaryVenueError)


@pytest.mark.parametrize(
    ("kraken_error", "expected"),
    [
        ("EOrder:Something new", OrderError),
        ("EQuery:Something new", InvalidArgumentsError),
        ("EService:Something new", ServiceUnavailableError),
        ("EFunding:Unknown withdraw key", VenueError),
    ],
)
def test_unknown_string_then_category_fallback(
    kraken_error: str, expected: type[VenueError]
) -> None:
    assert classify(kraken_error) is expected


def test_retryable_and_stop_errors_together_then_stop_wins() -> None:
    error = error_from_kraken(["EService:Unavailable", "EAPI:Invalid key"])

    assert type(error) is AuthError
    assert error.kraken_errors == ("EService:Unavailable", "EAPI:Invalid key")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (429, RateLimitError),
        (500, ServiceUnavailableError),
        (502, ServiceUnavailableError),
        (503, ServiceUnavailableError),
        (520, ServiceUnavailableError),
        (404, VenueError),
    ],
)
def test_http_status_without_error_field_then_mapped(
    status: int, expected: type[VenueError]
) -> None:
    error = error_from_http(status, method="Ticker")

    assert type(error) is expected
    assert error.http_status == status


def test_error_field_and_http_5xx_then_error_field_wins() -> None:
    with pytest.raises(AuthError) as caught:
        decode_reply("Balance", 503, b'{"error": ["EAPI:Invalid key"]}')

    assert caught.value.http_status == 503


def test_error_field_and_http_429_then_error_field_wins() -> None:
    with pytest.raises(OrderError):
        decode_reply("AddOrder", 429, b'{"error": ["EOrder:Insufficient funds"]}')


def test_http_503_with_html_body_then_service_unavailable() -> None:
    with pytest.raises(ServiceUnavailableError):
        decode_reply("Ticker", 503, b"<html>down for maintenance</html>")


def test_http_200_not_json_then_service_unavailable() -> None:
    with pytest.raises(ServiceUnavailableError, match="malformed"):
        decode_reply("Ticker", 200, b"<html>oops</html>")


def test_http_200_warning_only_then_result_returned() -> None:
    assert decode_reply(
        "Ticker", 200, b'{"error": ["WGeneral:Deprecated"], "result": {"a": 1}}'
    ) == {"a": 1}


def test_http_200_no_errors_then_result() -> None:
    assert decode_reply("Time", 200, b'{"error": [], "result": {"unixtime": 1}}') == {"unixtime": 1}
