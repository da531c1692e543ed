"""A question that names a document -> the documents it names, searched alone. Pure functions.

People name the document they ask about ("Is sublicensing allowed under the GPL?", "Can zlib open .Z
files?", "What is a Larger Work in the Mozilla licence?"). The name says where to look, not what to
look for: a licence's terms say "this License", and its preamble, which says "GPL" on every line,
outranks them for every question that names it.

A document's name words are the words of its file name ("gpl-3.0.txt": gpl) and of its title (its
first passage's section heading, else its first line where that is no sentence, up to a number or an
address: "Mozilla Public License"), those it writes with a capital or a digit. A question names a
document when it holds name words of it that are distinctive: in the names of at most half of the
corpus's documents (so never in a corpus of one, and "License" in five licences' titles names none of
them); of the documents it names so, those it names with the most words ("Mozilla Public License" names
the MPL, not the GPL, whose title shares "Public"). A file-name word counts however the question writes
it ("zlib"); a title word only where the question writes it with a capital past its first word, or
with a digit ("Mozilla", not "models").

Measured 2026-12-07 (`docqa eval` on every repository set): on evaluation/sentences recall@5 of the
answerable questions 0.827 -> 0.853 and recall@1 0.547 -> 0.627; the span sets' predictions unchanged
(qa, heldout, paraphrased, extra, papers). Without the labels rule, removing every name from the word
search lost the lme4 paper's "Besides lme4, which R package ...?" (its passage says "relative to lme4").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

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


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if len(w) > 1 and not w.isdigit() and w.lower() not in GENERIC]


def document_names(document: str, title: str, texts: Iterable[str] = ()) -> Names:
    """The name words of the document at path `document` (as the index names it) titled `title`, whose
    passages' texts are `texts`: its labels are the name words that fewer than LABEL_SHARE of them state."""
    stem = PurePosixPath(document).stem
    heading = title.strip().splitlines()[0] if title.strip() else ""
    if len(_WORD.findall(heading)) > TITLE_LINE_WORDS or _SENTENCE_END.search(heading):
        heading = ""  # a sentence ("The Danube and the Sava meet at Belgrade. ..."), not a title
    heading = re.split(r"\w+://|\b\d", heading)[0]
    file = frozenset(w.lower() for w in _words(stem))
    titled = frozenset(w.lower() for w in _words(heading)[:TITLE_WORDS] if not w.islower() or _DIGIT.search(w))
    stating = dict.fromkeys(file | titled, 0)
    passages = 0
    for text in texts:
        passages += 1
        for word in stating.keys() & {w.lower() for w in _WORD.findall(text)}:
            stating[word] += 1
    return Names(file, titled, frozenset(w for w, n in stating.items() if n < LABEL_SHARE * passages), heading.strip())


def _naming(word: str, first: bool) -> tuple[bool, bool]:
    """Whether a question's word may match a file name's word (always) and a title's (written with a
    capital past the question's first word, or with a digit)."""
    return True, (not first and word[:1].isupper()) or _DIGIT.search(word) is not None


def naming_words(question: str) -> tuple[frozenset[str], frozenset[str]]:
    """The question's words as a file name may match them (all, lower-cased), and as a title may."""
    words = _WORD.findall(question)
    every = frozenset(w.lower() for w in words)
    proper = frozenset(w.lower() for n, w in enumerate(words) if _naming(w, n == 0)[1])
    return every, proper


def named_documents(question: str, names: Mapping[str, Names]) -> tuple[str, ...]:
    """The documents the question names, in `names`' order; none when it names none (or only by words
    that half of the documents' names share)."""
    every, proper = naming_words(question)
    spread: dict[str, int] = {}
    for found in names.values():
        for word in found.file | found.title:
            spread[word] = spread.get(word, 0) + 1
    limit = len(names) / 2

    count = {document: sum(spread[w] <= limit for w in (found.file & every) | (found.title & proper))
             for document, found in names.items()}
    most = max(count.values(), default=0)
    return tuple(document for document, n in count.items() if n and n == most)


def unnamed(question: str, names: Mapping[str, Names], documents: tuple[str, ...]) -> str:
    """The question without the labels of `documents` (Names.labels), for the word search inside them:
    those words only point at the few passages that repeat the name (a preamble, a title page)."""
    file = frozenset(w for d in documents for w in names[d].labels & names[d].file)
    title = frozenset(w for d in documents for w in names[d].labels & names[d].title)
    position = iter(range(len(question) + 1))

    def keep(match: re.Match) -> str:
        word = match.group().lower()
        in_title = _naming(match.group(), next(position) == 0)[1]
        return " " if word in file or (in_title and word in title) else match.group()

    return _WORD.sub(keep, question)
