"""The rule-based span reader (`--reader rules`): spaCy parses, question kinds and MiniLM word vectors.
Nothing outside this folder imports it but read/factory.py, so the folder can be removed alone."""
