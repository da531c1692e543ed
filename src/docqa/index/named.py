"""A question that names a document -> the documents it names, searched alone. Pure functions.

People name the document they ask about ("Is sublicensing allowed under the GPL?", "Can zlib open .Z
files?", "What is a Larger Work in the Mozilla licence?"). The name says where to look, not what to
look for: a licence's terms say "this License", and its preamble, which says "GPL" on every line,
outranks them for every question that names it.

A document's name words are the words of its file name ("gpl-3.0.txt": gpl) and of its title (its
first passage's section heading, else its first line where that is no sentence, up to a number or an
address: "Mozilla Public License"), those it writes with a capital or a digit. Of them, the corpus
decides which may name it (`corpus_names`): a word in the names of at most half of the documents (never
in a corpus of one; "License" in five licences' titles names none of them), and stated mostly by the
document's own passages ("world" in World_Cup.txt, which the other articles state, does not). A question
names a document by such a word that is no ordinary English word ("GPL", "zlib", "lme4"), or by the
whole of its file name or title ("ballpoint pen" for Ballpoint_pen.txt; a single ordinary word only
written with a capital: "Apache"); of the documents it names, those it names with the most words
("Mozilla Public License" names the MPL, not the GPL, whose title shares "Public"). A file-name word
counts however the question writes it; a title's word only where the question writes it with a capital
past its first word, or with a digit ("Mozilla", not "models"), or, in a question typed all in lower case,
where it is no ordinary English word ("under the mozilla licence"; NQ's 150 and 100 + 50 absent titles'
queries name the documents they named before).

Measured 2026-12-07 with `docqa eval`, against the version before: the span sets' predictions unchanged
(qa, heldout, paraphrased, extra, papers); evaluation/sentences (eight texts) recall@5 of answerable
questions 0.835 -> 0.835 and recall@1 0.577 -> 0.649, dev right 18 -> 21 of 32; the held-out corpora of
benchmarks/heldout_corpus.py unchanged in EM (SQuAD 800 questions 0.519, NQ 150 queries 0.440). A looser
first rule (any distinctive word, ordinary or not) named Windows_8.txt for "What kind of windows are in
the chapter house?" and a hymn for "god" among Natural Questions' 150 articles, recall@5 0.987 -> 0.827.
Without the labels rule, removing every name from the word search lost the lme4 paper's "Besides lme4,
which R package ...?" (its passage says "relative to lme4").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from docqa.ingest.clean import is_word

# Words of file names and titles that name no document: kinds of file, not what a file is about.
GENERIC = frozenset("""
    readme faq faqs license licence licenses licences manual guide notes note doc docs document documents
    final draft copy version report paper papers the and of for a an on in to txt pdf html htm md docx en
    frequently asked questions about this that these with from by at as is are its into using
""".split())
# A name word that fewer than this share of its document's passages state is a label: the word search
# inside the document goes without it ("GPL": 4 of the GPL's 70 passages, its preamble and appendix; the
# terms say "this License"). One that more state is the document's topic, which its text words ("lme4":
# 63 of the lme4 paper's 217), and stays.
LABEL_SHARE = 0.25
# A name word names its document only where its own passages are at least this share of those that
# state it: a word most passages of other documents state ("world", "season" in titles of a corpus of
# 150 Wikipedia articles) says what a question is about, not which document it asks.
NAMING_SHARE = 0.5
# ... unless one passage at most of the others states it: a label that a text mentions in passing ("the
# LGPL" in the GPL's text), not a topic.
ELSEWHERE = 1
# A title is the start of a first line: a few words, not the sentence that follows it; a first line of
# more words, or one with a sentence's end, is no title.
TITLE_WORDS = 8
TITLE_LINE_WORDS = 16
_SENTENCE_END = re.compile(r"[^\W\d_][.!?](?:\s|$)")
_WORD = re.compile(r"[^\W_]+")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Names:
    """One document's name words, lower-cased: from its file name, and from its title."""

    file: frozenset[str]
    title: frozenset[str]
    labels: frozenset[str] = frozenset()  # those that few of its passages state (LABEL_SHARE)
    heading: str = ""  # the title they come from, as it is written ("" where its first line is no title)
    naming: frozenset[str] = frozenset()  # those that may name it in a question (corpus_names)
    rare: frozenset[str] = frozenset()  # of those, the ones no ordinary word ("gpl", "zlib"): each names it alone


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if len(w) > 1 and not w.isdigit() and w.lower() not in GENERIC]


