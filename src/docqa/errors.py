"""Named errors. Each message tells the user what to do next; the CLI and UI show it as is."""

from collections.abc import Sequence

from docqa.names import display_name


class DocqaError(Exception):
    """Base of every error docqa reports to a user instead of a traceback."""


class EmptyCorpus(DocqaError):
    def __init__(self, corpus: str, suffixes: Sequence[str]):
        """`suffixes`: the formats the corpus loader reads (documents.ACCEPTED_SUFFIXES)."""
        super().__init__(
            f"No readable documents in {corpus}/. Put {', '.join(suffixes[:-1])} or {suffixes[-1]} files there "
            "(or pass --corpus DIR), then run `docqa index`."
        )


class CorpusNotFound(DocqaError):
    def __init__(self, corpus: str, is_file: bool = False):
        if is_file:
            super().__init__(f"The corpus {corpus} is a file, not a folder. Pass the folder that holds your "
                             "documents as --corpus DIR.")
        else:
            super().__init__(f"Corpus folder {corpus}/ does not exist. Create it or pass --corpus DIR.")


class OutsideCorpus(DocqaError):
    def __init__(self, path: str):
        super().__init__(
            f"{path!r} is not a file of the corpus: docqa reads and serves only files inside the corpus "
            "folder. Name a file by its path inside the corpus, as the sources show it."
        )


class SandboxUnavailable(DocqaError):
    def __init__(self, command: str):
        super().__init__(
            f"The process that reads corpus files did not start ({command}); the index was not changed. "
            "Check that docqa is installed in this Python (`make install`), then build again."
        )


class UnknownDocument(DocqaError):
    def __init__(self, names: Sequence[str], known: Sequence[str]):
        shown = ", ".join(repr(display_name(n)) for n in names)
        listed = ", ".join(display_name(k) for k in known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
        super().__init__(
            f"No document {shown} in the index. Name documents as the documents list shows them "
            f"(`docqa documents list`): {listed or 'the index holds none'}."
        )


class DocumentGone(DocqaError):
    def __init__(self, document: str, reason: str):
        super().__init__(f"The file of {document!r} cannot be opened ({reason}): it was moved or changed since the "
                         "index was built. Rebuild the index (`docqa index`, or Rebuild index in the chat).")


class UnusableIndex(DocqaError):
    """An index that cannot answer as it is. `problem` says what is wrong without the advice, for the
    engine that builds the index itself instead ("No index in index/ yet: building it now.")."""

    def __init__(self, problem: str, advice: str):
        super().__init__(f"{problem}. {advice}")
        self.problem = problem


class IndexNotFound(UnusableIndex):
    def __init__(self, index: str):
        super().__init__(f"No index in {index}/", "Run `docqa index`.")


class StaleIndex(UnusableIndex):
    def __init__(self, index: str, reason: str):
        super().__init__(f"The index in {index}/ is out of date ({reason})", "Run `docqa index`.")


class CorruptIndex(UnusableIndex):
    def __init__(self, index: str, reason: str):
        super().__init__(f"The index in {index}/ cannot be read ({reason})",
                         "Run `docqa index --full` to rebuild it; your documents in the corpus are untouched.")


class IndexLocked(DocqaError):
    def __init__(self, index: str, holder: str):
        super().__init__(
            f"Another build is writing {index}/ ({holder}). Wait for it to finish, then try again."
        )


class ModelNotFound(DocqaError):
    def __init__(self, model: str, reason: str):
        super().__init__(
            f"Cannot load the embedding model {model!r} ({reason}). docqa works offline: pass --model "
            "with a local sentence-transformers folder, or reinstall with `make install`."
        )


class ReaderNotFound(DocqaError):
    def __init__(self, reader: str, reason: str):
        super().__init__(
            f"Cannot load the reader {reader!r} ({reason}). Pass --reader with a local folder holding "
            "a Hugging Face extractive question-answering model, or leave it out to use the built-in reader."
        )


class BadQuestion(DocqaError):
    """The question itself cannot be asked (empty, too long)."""


class BadEvalFile(DocqaError):
    """An evaluation file cannot be read at all, or a line is malformed under --strict."""


class BadFeedback(DocqaError):
    """A mark from the chat cannot become a line of the evaluation file (empty question or answer)."""


class ReportNotWritten(DocqaError):
    """`docqa eval` cannot write its report or calibration file."""


class BadSettings(DocqaError):
    """A setting has a value outside its valid range."""


class UploadRejected(DocqaError):
    """An uploaded file was not stored in the corpus; the message says why."""


class ServeFailed(DocqaError):
    def __init__(self, address: str):
        super().__init__(f"Could not serve on {address}: the port may be in use. Pass --port with another one.")


class AuthRequired(DocqaError):
    """`serve` was asked to listen on a non-loopback address without credentials."""


class BadTrainingData(DocqaError):
    """A training file cannot be read, or an answer is not where its offset says."""


class ClusterUnavailable(DocqaError):
    """`docqa index --ray` cannot build on a Ray cluster (Ray missing, no cluster, a node that cannot
    see the index folder); the message says what to do."""
