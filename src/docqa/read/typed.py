"""The question inside what a person typed: a greeting, thanks, a polite wrapper around a wh-question and a
long preamble before it set aside, for the reader (retrieval keeps every word).

A walkthrough typed questions as people do: "Could you tell me who led the landmine project?" was read
as a yes/no question (it opens with "could") and answered with a whole sentence; "Hi, can you please let
me know when the WIPO treaty was adopted? Thanks!" was declined at 0.990; "I'm writing a briefing for my
boss about the balkans: at which summit were they invited ...?" had its right answer at 0.0018, where the
bare question gave it at 0.9996. A reader trained on SQuAD's questions reads the bare question best.
A wrapper around "whether" or "if" stays: "Could you tell me whether ...?" is a yes/no question as it is.
"""

from __future__ import annotations

import re

_GREETING = re.compile(r"^\s*(?:hi|hello|hey|dear \w+(?: \w+)?|good (?:morning|afternoon|evening))\b"
                       r"(?: there)?[\s,!.]+", re.IGNORECASE)
_THANKS = re.compile(r"(?:[\s,.!?]+(?:(?:many )?thanks|thank you|thx|cheers)"
                     r"(?: (?:a lot|so much|very much|in advance))?|,?\s+please)[\s.!]*$", re.IGNORECASE)
_WH = r"(?:who|whom|whose|what|when|where|which|why|how)\b"
_WRAPPER = re.compile(
    r"^\s*(?:please,?\s+)?(?:(?:could|can|would|will) you (?:please |kindly )?(?:tell|let) me(?: know)?"
    r"|would you (?:please )?mind telling me|do you (?:happen to )?know|(?:i'?d|i would) like to know"
    r"|i (?:want|need) to know|i (?:was )?wonder(?:ing)?|(?:please )?(?:tell me|let me know)|any idea)"
    rf",?\s+(?={_WH})", re.IGNORECASE)
# A wh-question after a preamble: a clause boundary (a full stop, ";", ":", or "," maybe with "so", "and",
# "but"), maybe a condition ("if ..., "), then the question word, maybe after a preposition ("at which ...").
_AFTER_PREAMBLE = re.compile(r"(?:[.;:!?]|,(?:\s+(?:so|and|but))?)\s+"
                             rf"((?:if [^,;:]+,\s+)?(?:(?:at|in|on|for|from|by|with|to|of) )?{_WH})", re.IGNORECASE)
# A preamble is what a person says of themselves first ("we're running our app under valgrind at work
# and ..."): at least this many words, one of them "I", "we", "my", "our" and the like. A clause that
# leads into the question without them is part of it ("If the compiler's long type is 64 bits, what is
# the limit?", "Along with the smaller diameter of the trunk, what factor ...?").
PREAMBLE_WORDS = 8
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|me|my|we|we're|we've|we'd|us|our)\b", re.IGNORECASE)
# The question after it must be a question of its own, not a word or two.
QUESTION_WORDS = 4


def the_question(typed: str) -> str:
    """The question the reader reads of `typed`: without a greeting before it or thanks after it, without a
    polite wrapper before a wh-word ("Could you tell me who ..." -> "Who ..."), and from its last
    wh-question on after a preamble (PREAMBLE_WORDS, `_FIRST_PERSON`); its first letter a capital and a
    "?" at its end where anything was set aside. `typed` itself where nothing is."""
    text = _THANKS.sub("", _GREETING.sub("", typed)).strip()
    text = _WRAPPER.sub("", text)
    starts = [m.start(1) for m in _AFTER_PREAMBLE.finditer(text)
              if len(text[:m.start(1)].split()) >= PREAMBLE_WORDS and _FIRST_PERSON.search(text[:m.start(1)])
              and len(text[m.start(1):].split()) >= QUESTION_WORDS] if text.endswith("?") else []
    if starts:
        text = text[starts[-1]:]
    if text == typed.strip():
        return typed
    text = text.rstrip(" .!,")
    return (text[:1].upper() + text[1:] + ("" if text.endswith("?") else "?")) if text else typed
