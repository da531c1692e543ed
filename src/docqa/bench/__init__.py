"""What a corpus size costs: `docqa bench`.

    run.py      generated corpora, each build and question server in a fresh process, vector search alone
    report.py   the typed bench report, report.json and report.md
    chart.py    bench.png (matplotlib loads only to draw)
"""
