"""Files -> documents -> cleaned text -> passages: the first room of the data's journey.

    corpus.py    the corpus folder: what is read (no link out, nothing hidden), content hashes, Documents
    formats.py   one reader per format (.txt .md .pdf .html .docx), bytes -> CleanText, within ReadLimits
    sandbox.py   the child process that reads each file within the time and memory limits
    clean.py     raw extracted text -> cleaned text with sections and pages (and its English word list)
    ingest/split.py     cleaned text -> passages of whole sentences, with character offsets
    uploads.py   files uploaded from the chat, stored in the corpus under safe names

Heavy dependencies: pypdf, python-docx, BeautifulSoup, pysbd. No model, no index.
"""
