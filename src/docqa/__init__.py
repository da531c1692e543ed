"""docqa: offline, extractive, document-grounded question answering."""

__version__ = "0.1.0"
