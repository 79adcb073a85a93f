"""One small exception tree; the CLI turns each into a one-line `Error: ...`."""


class SlrError(Exception):
    """A user-facing error: the message names the file, field or line, and the fix."""


class ProtocolError(SlrError):
    """The protocol file is missing, unreadable or invalid."""


class QueryError(SlrError):
    """A boolean query could not be parsed."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


class StoreError(SlrError):
    """The corpus folder is unreadable, corrupt or from a newer slr."""


class SourceError(SlrError):
    """A search source failed (network, key, quota, bad response)."""


class ImportError_(SlrError):
    """A reference file could not be imported."""


class ExportError(SlrError):
    """A stage could not be exported."""
