"""Ask the API for something and show why not when it cannot answer (never a traceback)."""

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TypeVar

import streamlit as st

from streamlit_app.client import (
    ApiAuthError,
    ApiDownError,
    ApiReadOnlyError,
    ApiRefusedError,
    ApiUnavailableError,
    PanelApiError,
    RouteMissingError,
)

T = TypeVar("T")


def fetch(what: str, call: Callable[[], T]) -> T | None:
    """``call()``, or None after saying (about ``what``) why the API did not answer."""
    try:
        return call()
    except PanelApiError as exc:
        report(what, exc)
        return None


def act(what: str, call: Callable[[], object]) -> bool:
    """Run an action; say it worked (True), or why the API refused it (False)."""
    done = fetch(what, call) is not None
    if done:
        st.toast(f"{what}: done")
    return done


def report(what: str, exc: PanelApiError) -> None:
    if isinstance(exc, RouteMissingError):
        st.info(f"{what}: {exc}. Nothing to show here until the API offers it.")
    elif isinstance(exc, ApiUnavailableError):
        st.warning(f"{what}: the API cannot answer now: {exc}")
    elif isinstance(exc, (ApiRefusedError, ApiReadOnlyError)):
        st.error(f"{what}: refused: {exc}")
    elif isinstance(exc, (ApiDownError, ApiAuthError)):
        st.error(f"{what}: {exc}")
    else:
        st.error(f"{what}: {exc}")


def usd(value: str | None) -> str:
    """``"12345.6"`` → ``"$12,345.60"``; ``None`` (not valued) → ``"n/a"``."""
    number = decimal(value)
    if number is None:
        return "n/a"
    sign = "-" if number < 0 else ""
    return f"{sign}${abs(number):,.2f}"


def pct(value: str | None) -> str:
    number = decimal(value)
    return "n/a" if number is None else f"{number:.2f}%"


def decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None
