"""A parsed sentence -> what scoring reads of each of its tokens, gathered once per parse (`TokenTable`):
its content words, the words that may match by meaning, the distances in the parse between every two
tokens, and the technical names (paths, addresses, function names) that no candidate may cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from spacy.tokens import Doc, Span, Token

_NO_SOFT_POS = {"PROPN", "NUM", "AUX", "DET", "PRON", "ADP", "CCONJ", "PART", "SCONJ", "PUNCT", "SPACE", "SYM", "X"}
_STOP_EXTRA = {"also", "further", "new", "whole", "many", "much", "one", "us"}
# spaCy's stop words that still say what is asked ("a full member", "the first programme")
_TELLING_STOPS = {"full", "first", "last", "next", "former", "latter", "top", "bottom", "front", "back", "empty"}


def content_tokens(doc: Doc | Span) -> list[Token]:
    """The words that say something: no punctuation, function words, wh-words or stop words (but
    those of `_TELLING_STOPS`, and numbers), in order."""
    return [
        t for t in doc
        if not t.is_punct and not t.is_space and not (t.is_stop and not t.like_num and t.lower_ not in _TELLING_STOPS)
        and t.lower_ not in _STOP_EXTRA and t.lower_ not in ("what", "which", "who", "when", "where", "why", "how")
        and t.pos_ not in ("AUX", "DET", "PRON", "CCONJ", "ADP", "PART", "SCONJ")
    ]


def softable(token: Token) -> bool:
    """Whether a word may match another by meaning: a common content word, not a name or number."""
    return not (token.pos_ in _NO_SOFT_POS or token.like_num or token.is_stop or token.is_punct)


# Technical text: web and mail addresses, file paths and function names are answers too
# ("Where should I report a bug?" -> "zlib@gzip.org"; "Which function ...?" -> "gzprintf()").
TECHNICAL = re.compile(
    r"https?://\S+|www\.[\w.-]+\S*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<![\w/])(?:[\w.-]+/)+[\w.-]*[\w/]"
    r"|\b[A-Za-z_]\w*\(\)"
    r"|\b[\w-]+\.(?:h|c|cc|cpp|hpp|py|js|java|rs|go|sh|txt|md|rst|html?|xml|json|ya?ml|toml|ini|cfg|conf|log"
    r"|csv|pdf|docx?|zip|gz|tgz|tar|bz2|xz|dll|so|exe|lib|a|o)\b")


def technical_matches(text: str) -> list[tuple[int, int]]:
    """Character [start, end) of the web and mail addresses, paths, file and function names in the
    text, without the sentence's closing punctuation ("www.ijg.org." -> "www.ijg.org")."""
    found = []
    for match in TECHNICAL.finditer(text):
        word = match.group().rstrip(".,;:")
        if word.lower() in ("and/or", "either/or", "he/she", "his/her", "s/he"):
            continue
        if word.endswith(")") and "(" not in word:
            word = word[:-1]
        found.append((match.start(), match.start() + len(word)))
    return found


def _technical_spans(sent: Doc) -> tuple[tuple[int, int], ...]:
    """(first, last) tokens of the sentence's `technical_matches` of several tokens: a piece of one
    ("contrib" of "contrib/delphi") is no answer of its own."""
    pieces = (sent.char_span(start, end, alignment_mode="expand") for start, end in technical_matches(sent.text))
    return tuple((piece.start, piece.end - 1) for piece in pieces if piece is not None and len(piece) > 1)


@dataclass(frozen=True)
class TokenTable:
    """What scoring asks of every token of a sentence, gathered once per parse: spaCy makes a new
    Token object at each access, which is most of the cost of reading a sentence token by token."""

    lower: tuple[str, ...]
    softable: np.ndarray   # (n,) float 1/0: may match by meaning (`softable`)
    content: np.ndarray    # (n,) bool: one of `content_tokens`
    proper: np.ndarray     # (n,) bool: a proper noun
    punct: np.ndarray      # (n,) bool: punctuation
    distance: np.ndarray   # (n, n) `tree_distance` between every two tokens
    starts: tuple[int, ...]  # each token's character offset in the sentence
    ends: tuple[int, ...]    # and where it ends
    entities: tuple[tuple[int, int], ...]  # (first, last) of the entities that bound a candidate
    technical: tuple[tuple[int, int], ...]  # (first, last) of the paths, addresses and function names


def token_table(sent: Doc) -> TokenTable:
    """The sentence's TokenTable, kept with the parse (in `Doc.user_data`)."""
    table = sent.user_data.get("docqa.table")
    if table is None:
        content = {t.i for t in content_tokens(sent)}
        table = TokenTable(
            tuple(t.lower_ for t in sent),
            np.array([softable(t) for t in sent], dtype=np.float32),
            np.array([t.i in content for t in sent], dtype=bool),
            np.array([t.pos_ == "PROPN" for t in sent], dtype=bool),
            np.array([t.is_punct for t in sent], dtype=bool),
            distances([t.head.i for t in sent]),
            tuple(t.idx for t in sent),
            tuple(t.idx + len(t.text) for t in sent),
            # The small NER model sometimes runs an entity over a verb; such entities are no boundary.
            tuple((ent.start, ent.end - 1) for ent in sent.ents
                  if len(ent) <= 6 and not any(t.pos_ == "VERB" for t in ent)),
            _technical_spans(sent),
        )
        sent.user_data["docqa.table"] = table
    return table


def distances(heads: list[int]) -> np.ndarray:
    """(n, n) number of dependency edges between every two tokens, from each token's head index
    (a root is its own head). Tokens of separate trees are as far apart as `tree_distance` says:
    the depth of one plus the depth of the other plus one."""
    n = len(heads)
    if n == 0:
        return np.zeros((0, 0), dtype=np.int32)
    depth = np.zeros(n, dtype=np.int32)
    above = np.zeros((n, n), dtype=bool)  # above[i, j]: j is i or one of its ancestors
    for i in range(n):
        node, steps = i, 0
        above[i, i] = True
        while heads[node] != node and steps <= n:
            node, steps = heads[node], steps + 1
            above[i, node] = True
        depth[i] = steps
    # depth of the lowest common ancestor, plus one (0 when the trees differ); a row at a time,
    # so that a 300-token sentence needs n^2, not n^3, memory
    level = depth + 1
    shared = np.stack([((above[i] & above) * level).max(axis=1) for i in range(n)])
    apart = depth[:, None] + depth[None, :]
    return np.where(shared > 0, apart - 2 * (shared - 1), apart + 1).astype(np.int32)


def tree_distance(a: Token, b: Token) -> int:
    """Number of dependency edges between two tokens of one sentence."""
    ancestors_a = {a.i: 0}
    node, depth = a, 0
    while node.head.i != node.i:
        node, depth = node.head, depth + 1
        ancestors_a[node.i] = depth
    node, depth = b, 0
    while node.i not in ancestors_a:
        if node.head.i == node.i:
            return depth + len(ancestors_a)
        node, depth = node.head, depth + 1
    return depth + ancestors_a[node.i]
