"""Question -> what the trained reader and the engine ask of it: whether it wants a number, the names
and numbers a passage must state (`key_terms`, `unmentioned`), the acronym it asks to spell out.

Pure functions over the raw text, without spaCy. The answer types, focus nouns and wh-slots that only
the rule-based reader reads from a spaCy parse are read/rules/answer_type.py.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from docqa.ingest.clean import is_word

# Questions whose answer states a number: a count, a sum of money, a share, a population, a year.
# How much qualifies only with money, maybe after two words ("how much grant money"; "doubled", "all", "large
# quantities" answer the others), or with space or memory ("how much disk space do I need": 6 of SQuAD's 8
# such questions are answered with a number, "quadruple" and "CPU time" the others; a manual's "make all
# install" answered one with "all"). Of the 9,350 questions of SQuAD v1.1 train that these patterns took
# before space and memory joined them, 66 (0.7%) have no answer that `states_number` accepts ("virtually
# all", "numerous", "free").
_NUMBER_QUESTION = re.compile(
    r"\bhow many\b"
    r"|\bhow much ((\w+ ){0,2}(money|funding|cash|revenue|income|profit|debt|aid|capital"
    r"|space|memory|ram|storage|bandwidth)\b"
    r"|(\w+ )?(did|does|do|will|would|has|have|had|is|was)\b.*\b(cost|costs|spend|spent|pay|paid|earn|earned"
    r"|raise|raised|receive|received|contribute|contributed|invest|invested|owe|owed|worth)\b)"
    r"|\b(what|which) (year|percentage|percent)\b"
    r"|\bwhat (is|was|are|were) the (population|percentage)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds "
    "thousand thousands million millions billion billions trillion trillions dozen dozens half quarter "
    "once twice thrice single double triple several few both couple none "
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth twentieth hundredth"
).split()
_NUMBER_TEXT = re.compile(r"\d|%|\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)


def wants_number(question: str) -> bool:
    """Whether the question asks for a count, an amount of money, space or memory, a share, a population or
    a year."""
    return _NUMBER_QUESTION.search(question) is not None


def states_number(text: str) -> bool:
    """Whether an answer states a number: a digit, a per cent sign, a number word or an ordinal."""
    return _NUMBER_TEXT.search(text) is not None


# A question that offers its own answers: "slower or more rapid?", "between Rome and Milan, which ...".
_OFFERS_CHOICE = re.compile(r"\bor\b|\bbetween\b|\beither\b|\bwhether\b", re.IGNORECASE)


def restates(question: str, answer: str) -> bool:
    """Whether the answer only repeats words of the question, in its order ("Which index class,
    analogous to yearmon, ...?" -> "yearmon"): what a question names is what it asks about, not its
    answer, unless it offers a choice ("Was growth slower or more rapid?" -> "more rapid"). Words are
    compared in lower case, without accents, punctuation or articles."""
    if _OFFERS_CHOICE.search(question):
        return False

    def words(text: str) -> list[str]:
        return [w for w in re.findall(r"[^\W_]+", plain(text).lower()) if w not in ("a", "an", "the")]

    said, asked = words(answer), words(question)
    return bool(said) and any(asked[k:k + len(said)] == said for k in range(len(asked) - len(said) + 1))


# Words a question capitalises without naming anything: its first word, these, and "I".
_NOT_NAMES = frozenset(
    "what which who whom whose when where why how is are was were do does did can could should would will "
    "in on at of for to by from as the a an and or i i'm i've i'd i'll according after before during "
    "mr mrs ms dr prof st sir".split()
)
# Short words a name may hold between its capitalised words ("Partnership for Peace").
_NAME_JOINERS = frozenset("of for and the de la du von van".split())
# A name of one word with a nationality's or language's ending names no one thing a passage must
# state ("translate to what in English?"); inside a longer name ("European Union") it is checked.
_PEOPLES = re.compile(r"(ish|ese|ian|ean)$|^(french|dutch|greek|thai|swiss|welsh|czech|arab|latin)$", re.IGNORECASE)
_WORD = re.compile(r"[^\W_](?:[\w'.&-]*[^\W_])?")
# A number of two digits or more, or with a decimal part ("1.1"), standing alone: not part of a word
# ("ww1", "238U"), not an ordinal ("20th", often written out), not one digit ("1 billion" is as often
# "one billion"), not the end of a range or the parts of a date after the first ("2019-20", "2006-05-12").
_DIGITS = re.compile(r"(?<![^\W_])(?<!\d[-–/])(?:\d{2,}(?:[.,]\d+)*|\d(?:[.,]\d+)+)(?![^\W_])")
# Endings a word of the text may add to a name of the question, and a name of the question may add to
# the text's ("Serbia" and "Serbian", "Europe" and "European", "Yugoslav" and "Yugoslavia",
# "Partnership" and "Partnerships").
_SUFFIXES = r"(?:s|es|'s|n|an|ia|ian|ese|ish)?"


@dataclass(frozen=True)
class KeyTerms:
    """The names (runs of capitalised words, "Partnership for Peace") and numbers ("28000", "1.1") a
    question states; a passage that answers it should state them too (see `unmentioned`)."""

    names: tuple[tuple[str, ...], ...]
    numbers: tuple[str, ...]


def _title_case(words: list[str]) -> bool:
    """Whether a question capitalises (nearly) every word after the first ("Who Wrote Hamlet?")."""
    rest = [word for word in words[1:] if word.lower() not in _NAME_JOINERS]
    return len(rest) >= 2 and sum(word[:1].isupper() for word in rest) >= 0.75 * len(rest)


def key_terms(question: str) -> KeyTerms:
    """The names and numbers of a question. The first word of each of its sentences is never a name,
    as sentences begin with a capital; hyphenated words count part by part ("Warsaw Pact-era" names
    Warsaw Pact); a question in capitals throughout, or in title case, has numbers only."""
    question = plain(question)
    matches = list(_WORD.finditer(question))
    casing = [match.group() for match in matches]
    # Capitals throughout, or on (nearly) every word, tell no names from other words.
    if not any(char.islower() for char in question) or _title_case(casing):
        matches = []
    words: list[tuple[str, bool]] = []  # (word, begins a sentence)
    for k, match in enumerate(matches):
        before = question[: match.start()].rstrip()
        previous = matches[k - 1].group() if k else ""
        # A full stop after a title or an initial ("Mr. Smith", "J. Smith") ends no sentence.
        abbreviation = previous.lower() in _NOT_NAMES or (len(previous) == 1 and previous.isupper())
        first = k == 0 or (before.endswith((".", "!", "?", ":")) and not (before.endswith(".") and abbreviation))
        words += [(part, first and n == 0) for n, part in enumerate(match.group().split("-")) if part]
    names: list[tuple[str, ...]] = []
    run: list[str] = []
    for k, (word, first) in enumerate(words):
        bare = re.sub(r"'s$", "", word)
        capital = not first and bare[:1].isupper() and bare.lower().rstrip(".") not in _NOT_NAMES
        if capital:
            run.append(bare)
        elif run and bare.lower() in _NAME_JOINERS and k + 1 < len(words) and words[k + 1][0][:1].isupper():
            run.append(bare)
        else:
            if run:
                names.append(tuple(run))
            run = []
    if run:
        names.append(tuple(run))
    names = [name for name in names if not (len(name) == 1 and _PEOPLES.search(name[0]))]
    # A comma before three digits parts thousands ("28,000"); before one or two it is a decimal comma ("412,80").
    numbers = tuple(dict.fromkeys(re.sub(r",(?=\d{3}(?!\d))", "", n) for n in _DIGITS.findall(question)))
    return KeyTerms(tuple(names), numbers)


def _nationality_forms(word: str) -> set[str]:
    """The word and the forms a nationality's ending stands for: "Serbian" -> Serbia, "Canadian" ->
    Canada, "Japanese" -> Japan, "Chinese" -> China, "Swedish" -> Sweden, "Polish" -> Poland."""
    forms = {word}
    if word.endswith("n"):
        forms.add(word[:-1])
    if word.endswith("an"):
        forms.add(word[:-2])
    if word.endswith("ian"):
        forms.add(word[:-3] + "a")
    if word.endswith("ese"):
        forms |= {word[:-3], word[:-3] + "a"}
    if word.endswith("ish"):
        forms |= {word[:-3], word[:-3] + "en", word[:-3] + "and"}
    return {form for form in forms if len(form) >= 2}


# A month's or a weekday's short form stands for the whole word: "Jan 2002" asks of "January 2002".
MONTH_FORMS = {
    "jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june", "jul": "july",
    "aug": "august", "sep": "september", "sept": "september", "oct": "october", "nov": "november",
    "dec": "december",
}
_SHORT_FORMS = {
    **MONTH_FORMS, "mon": "monday", "tue": "tuesday", "tues": "tuesday", "wed": "wednesday",
    "thu": "thursday", "thur": "thursday", "thurs": "thursday", "fri": "friday", "sat": "saturday",
    "sun": "sunday",
}


def _states_word(word: str, text: str, lowered: str) -> bool:
    """Whether the text (`lowered`: lower-cased) holds the word as a whole word, give or take a
    nationality's or a plural's ending on either side ("Serbian" in a text about Serbia; not "Austria"
    in "Australia"). A one-letter name, a language or a symbol ("R", "C++", "matrix Z"), is matched as
    written: "z" is another symbol, and "a" or "i" in lower case are other words. A month's or a
    weekday's short form is stated by the whole word too ("Jan": "January"), a plural by its singular
    (an acronym's too: "DTDs" by "DTD")."""
    if len(word.rstrip(".")) == 1:
        return re.search(r"(?<!\w)" + re.escape(word.rstrip(".")) + r"(?!\w)", text) is not None
    acronym_plural = re.fullmatch(r"[A-Z][A-Za-z0-9]*[A-Z0-9]s", word) is not None
    word = word.lower().rstrip(".")
    forms = _nationality_forms(word) | ({_SHORT_FORMS[word]} if word in _SHORT_FORMS else set())
    if acronym_plural or (len(word) >= 5 and word.endswith("s") and not word.endswith("ss")):
        forms.add(word[:-1])  # a plural the text writes singular: "on Tuesdays" of a rota's "Tuesday"
    return any(re.search(r"(?<!\w)" + re.escape(form) + _SUFFIXES + r"(?!\w)", lowered) for form in forms)


def _spells(acronym: str, words: list[str]) -> bool:
    """Whether consecutive words of the text have the acronym's letters as initials ("PC": personal
    computer; "PfP": Partnership for Peace; "U.S.": United States), short joining words skipped where
    they do not fit."""
    letters = re.sub(r"[^a-z0-9]", "", acronym.lower())[:12]
    if not letters:
        return False
    for first in range(len(words)):
        k, at = 0, first
        while at < len(words) and k < len(letters):
            if words[at][:1].lower() == letters[k]:
                k += 1
            elif words[at].lower() not in _NAME_JOINERS:
                break
            at += 1
        if k == len(letters):
            return True
    return False


# An acronym in brackets after the name it stands for: "(SHAPE)", "(PfP)"; two capitals at least, so
# that "(a)" or "(Table)" is none.
_ACRONYM = re.compile(r"[A-Z][a-z]*[A-Z][A-Za-z]*")  # linear: one way to match
_BRACKETED_ACRONYM = re.compile(rf"\(({_ACRONYM.pattern})\)")
_MAX_ACRONYM = 15
# Where a name cannot run across: a sentence's or a clause's end, a line break.
_NAME_STOP = re.compile(r"[.!?;:](?:\s|$)|\n")
_NAME_CHARS_PER_LETTER = 40
_WORD_RUN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


def _expansion(text: str, bracket: int, acronym: str) -> tuple[int, int] | None:
    """[start, end) of the words right before `bracket` whose initials spell `acronym`, matched from
    its last letter back ("Supreme Headquarters Allied Powers Europe (SHAPE)"). Short joining words
    are skipped where they do not fit, and where they fit they are first tried skipped, so that the
    name starts with a word of its own ("Applied and Computational Mathematics and Statistics (ACMS)",
    not "and Computational ..."; "Planning and Review Process (PARP)" takes its "and"). None when the
    words do not spell it."""
    letters = acronym.lower()
    if len(letters) > _MAX_ACRONYM:
        return None
    # The name's words lie within two per letter (a joining word beside each) of the bracket, in its
    # sentence ("U.S. Food and Drug Administration (FDA)" has its name after "U.S. "), from a word's start.
    base = max(0, bracket - _NAME_CHARS_PER_LETTER * len(letters))
    for stop in _NAME_STOP.finditer(text, base, bracket):
        base = stop.end()
    words = list(_WORD_RUN.finditer(text, base, bracket))
    if words and words[0].start() == base > 0 and text[base - 1].isalnum():
        words = words[1:]
    words = words[-2 * len(letters):]
    if not words or text[words[-1].end():bracket].strip():
        return None

    @functools.cache  # each (word, letter) pair once: joining words that fit a letter branch two ways
    def first_word(at: int, k: int) -> int | None:  # words[: at + 1] spell letters[:k]; the name's first word
        if k == 0:
            return at + 1 if words[at + 1].group().lower() not in _NAME_JOINERS else None
        if at < 0:
            return None
        word = words[at].group().lower()
        if word in _NAME_JOINERS and (found := first_word(at - 1, k)) is not None:
            return found
        return first_word(at - 1, k - 1) if word[0] == letters[k - 1] else None

    first = first_word(len(words) - 1, len(letters))
    return (words[first].start(), words[-1].end()) if first is not None else None


# Wordings that ask what an acronym stands for: "What does SHAPE stand for?", "NCSA is short for what?",
# "the acronym GESO", "What is CAIT an abbreviation of?"
_ASKS_EXPANSION = re.compile(r"\bstands? for\b|\bshort for\b|\babbreviat|\bacronym", re.IGNORECASE)
# ... unless the acronym itself is asked for: "Which acronym does NATO use?", "What is the abbreviation
# for the Partnership for Peace?", "What is X abbreviated as?" ("What is SHAPE an acronym for?" still
# asks for the name).
_ASKS_ACRONYM = re.compile(r"\b(?:which|what)\s+(?:\w+\s+)?(?:acronym|abbreviation)"
                           r"|\b(?:acronym|abbreviation)s?\s+(?:for|of)\s+\w|\babbreviated\s+(?:as|to)\b", re.IGNORECASE)


@dataclass(frozen=True)
class SpelledOut:
    """A name spelled out before its acronym: text[start:end] is the name, "(acronym)" ends at bracket_end."""

    acronym: str
    start: int
    end: int
    bracket_end: int


def spelled_out_names(text: str) -> list[SpelledOut]:
    """Every name of `text` spelled out right before its bracketed acronym, in order."""
    names = []
    for match in _BRACKETED_ACRONYM.finditer(text):
        name = _expansion(text, match.start(), match.group(1))
        if name is not None:
            names.append(SpelledOut(match.group(1), name[0], name[1], match.end()))
    return names


def acronym_asked(question: str) -> str | None:
    """The acronym whose spelled-out name the question asks for ("What does SHAPE stand for?" ->
    "SHAPE"), None when it asks something else."""
    if not _ASKS_EXPANSION.search(question) or _ASKS_ACRONYM.search(question):
        return None
    found = [w for w in re.findall(r"[^\W_]+", question) if _ACRONYM.fullmatch(w)]
    return found[0] if len(found) == 1 else None


def whole_name(text: str, start: int, end: int, acronym: str | None) -> tuple[int, int]:
    """For a question asking what `acronym` stands for (`acronym_asked`): [start, end) made the whole
    name that the text spells out before "(acronym)" when the span overlaps that name or its bracket:
    "Allied Powers Europe" in "Supreme Headquarters Allied Powers Europe (SHAPE)" -> "Supreme
    Headquarters Allied Powers Europe", "thermocouple or Resistance Temperature Detector (RTD)" ->
    "Resistance Temperature Detector". Any other span, and any span for another question, is left as
    it is: "Los Angeles" in "University of California, Los Angeles (UCLA)" answers "Where?"."""
    if acronym is None:
        return start, end
    for name in spelled_out_names(text):
        if name.acronym == acronym and start < name.bracket_end and end > name.start:
            return name.start, name.end
    return start, end


def _states_name(name: tuple[str, ...], text: str, lowered: str, words: list[str]) -> bool:
    content = [word for word in name if word.lower() not in _NAME_JOINERS]
    # Initials count only in a name made of nothing else: "George H. W. Bush" is stated by "George Bush".
    content = [word for word in content if len(word.rstrip(".")) > 1] or content
    stated = sum(_states_word(word, text, lowered) for word in content)
    if stated == len(content) or (len(content) >= 3 and stated == len(content) - 1):
        return True
    initials = "".join(word[0] for word in name)
    if len(name) > 1 and re.search(r"(?<!\w)" + re.escape(initials) + r"(?!\w)", text, re.IGNORECASE):
        return True  # "Partnership for Peace" where the text says "PfP"
    word = name[0]
    return len(name) == 1 and sum(c.isupper() for c in word) >= 2 and _spells(word, words)


def plain(text: str) -> str:
    """The text without accents ("Kármán" -> "Karman") and with straight apostrophes ("O’Reilly" ->
    "O'Reilly"), so that a question typed either way matches."""
    text = text.replace("’", "'").replace("‘", "'")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def unmentioned(terms: KeyTerms, text: str) -> tuple[str, ...]:
    """The question's names and numbers that `text` does not state, as written in the question.

    A name is stated when each of its words is (whole, give or take a nationality's or a plural's
    ending: "Serbian" for "Serbia"), when its initials are ("PfP" for Partnership for Peace), or, for
    an acronym, when consecutive words spell it; a number when its digits stand alone ("28,000" and
    "28 000" for 28000), maybe with a decimal part of zeros ("99.0%" for "under 99%")."""
    text = plain(text)
    lowered = text.lower()
    words = re.findall(r"[^\W_]+", text)
    missing = [" ".join(name) for name in terms.names if not _states_name(name, text, lowered, words)]
    digits = re.sub(r"(?<=\d)[,\u00a0\u202f ](?=\d{3}(?!\d))", "", text)
    missing += [n for n in terms.numbers
                if not re.search(r"(?<!\d)(?<!\d[.,])" + re.escape(n) + r"(?:[.,]0+)?(?!\d|[.,]\d)", digits)]
    return tuple(missing)


# ---- the question's language ------------------------------------------------------------------------
# Words an English question almost always has one of, and a question in another language rarely: "a" and
# "die", words of French and German too, are not here; "in" and "was", German too, are, English being the
# likelier.
_ENGLISH_WORDS = frozenset("""
    what who whom whose when where why how which is are was were do does did can could should would will
    shall may might must the of to in on for with from by at about this that these those there have has had
    been not and or if you we they he she it my your our their any some name define list describe explain
    give tell
""".split())
_LETTER_WORDS = re.compile(r"[^\W\d_]+")
_LATIN_END = "\u0250"  # Latin letters, with their accents, come before this in Unicode


def in_english(question: str, known: Callable[[str], bool] | None = None) -> bool:
    """Whether the question reads as English, which the reader and the documents' index understand: one
    of _ENGLISH_WORDS, or mostly Latin letters and, from three words on, more than half of them English
    words or words the documents use (`known`: "valgrind java jit option" asked of Valgrind's FAQ)
    ("¿Quién escribió ls?", "Wo steht die Kaffeemaschine?" and "北京在哪里" are not; "lme4 glmer"
    and "kalemegdan football scores" are). Of SQuAD v1.1 train's and NQ's questions and the project's
    evaluation files (95,256), one is not: "Whch astronomer developed a heliocentric system?"."""
    words = [word.lower() for word in _LETTER_WORDS.findall(question)]
    if any(word in _ENGLISH_WORDS for word in words):
        return True
    letters = "".join(words)
    if sum(ch < _LATIN_END for ch in letters) * 2 < len(letters):
        return False
    return len(words) < 3 or sum(is_word(w) or (known is not None and known(w)) for w in words) * 2 > len(words)
