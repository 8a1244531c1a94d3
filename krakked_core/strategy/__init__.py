"""Strategies, their registry and universes, the runner, and the decision-cycle engine."""
