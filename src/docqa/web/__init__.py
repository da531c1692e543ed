"""The web shell: the chat (Gradio) and the JSON API (FastAPI) over one Engine, served together.

    chat.py     the chat page: asking (within chosen documents), the kept conversation and its export,
                feedback, the documents panel (add, replace, remove), rebuilds
    format.py   replies, status, builds and the documents table as escaped HTML (pure)
    turns.py    a conversation's turns: kept in the browser as JSON, exported as Markdown, fed back (pure)
    api.py      /api/: ask, documents, status, rebuild, with its OpenAPI schema
    server.py   credentials, and serving the chat at / and the API at /api/ with uvicorn

Heavy dependencies: gradio, fastapi, uvicorn; it imports the engine, never a model library itself.
"""
