"""The sandbox's own key/signature/nonce verification, on its own (no server)."""

import base64
import hashlib
import hmac
from urllib.parse import urlencode

import pytest

from krakked_core.errors import ConfigError
from krakked_core.sim.auth import (
    BAD_REQUEST,
    INVALID_KEY,
    INVALID_NONCE,
    INVALID_SIGNATURE,
    KeyRegistry,
    check_permission,
    expected_signature,
    generate_key_pair,
)
from krakked_core.sim.errors import PERMISSION_DENIED, SimError

GOLDEN_SECRET = (
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
)
GOLDEN_BODY = b"nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
GOLDEN_SIGN = (
    "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
)
PATH = "/0/private/Balance"
FORM = "application/x-www-form-urlencoded"


def sign(secret: str, path: str, nonce: str, body: bytes) -> str:
    """The test's own signature, computed from Kraken's definition (not the sandbox's code)."""
    message = path.encode() + hashlib.sha256(nonce.encode() + body).digest()
    return base64.b64encode(hmac.new(base64.b64decode(secret), message, "sha512").digest()).decode()


@pytest.fixture
def registry() -> KeyRegistry:
    return KeyRegistry()


def test_expected_signature_when_kraken_golden_example_then_matches() -> None:
    assert (
        expected_signature(GOLDEN_SECRET, "/0/private/AddOrder", "1616492376594", GOLDEN_BODY)
        == GOLDEN_SIGN
    )


def test_authenticate_when_golden_request_then_params_read(registry: KeyRegistry) -> None:
    registry.add("golden-key", GOLDEN_SECRET)

    call = registry.authenticate(
        url_path="/0/private/AddOrder",
        headers_key="golden-key",
        headers_sign=GOLDEN_SIGN,
        body=GOLDEN_BODY,
        content_type=FORM,
    )

    assert call.nonce == 1616492376594
    assert call.params["volume"] == "1.25"
    assert call.params["pair"] == "XBTUSD"


def test_authenticate_when_json_body_then_signature_over_raw_bytes(registry: KeyRegistry) -> None:
    key = registry.create()
    body = b'{"nonce": 5, "validate": true, "txid": ["A", "B"], "volume": 0.00001}'

    call = registry.authenticate(
        url_path=PATH,
        headers_key=key.key,
        headers_sign=sign(key.secret, PATH, "5", body),
        body=body,
        content_type="application/json; charset=utf-8",
    )

    assert call.params == {"nonce": "5", "validate": "true", "txid": "A,B", "volume": "0.00001"}


def test_authenticate_when_unknown_key_then_invalid_key(registry: KeyRegistry) -> None:
    with pytest.raises(SimError) as caught:
        registry.authenticate(
            url_path=PATH, headers_key="nope", headers_sign="x", body=b"nonce=1", content_type=FORM
        )
    assert caught.value.kraken_error == INVALID_KEY


def test_authenticate_when_signature_for_other_path_then_invalid_signature(
    registry: KeyRegistry,
) -> None:
    key = registry.create()
    body = b"nonce=1"

    with pytest.raises(SimError) as caught:
        registry.authenticate(
            url_path=PATH,
            headers_key=key.key,
            headers_sign=sign(key.secret, "/0/private/TradeBalance", "1", body),
            body=body,
            content_type=FORM,
        )
    assert caught.value.kraken_error == INVALID_SIGNATURE


def test_authenticate_when_bad_signature_then_nonce_not_burned(registry: KeyRegistry) -> None:
    key = registry.create()
    body = b"nonce=7"
    with pytest.raises(SimError):
        registry.authenticate(
            url_path=PATH, headers_key=key.key, headers_sign="AAAA", body=body, content_type=FORM
        )

    call = registry.authenticate(
        url_path=PATH,
        headers_key=key.key,
        headers_sign=sign(key.secret, PATH, "7", body),
        body=body,
        content_type=FORM,
    )
    assert call.nonce == 7


