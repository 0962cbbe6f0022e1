"""Shared HTTP machinery every provider uses: one client, rate limiting, retries, error mapping, batching."""
