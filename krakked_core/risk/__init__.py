"""The risk engine: small pure rules that turn intents into risk-checked actions."""