@pytest.mark.parametrize("second_nonce", ["10", "9"])
def test_authenticate_when_nonce_replayed_or_lower_then_invalid_nonce(
    registry: KeyRegistry, second_nonce: str
) -> None:
    key = registry.create()
    first = b"nonce=10"
    registry.authenticate(
        url_path=PATH,
        headers_key=key.key,
        headers_sign=sign(key.secret, PATH, "10", first),
        body=first,
        content_type=FORM,
    )
    body = f"nonce={second_nonce}".encode()

    with pytest.raises(SimError) as caught:
        registry.authenticate(
            url_path=PATH,
            headers_key=key.key,
            headers_sign=sign(key.secret, PATH, second_nonce, body),
            body=body,
            content_type=FORM,
        )
    assert caught.value.kraken_error == INVALID_NONCE


def test_authenticate_when_nonces_of_two_keys_then_independent(registry: KeyRegistry) -> None:
    one, two = registry.create(), registry.create()
    body = b"nonce=100"
    for key in (one, two):
        registry.authenticate(
            url_path=PATH,
            headers_key=key.key,
            headers_sign=sign(key.secret, PATH, "100", body),
            body=body,
            content_type=FORM,
        )


@pytest.mark.parametrize("body", [b"", b"nonce=", b"nonce=abc", b"nonce=-5"])
def test_authenticate_when_nonce_missing_or_not_a_number_then_invalid_nonce(
    registry: KeyRegistry, body: bytes
) -> None:
    key = registry.create()
    nonce = dict(pair.split("=") for pair in body.decode().split("&") if pair).get("nonce", "")

    with pytest.raises(SimError) as caught:
        registry.authenticate(
            url_path=PATH,
            headers_key=key.key,
            headers_sign=sign(key.secret, PATH, nonce, body),
            body=body,
            content_type=FORM,
        )
    assert caught.value.kraken_error == INVALID_NONCE


def test_authenticate_when_json_body_is_not_an_object_then_bad_request(
    registry: KeyRegistry,
) -> None:
    key = registry.create()

    with pytest.raises(SimError) as caught:
        registry.authenticate(
            url_path=PATH,
            headers_key=key.key,
            headers_sign="x",
            body=b"[1]",
            content_type="application/json",
        )
    assert caught.value.kraken_error == BAD_REQUEST


def test_check_permission_when_read_only_key_then_trading_denied_reading_allowed(
    registry: KeyRegistry,
) -> None:
    key = registry.create(read_only=True)

    check_permission(key, "Balance")
    with pytest.raises(SimError) as caught:
        check_permission(key, "AddOrder")
    assert caught.value.kraken_error == PERMISSION_DENIED


def test_generate_key_pair_when_called_then_secret_is_64_bytes_and_hidden_from_repr(
    registry: KeyRegistry,
) -> None:
    key, secret = generate_key_pair()
    assert len(base64.b64decode(secret)) == 64
    assert len(key) == 56
    assert secret not in repr(registry.add(key, secret))


@pytest.mark.parametrize("secret", ["not base64 !!", ""])
def test_add_when_secret_not_base64_then_config_error_without_secret(
    registry: KeyRegistry, secret: str
) -> None:
    with pytest.raises(ConfigError, match="not base64") as caught:
        registry.add("k", secret)
    assert secret not in str(caught.value) or not secret
    assert registry.get("k") is None


def test_form_body_when_urlencoded_special_characters_then_signature_covers_raw(
    registry: KeyRegistry,
) -> None:
    key = registry.create()
    body = urlencode({"nonce": "3", "cl_ord_id": "a b/c+d"}).encode()

    call = registry.authenticate(
        url_path=PATH,
        headers_key=key.key,
        headers_sign=sign(key.secret, PATH, "3", body),
        body=body,
        content_type=FORM,
    )

    assert call.params["cl_ord_id"] == "a b/c+d"
