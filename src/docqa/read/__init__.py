"""Hits -> an answer: the readers that pick a span of the retrieved passages.

    factory.py   reader names -> loaded readers: the one factory the engine asks
    trained.py   docqa's trained extractive reader (ONNX), reading passages in rank order
    decode.py    start/end logits -> spans of whole words, the null score, the surest span
    read/question.py  what a question asks for: numbers, acronyms, its names and numbers the passage must state
    rules/       the rule-based span reader of earlier versions (spaCy), kept for comparison: removable alone

Heavy dependencies: onnxruntime and tokenizers (trained); spaCy and the embedder's word vectors (rules).
"""
