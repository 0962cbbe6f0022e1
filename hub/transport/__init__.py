"""The vendor-API layer every provider uses, written once: the HTTP client with per-account limits and
retries (`http`, `ratelimit`, `limits`), what a failed call means (`errors`; which calls are safe to
repeat and which failures are retried or ambiguous: `writes`), walking paged collections (`paging`) and
calling a vendor's official SDK through all of it (`sdk`)."""
