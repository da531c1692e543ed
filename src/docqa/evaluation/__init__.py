"""Questions with their expected answers -> scores -> a report: `docqa eval`.

    items.py     evaluation files (JSON lines) and the chat's feedback in the same format
    run.py       asks the engine every question; writes the report's files and the calibration
    metrics.py   SQuAD EM/F1 and retrieval hits (pure)
    evaluation/scoring.py   each item's miss label; figures overall and per group; the threshold sweep
    report.py    the typed report and its report.json
    evaluation/compare.py   the comparison with an earlier run's scorecard
    evaluation/render.py    the printed summary and report.md
    chart.py     threshold.png (matplotlib loads only here, only to draw)
"""