def document_names(document: str, title: str) -> Names:
    """The name words of the document at path `document` (as the index names it) titled `title`, alone:
    without the labels and naming words that its passages and the other documents decide (corpus_names)."""
    stem = PurePosixPath(document).stem
    heading = title.strip().splitlines()[0] if title.strip() else ""
    if len(_WORD.findall(heading)) > TITLE_LINE_WORDS or _SENTENCE_END.search(heading):
        heading = ""  # a sentence ("The Danube and the Sava meet at Belgrade. ..."), not a title
    heading = re.split(r"\w+://|\b\d", heading)[0]
    file = frozenset(w.lower() for w in _words(stem))
    titled = frozenset(w.lower() for w in _words(heading)[:TITLE_WORDS] if not w.islower() or _DIGIT.search(w))
    return Names(file, titled, heading=heading.strip())


def corpus_names(documents: Mapping[str, tuple[str, Sequence[str]]]) -> dict[str, Names]:
    """Each document's Names, from {document: (its title, its passages' texts)}: its labels are the name
    words that fewer than LABEL_SHARE of its passages state; its naming words are those that name it
    alone: in the names of at most half of the documents, and stated by no passage or mostly
    (NAMING_SHARE) by its own, or by those of the documents whose names hold it too ("jhalak" for
    Jhalak_Dikhla_Jaa.txt, not "world" for World_Cup.txt; "valgrind" for both Valgrind guides); its
    rare ones are naming words that are no ordinary word and in no other document's name: a company's
    name in the titles of its handbook and its VPN guide names neither alone."""
    names = {document: document_names(document, title) for document, (title, _) in documents.items()}
    spread: dict[str, int] = {}
    for found in names.values():
        for word in found.file | found.title:
            spread[word] = spread.get(word, 0) + 1
    own: dict[str, dict[str, int]] = {document: {} for document in names}
    everywhere: dict[str, int] = {}
    for document, (_, texts) in documents.items():
        for text in texts:
            for word in spread.keys() & {w.lower() for w in _WORD.findall(text)}:
                own[document][word] = own[document].get(word, 0) + 1
                everywhere[word] = everywhere.get(word, 0) + 1
    # A name that is no ordinary word, in the names of several documents ("valgrind-faq.html",
    # "valgrind-quick-start.html"), is judged by the passages of all of them: it names each where they
    # state it mostly, not only the one whose passages state it most. An ordinary word ("list", "policy",
    # "public") is judged by each document's own passages.
    named_by: dict[str, int] = {}
    for document, found in names.items():
        for word in found.file | found.title:
            if not is_word(word):
                named_by[word] = named_by.get(word, 0) + own[document].get(word, 0)
    out = {}
    for document, found in names.items():
        passages, stating = len(documents[document][1]), own[document]
        words = found.file | found.title
        by = {w: named_by.get(w, stating.get(w, 0)) for w in words}
        naming = frozenset(w for w in words if spread[w] <= len(names) / 2
                           and (by[w] >= NAMING_SHARE * everywhere.get(w, 0)
                                or everywhere.get(w, 0) - by[w] <= ELSEWHERE))
        out[document] = replace(found, labels=frozenset(w for w in words if stating.get(w, 0) < LABEL_SHARE * passages),
                                naming=naming, rare=frozenset(w for w in naming if not is_word(w) and spread[w] == 1))
    return out


def _proper(word: str, first: bool) -> bool:
    """Whether a question's word may match a title's word: written with a capital past the question's
    first word, or with a digit (a file name's word matches however it is written)."""
    return (not first and word[:1].isupper()) or _DIGIT.search(word) is not None


