"""How the sandbox reads Kraken's request parameters and writes Kraken's timestamps."""

from datetime import UTC, datetime

from krakked_core.sim.errors import invalid


def rfc3339(when: datetime, *, micros: bool = False) -> str:
    """Kraken's RFC3339 UTC time: ``2026-03-01T12:00:30Z`` (REST) or with microseconds
    ``2026-03-01T12:00:30.742599Z`` (WebSocket v2 ``time_in``/``timestamp``)."""
    return when.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ" if micros else "%Y-%m-%dT%H:%M:%SZ"
    )


def names(text: str | None) -> list[str]:
    """A comma-separated list parameter (``pair=XBTUSD,ETHUSD``), blanks dropped."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def int_param(text: str | None, field: str | None) -> int | None:
    """An integer parameter, None when absent or empty; ``EGeneral:Invalid arguments[:field]``."""
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise invalid(field) from None
