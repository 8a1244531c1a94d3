"""The phrases an operator types to confirm a dangerous action (activating the kill switch
never needs one: stopping is always safe)."""

from krakked_core.control_state import KILL_SWITCH_OFF_PHRASE

FLATTEN = "FLATTEN"
CANCEL_ALL = "CANCEL ALL"
GO_LIVE = "GO LIVE"
DISABLE_KILL_SWITCH = KILL_SWITCH_OFF_PHRASE
