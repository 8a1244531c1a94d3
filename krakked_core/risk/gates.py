"""Gates on adding risk to one pair: conditions under which no open or increase is allowed.

Each gate is a (code, sentence) pair when it fires. They never stop a reduce or close.
"""

from decimal import Decimal

from krakked_core.model.decisions import BlockReason
from krakked_core.model.precision import decimal_text
from krakked_core.risk.context import RiskContext
from krakked_core.risk.kill_switch import KillSwitch

Finding = tuple[BlockReason, str]


def opening_gates(
    pair: str, ctx: RiskContext, switch: KillSwitch, min_liquidity_usd: Decimal
) -> list[Finding]:
    """Return every gate that forbids adding to ``pair`` now (empty: it may be added to)."""
    findings: list[Finding] = list(switch.reasons)
    if not ctx.valuation_complete:
        unvalued = ", ".join(ctx.unvalued_assets) or "some assets"
        findings.append(
            (BlockReason.VALUATION_INCOMPLETE, f"equity is incomplete: {unvalued} not valued")
        )
    if pair in ctx.stale_pairs:
        findings.append((BlockReason.DATA_STALE, f"{pair} market data is stale"))
    elif ctx.price(pair) is None:
        findings.append((BlockReason.DATA_STALE, f"no price for {pair}"))
    if min_liquidity_usd <= 0:
        return findings
    liquidity = ctx.liquidity_24h_usd.get(pair)
    if liquidity is None:
        findings.append((BlockReason.MIN_LIQUIDITY, f"{pair} 24h volume unknown"))
    elif liquidity < min_liquidity_usd:
        findings.append(
            (
                BlockReason.MIN_LIQUIDITY,
                f"{pair} 24h volume ${decimal_text(round(liquidity, 0))} below "
                f"${decimal_text(min_liquidity_usd)}",
            )
        )
    return findings
