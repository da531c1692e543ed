"""Hits -> an answer: the readers that pick a span, or for a question a span is too short for the
sentence, of the retrieved passages.

    factory.py   reader names -> loaded readers: the one factory the engine asks
    trained.py   docqa's trained extractive reader (ONNX), reading passages in rank order
    decode.py    start/end logits -> spans of whole words, the null score, the surest span
    read/question.py  what a question asks for: numbers, acronyms, its names and numbers the passage must state
    form.py      the question's form (yes/no, how, why, what happens, definition, list, factoid), named rules;
                 the term a definition asks about and whether a text defines it
    sentences.py a passage's sentences and enumerations, the reader's evidence for each, the one that answers
    verdict.py   "yes" or "no" only where the answering sentence says it in words
    rules/       the rule-based span reader of earlier versions (spaCy), kept for comparison: removable alone

Heavy dependencies: onnxruntime and tokenizers (trained); spaCy and the embedder's word vectors (rules).
"""
