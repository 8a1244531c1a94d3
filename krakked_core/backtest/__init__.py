"""The backtester (issue 12): stored candles replayed through the live strategies and risk."""