def naming_words(question: str) -> tuple[frozenset[str], frozenset[str]]:
    """The question's words as a file name may match them (all, lower-cased), and as a title may. A question
    typed all in lower case writes no name with a capital: there a title may match its words that are no
    ordinary English words ("under the mozilla licence" names the Mozilla Public License)."""
    words = _WORD.findall(question)
    every = frozenset(w.lower() for w in words)
    lower = not any(ch.isupper() for ch in question)
    proper = frozenset(w.lower() for n, w in enumerate(words) if _proper(w, n == 0) or (lower and not is_word(w)))
    return every, proper


def naming_index(names: Mapping[str, Names]) -> dict[str, tuple[str, ...]]:
    """Each naming word -> the documents it may name, in `names`' order (for `named_documents`)."""
    index: dict[str, list[str]] = {}
    for document, found in names.items():
        for word in found.naming:
            index.setdefault(word, []).append(document)
    return {word: tuple(documents) for word, documents in index.items()}


def named_documents(question: str, names: Mapping[str, Names],
                    by_word: Mapping[str, tuple[str, ...]] | None = None) -> tuple[str, ...]:
    """The documents the question names, in `names`' order: by a rare naming word ("GPL", "zlib"), or by
    all the words of its file name or of its title ("ballpoint pen" for Ballpoint_pen.txt, "Mozilla
    Public License"), one of them a naming word, and a single one written with a capital past the
    question's first word ("Apache" for apache-license-2.0.txt); of those, the ones it names with the
    most words. None when it names none: an ordinary word alone in lower case ("god", "windows",
    "zinc") names no document. `by_word` (naming_index(names)) looks only at the documents the
    question's words may name, where there are many."""
    every, proper = naming_words(question)
    if by_word is not None:  # only the documents that one of the question's words may name
        candidates = {document for word in every for document in by_word.get(word, ())}
        names = {document: found for document, found in names.items() if document in candidates}

    def words(found: Names) -> int:
        count = len((found.rare & found.file & every) | (found.rare & found.title & proper))
        for whole, asked in ((found.file, every), (found.title, proper)):
            if whole <= asked and whole & found.naming and (len(whole) > 1 or whole <= proper):
                count = max(count, len(whole))
        return count

    count = {document: words(found) for document, found in names.items()}
    most = max(count.values(), default=0)
    if most == 1:
        # A name that is one document's whole name and stands in others' names too ("Valgrind" of
        # valgrind-faq.html beside valgrind-quick-start.html) names what they are all about: all of them.
        whole_names = [whole for document, n in count.items() if n
                       for whole in (names[document].file, names[document].title) if len(whole) == 1 and whole <= every]
        shared = {word for whole in whole_names for word in whole if not is_word(word)}
        count.update({document: 1 for document, found in names.items()
                      if shared & found.naming & (found.file | found.title)})
    return tuple(document for document, n in count.items() if n and n == most)


# Words for a kind of document: "the TideCast FAQ", "the VPN guide", "the Mozilla licence" speak of the
# document, not of what it says.
DOCUMENT_KINDS = frozenset("""
    faq faqs guide manual handbook policy readme document report paper notes licence license spec
    specification article page file docs documentation sheet agreement contract
""".split())
_DETERMINERS = frozenset("the this that your our".split())
# A reference stands as the subject where one of these goes before it ("does the VPN guide require", "was
# the Artistic License written"); after a preposition ("under the Apache License") the reader takes it as
# it is, and "in the IJG licence terms" is no reference at all.
_AUXILIARIES = frozenset("does do did will would can could should must may might is are was were has have".split())
# A name of a document is a few words: "the Brightwater VPN setup guide".
_REFERENCE_WORDS = 5


