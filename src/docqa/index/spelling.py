"""A question's misspelt words -> the documents' own words, as a search box reads them. Pure functions.

People type fast: "wich memcheck optoin shows were uninitialised valeus come from". A misspelt word
finds nothing in BM25, pulls the question's embedding away from the passage that answers it, and the
reader reads it as word pieces; a query typed so was declined unread (no passage came near its words).
A word is read as another (`corrected`) only where all of these hold:
- it is letters only, four or more, written in lower case or capitalised as the question's first word
  (a capitalised word past the first is a name the question may ask about precisely because the
  documents lack it: "When did Croatia join?" of a text about Serbia; a decline for it only suggests
  the documents' spelling, `names_meant`); a word of three letters only where two of its letters
  swapped make a word of a question's frame ("teh": the, "adn": and);
- no passage states it (its stem), it is no English word (the reader's vocabulary or pyspellchecker's
  dictionary of 160,572 words), nor one with an ending ("replicates") or spelt the other side of the
  Atlantic ("colour"): a word the documents do not use is no typo of one they do ("replicates" of a
  paper that writes "replacates"), and BM25 finds a spelling they write otherwise (index/lexical.py);
- one edit past its first letter, or its first two letters swapped, makes it a word some passage states
  or a word of a question's frame ("thier": their, which BM25 does not count): a letter dropped, added
  or changed, or two neighbours swapped (Damerau 1964: over 80% of misspellings are one such edit). Of
  several, an English word first, then the word more passages state ("musi": music, not must; "wich":
  which, not with, which BM25 does not count), a word of the frame next, then the commoner word in
  English ("lionn": lion, not lions).
A word two edits away ("copyrite") is left as typed: at that distance short words reach too many others.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from docqa.index.lexical import QUESTION_WORDS, spellings
from docqa.ingest.clean import is_word

LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Shorter words are one edit from too many others ("wat": was, what, war, hat); of three letters, only
# swapped ones are read as another.
SHORTEST = 4
# A word between spaces, with the punctuation a sentence puts around it.
_WORD = re.compile(r"(?<!\S)[\"'(\[]*([A-Za-z]+)[\"')\],.;:!?]*(?!\S)")


@dataclass(frozen=True)
class Correction:
    """One word of a question read as another: `typed` at characters start:end of the question."""

    typed: str
    read: str
    start: int
    end: int


@dataclass(frozen=True)
class Spelled:
    """A question with its misspelt words read as the documents' (`text`), and what was read so."""

    typed: str
    text: str
    corrections: tuple[Correction, ...] = ()


def spelling_note(corrections: tuple[Correction, ...]) -> str | None:
    """What a reply says of the words read as others ('Read "optoin" as "option".'); None for none."""
    if not corrections:
        return None
    return "Read " + ", ".join(f'"{c.typed}" as "{c.read}"' for c in corrections) + "."


def swaps(word: str) -> set[str]:
    """`word` with two neighbouring letters swapped, anywhere ("hte": the)."""
    return {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)} - {word}


