"""The rule-based span reader (`--reader rules`): spaCy parses, question kinds and MiniLM word vectors.
Nothing outside this folder imports it but read/factory.py, so the folder can be removed alone.

In the order a question travels:

    reader.py          SpanReader: the spaCy pipeline, the embedder and the caches; ask -> rank -> read
    answer_type.py     a parsed question -> its AnswerType, focus noun and wh-slot (QuestionInfo)
    terms.py           the question's weighted words, and how well each matches each word of a sentence
    sentences.py       retrieved passages -> their sentences, ranked by coverage of the question and meaning
    sentence_table.py  what scoring reads of every token of a parsed sentence, gathered once per parse
    type_fits.py       how well a span of each kind fits each answer type, whatever the question
    candidates.py      a parsed sentence -> its candidate spans for every answer type at once
    span_facts.py      what scoring asks of a candidate span that does not depend on the question
    roles.py           how a span stands to the question: an instance of its kind, its wh-slot, its "is"
    score_rules.py     the named rules and weights that score a candidate, each a pure function
    scoring.py         a sentence's candidates -> their Evidence, scored by those rules
    choices.py         scored candidates -> RankedSpans best first, and the best one's confidence
"""
