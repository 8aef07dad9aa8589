"""What a failed call raises: `LLMError` for good, `LLMUnavailable` to wait and come back."""

from __future__ import annotations


class LLMError(Exception):
    """A call failed for good (after retries, or an error that retrying cannot fix)."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class LLMUnavailable(LLMError):
    """The endpoint is down or not there yet: the caller should wait `retry_in` seconds."""

    def __init__(self, message: str, retry_in: float) -> None:
        super().__init__(message, retryable=True)
        self.retry_in = retry_in