def as_read(question: str, names: Mapping[str, Names], documents: tuple[str, ...]) -> str:
    """The question as the reader reads it from `documents`, the ones it names: each phrase that makes one
    of them the subject, by its name and a word for a kind of document ("does the TideCast FAQ require",
    "does the VPN guide say"), with "it" for the phrase. "How many days of notice does the TideCast FAQ
    require?" asks the FAQ's text, which says "30 days' notice" and never that the FAQ requires anything:
    the reader was sure of "30" only without the phrase (0.41 with it, 0.999 with "it")."""
    words = frozenset(w for d in documents for w in names[d].file | names[d].title)
    found = list(_WORD.finditer(question))
    cuts: list[tuple[int, int]] = []
    n = 1
    while n < len(found):
        if found[n].group().lower() in _DETERMINERS and found[n - 1].group().lower() in _AUXILIARIES:
            for end in range(n + 2, min(n + 2 + _REFERENCE_WORDS, len(found))):
                between = [w.group().lower() for w in found[n + 1:end]]
                if not all(w in words or w in DOCUMENT_KINDS for w in between):
                    break
                possessive = question[found[end].end():].startswith(("'", "’"))  # "the VPN guide's appendix"
                if found[end].group().lower() in DOCUMENT_KINDS and any(w in words for w in between) and not possessive:
                    cuts.append((found[n].start(), found[end].end()))
                    n = end
                    break
        n += 1
    for start, stop in reversed(cuts):
        question = question[:start] + "it" + question[stop:]
    return question


def unnamed(question: str, names: Mapping[str, Names], documents: tuple[str, ...]) -> str:
    """The question without the labels of `documents` (Names.labels), for the word search inside them:
    those words only point at the few passages that repeat the name (a preamble, a title page)."""
    file = frozenset(w for d in documents for w in names[d].labels & names[d].file)
    title = frozenset(w for d in documents for w in names[d].labels & names[d].title)
    position = iter(range(len(question) + 1))

    def keep(match: re.Match) -> str:
        word = match.group().lower()
        in_title = _proper(match.group(), next(position) == 0)
        return " " if word in file or (in_title and word in title) else match.group()

    return _WORD.sub(keep, question)


# ---- versions of one document ---------------------------------------------------------------------
# Words of a file name that tell versions of one document apart, besides its numbers.
VERSION_WORDS = frozenset("v ver version rev revision final draft old new copy updated current latest".split())


@functools.lru_cache(maxsize=65_536)
def _core(name: str) -> tuple[str, ...]:
    """A file name's words less its numbers and VERSION_WORDS: what its versions share."""
    words = re.findall(r"[^\W\d_]+", PurePosixPath(name).stem.lower())
    return tuple(word for word in words if word not in VERSION_WORDS)


def versions(a: str, b: str) -> bool:
    """Whether two documents are versions of one: other files whose names are the same once their
    numbers and VERSION_WORDS are taken out ("leave-policy-2025.docx" and "hr/leave-policy-2026.docx",
    "gpl-2.0.txt" and "gpl-3.0.txt"; not "notes.txt" and "minutes.txt")."""
    return a != b and bool(_core(a)) and _core(a) == _core(b)


def _numbers(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\d+", text))


@functools.lru_cache(maxsize=65_536)
def _name_numbers(name: str) -> frozenset[str]:
    """The numbers of a file name, less its folder and suffix."""
    return _numbers(PurePosixPath(name).stem)


def versions_named(question: str, documents: Sequence[str]) -> tuple[str, ...]:
    """The versions of a document that the question names by a number of their file names ("under the
    2025 policy" for leave-policy-2025.docx beside leave-policy-2026.docx, "GPL version 3" for gpl-3.0.txt
    beside gpl-2.0.txt): each document that has a version without that number. A year or a number does
    not name a document as a word would (`document_names` leaves numbers out), but it tells its versions
    apart."""
    asked = _numbers(question)
    holding = [d for d in documents if _name_numbers(d) & asked] if asked else []
    if not holding:
        return ()
    groups: dict[tuple[str, ...], list[str]] = {}
    for document in documents:
        groups.setdefault(_core(document), []).append(document)
    return tuple(d for d in holding
                 if _core(d) and any(not _name_numbers(other) & asked for other in groups[_core(d)] if other != d))
