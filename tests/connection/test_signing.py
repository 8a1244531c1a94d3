import base64
import hashlib
import hmac
from decimal import Decimal

import pytest

from krakked_core.connection.signing import api_sign, encode_body, encode_query
from krakked_core.errors import AuthError, InvalidArgumentsError

# Kraken's documented example (shared/kraken/FACTS.md).
GOLDEN_SECRET = (
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
)
GOLDEN_NONCE = 1616492376594
GOLDEN_BODY = "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
GOLDEN_SIGN = (
    "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
)


def _reference_sign(path: str, nonce: str, body: bytes, secret: str) -> str:
    digest = hashlib.sha256(nonce.encode() + body).digest()
    mac = hmac.new(base64.b64decode(secret), path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


def test_golden_example_from_kraken_docs_then_exact_signature() -> None:
    sign = api_sign(
        url_path="/0/private/AddOrder",
        nonce=GOLDEN_NONCE,
        postdata=GOLDEN_BODY,
        secret=GOLDEN_SECRET,
    )

    assert sign == GOLDEN_SIGN


def test_golden_body_built_by_encode_body_in_given_order_then_same_signature() -> None:
    fields = [
        ("ordertype", "limit"),
        ("pair", "XBTUSD"),
        ("price", 37500),
        ("type", "buy"),
        ("volume", Decimal("1.25")),
    ]

    body = encode_body(GOLDEN_NONCE, fields)

    assert body == GOLDEN_BODY
    assert (
        api_sign(
            url_path="/0/private/AddOrder", nonce=GOLDEN_NONCE, postdata=body, secret=GOLDEN_SECRET
        )
        == GOLDEN_SIGN
    )


def test_empty_payload_then_body_is_nonce_only_and_signature_matches_reference() -> None:
    body = encode_body(1616492376594)

    sign = api_sign(
        url_path="/0/private/Balance", nonce=1616492376594, postdata=body, secret=GOLDEN_SECRET
    )

    assert body == "nonce=1616492376594"
    assert sign == _reference_sign(
        "/0/private/Balance", "1616492376594", body.encode(), GOLDEN_SECRET
    )


def test_truly_empty_postdata_then_signature_over_nonce_alone() -> None:
    sign = api_sign(url_path="/0/private/Balance", nonce=5, postdata=b"", secret=GOLDEN_SECRET)

    assert sign == _reference_sign("/0/private/Balance", "5", b"", GOLDEN_SECRET)


def test_fields_in_other_order_then_body_keeps_callers_order_and_signature_differs() -> None:
    forward = encode_body(1, [("pair", "XBTUSD"), ("type", "buy")])
    backward = encode_body(1, [("type", "buy"), ("pair", "XBTUSD")])

    assert forward == "nonce=1&pair=XBTUSD&type=buy"
    assert backward == "nonce=1&type=buy&pair=XBTUSD"
    assert api_sign(url_path="/p", nonce=1, postdata=forward, secret=GOLDEN_SECRET) != api_sign(
        url_path="/p", nonce=1, postdata=backward, secret=GOLDEN_SECRET
    )


def test_mapping_fields_then_insertion_order_and_none_dropped() -> None:
    body = encode_body(9, {"txid": ["OA", "OB"], "trades": True, "userref": None, "start": 0})

    assert body == "nonce=9&txid=OA%2COB&trades=true&start=0"


def test_float_amount_then_refused() -> None:
    with pytest.raises(InvalidArgumentsError, match="float"):
        encode_body(1, {"volume": 0.1})


def test_decimal_in_exponent_form_then_written_plainly() -> None:
    assert encode_query({"volume": Decimal("1E+2"), "price": Decimal("0.00000010")}) == {
        "volume": "100",
        "price": "0.00000010",
    }


def test_secret_not_base64_then_auth_error_without_the_secret() -> None:
    bad_secret = "not base64 at all!!"

    with pytest.raises(AuthError) as caught:
        api_sign(url_path="/p", nonce=1, postdata="nonce=1", secret=bad_secret)

    assert bad_secret not in str(caught.value)
    assert caught.value.__cause__ is None
