"""Market data: the universe, stored OHLC history, the live cache and the MarketDataAPI."""
