"""Why the control plane refused an operator's request: each error says what to do instead.

The API maps them to statuses (``krakked_core.api.errors``); their messages are shown to the
operator as they are, so they never carry a secret.
"""

from krakked_core.errors import KrakkedError


class ControlError(KrakkedError):
    """An operator request the control plane would not carry out."""


class ActionRefusedError(ControlError):
    """The action makes no sense now (e.g. a mode change while a plan is executing)."""


class ConfirmationError(ControlError):
    """A dangerous action without its exact confirmation phrase (``field`` is ``confirm``)."""

    def __init__(self, phrase: str) -> None:
        super().__init__(f'confirm: type "{phrase}" exactly to confirm')
        self.phrase = phrase
        self.field = "confirm"


class InvalidChangeError(ControlError):
    """A change the config models reject; ``fields`` are the dotted keys at fault."""

    def __init__(self, message: str, fields: tuple[str, ...]) -> None:
        super().__init__(message)
        self.fields = fields


class NotFoundError(ControlError):
    """What the request names does not exist (a strategy id, an order id)."""


class UnavailableError(ControlError):
    """A service the request needs is not part of this process (or not reachable now)."""
