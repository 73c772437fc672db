"""The few user-facing errors of the index, each with a message that says what to do."""


class ReportbotError(Exception):
    """Base of the errors shown to users as a plain message (never a traceback)."""


class ConfigError(ReportbotError):
    """A setting is missing or wrong."""


class IndexMismatchError(ReportbotError):
    """The index on disk was built with another embedding model."""


class QueryError(ReportbotError):
    """A search filter that cannot be understood (an unreadable date, say)."""


class IndexBusyError(ReportbotError):
    """Another process is writing to the same index."""


class VectorStoreUnavailable(ReportbotError):
    """The vector store (a Chroma server) cannot be reached; search falls back to BM25."""
