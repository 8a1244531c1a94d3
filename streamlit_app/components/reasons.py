"""The risk engine's reason codes (``BlockReason``) in plain words for the operator."""

from krakked_core.model.decisions import BlockReason

_WORDS: dict[str, str] = {
    BlockReason.MAX_RISK_PER_TRADE: "the trade would risk more than the per-trade limit",
    BlockReason.MAX_PORTFOLIO_RISK: "the portfolio would risk more than its total limit",
    BlockReason.MAX_OPEN_POSITIONS: "there are already as many open positions as allowed",
    BlockReason.MAX_PER_ASSET: "the asset would exceed its share of equity",
    BlockReason.MAX_PER_STRATEGY: "the strategy would exceed its share of equity",
    BlockReason.MIN_LIQUIDITY: "the pair trades too little (24 h volume under the floor)",
    BlockReason.KILL_SWITCH_DRAWDOWN: "kill switch: the daily drawdown is over its limit",
    BlockReason.KILL_SWITCH_DRIFT: "kill switch: the books and the exchange disagree (drift)",
    BlockReason.KILL_SWITCH_MANUAL: "kill switch: set by the operator",
    BlockReason.DATA_STALE: "market data for the pair is stale",
    BlockReason.VALUATION_INCOMPLETE: "the portfolio could not be valued completely",
}


def plain(code: str) -> str:
    """A reason code in words (an unknown code as it is, so nothing is hidden)."""
    return _WORDS.get(code, code)
