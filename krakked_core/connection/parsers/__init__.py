"""Parsers: Kraken's wire payloads → domain values. The only code that knows Kraken field names."""