def edits(word: str) -> set[str]:
    """Every string one edit from a lower-case `word` that keeps its first letter in place or swaps it
    with the second: a letter deleted, two neighbours swapped, a letter replaced, or a letter inserted
    (Norvig's edits1). A word's first letter is the one people seldom get wrong (Yannakoudakis & Fawthrop
    1983), and names the documents lack are often one first letter from a word they state ("ewell": well,
    "conte": monte)."""
    first, rest = word[:1], word[1:]
    splits = [(rest[:i], rest[i:]) for i in range(len(rest) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    replaces = {a + c + b[1:] for a, b in splits if b for c in LETTERS}
    inserts = {a + c + b for a, b in splits for c in LETTERS}
    return ({first + e for e in deletes | replaces | inserts} | swaps(word)) - {word}


@functools.lru_cache(maxsize=1)
def _english() -> dict[str, int]:
    """The English words of pyspellchecker's dictionary, with how often OpenSubtitles uses them (160,572
    words, cleaned; MIT)."""
    from spellchecker import SpellChecker

    return dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)


def english(word: str) -> bool:
    """Whether a lower-case word is an English word: of the reader's vocabulary (`ingest.clean.is_word`)
    or of pyspellchecker's dictionary."""
    return is_word(word) or word in _english()


# Endings an ordinary word takes, with what its dictionary form ends in instead ("replicates": replicate).
_ENDINGS = (("s", ""), ("es", ""), ("ies", "y"), ("ed", ""), ("ed", "e"), ("ied", "y"), ("ing", ""),
            ("ing", "e"), ("ly", ""), ("er", ""), ("ers", ""), ("ment", ""), ("ments", ""))


def ordinary(word: str) -> bool:
    """Whether a lower-case word is an English word (`english`), one with an ending of such a word, or
    another spelling of one ("colour")."""
    bases = [word] + [word[: -len(end)] + base for end, base in _ENDINGS if word.endswith(end)]
    return any(english(b) or any(english(v) for v in spellings(b)) for b in bases if len(b) >= SHORTEST)


def correction(word: str, frequency: Callable[[str], int]) -> str | None:
    """The word a lower-case `word` was meant to be, or None to leave it: `frequency` tells how many
    passages state a word (by its stem), 0 for none. The words of a question's frame ("the", "which",
    "their": `lexical.QUESTION_WORDS`) are in every text, whether BM25 counts them or not; a word of three
    letters is read only as one of them with two letters swapped ("teh": the, "adn": and)."""
    if word in QUESTION_WORDS or frequency(word) or english(word):
        return None
    if len(word) < SHORTEST:
        return min((c for c in swaps(word) if c in QUESTION_WORDS), default=None)
    if ordinary(word) or any(frequency(v) for v in spellings(word)):
        return None
    found = [(english(c), frequency(c), c in QUESTION_WORDS, _english().get(c, 0), c) for c in edits(word)
             if c in QUESTION_WORDS or frequency(c)]
    return max(found)[-1] if found else None


def corrected(question: str, frequency: Callable[[str], int]) -> Spelled:
    """`question` with each misspelt word read as the documents' word it was meant to be (module doc)."""
    corrections = []
    for n, match in enumerate(_WORD.finditer(question)):
        typed = match.group(1)
        if typed != typed.lower() and not (n == 0 and typed[1:] == typed[1:].lower()):
            continue
        read = correction(typed.lower(), frequency)
        if read is not None:
            read = read.capitalize() if typed[0].isupper() else read
            corrections.append(Correction(typed, read, match.start(1), match.end(1)))
    return Spelled(question, respelled(question, corrections), tuple(corrections))


def respelled(question: str, corrections: Sequence[Correction]) -> str:
    """`question` with each correction's word read as it says (the text `corrected` returns)."""
    text = question
    for c in sorted(corrections, key=lambda c: -c.start):
        text = text[:c.start] + c.read + text[c.end:]
    return text


def names_meant(question: str, names: Sequence[str], frequency: Callable[[str], int]) -> tuple[Correction, ...]:
    """The words of a question's `names` that no passage states and one edit makes a word some passage
    states ("Serbai": Serbia), at their places in the question: what a decline for those names suggests,
    never what is answered (a name the documents lack may be the point of the question)."""
    found = []
    for name in names:
        for match in re.finditer(r"[A-Za-z]+", name):
            word = match.group()
            at = re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", question)
            read = correction(word.lower(), frequency) if at else None
            if at and read:
                read = read.upper() if word.isupper() else read.capitalize() if word[0].isupper() else read
                found.append(Correction(word, read, at.start(), at.end()))
    return tuple(found)


def meant_note(corrections: Sequence[Correction]) -> str | None:
    """What a decline says of names the documents write otherwise ('No passage writes "Serbai"; did you
    mean "Serbia"?'); None for none."""
    if not corrections:
        return None
    typed = ", ".join(f'"{c.typed}"' for c in corrections)
    read = ", ".join(f'"{c.read}"' for c in corrections)
    return f"No passage writes {typed}; did you mean {read}?"
