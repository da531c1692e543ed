"""The one Markdown table writer and the one LRU cache, at the bottom of the house."""

from __future__ import annotations

import threading

import pytest

from docqa.caching import LRU
from docqa.tables import cell, markdown_table
from docqa.text import confidence_text, size_text, threshold_text


def test_cells_are_escaped_so_that_the_table_holds():
    assert cell("a|b\\c\nd") == "a\\|b\\\\c d"
    assert markdown_table(["q", "answer"], [["What?", "x | y"], ["Why?", 3]]) == [
        "| q | answer |",
        "|---|---|",
        "| What? | x \\| y |",
        "| Why? | 3 |",
    ]


def test_the_least_recently_used_entry_goes_first():
    cache: LRU[int] = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == (1, None, 3, 2)
    with pytest.raises(ValueError, match="an LRU holds at least one entry, not 0"):
        LRU(0)


def test_threads_sharing_an_lru_keep_its_size():
    cache: LRU[int] = LRU(50)

    def work(offset: int) -> None:
        for n in range(2000):
            cache.put((offset, n), n)
            cache.get((offset, n // 2))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 50


@pytest.mark.parametrize(("size", "shown"), [(None, ""), (0, "0 B"), (999, "999 B"), (8120, "8.1 kB"),
                                             (12_345_678, "12.3 MB")])
def test_sizes_read_as_a_person_reads_them(size, shown):
    assert size_text(size) == shown


@pytest.mark.parametrize(("threshold", "shown"), [(0.5, "0.50"), (0.3, "0.30"), (1.0, "1.00"), (0.99, "0.99"),
                                                  (0.995, "0.995"), (0.9995, "0.9995"), (0.99999, "1.0000")])
def test_a_threshold_keeps_the_decimal_that_two_would_round_away(threshold, shown):
    assert threshold_text(threshold) == shown


@pytest.mark.parametrize(("confidence", "threshold", "shown"), [(0.9949, 0.995, "0.994"), (0.9951, 0.995, "0.995"),
                                                                (0.995, 0.995, "0.995"), (0.9, 1.0, "0.90"),
                                                                (0.1, 0.3, "0.10"), (0.996, 0.99, "0.99"),
                                                                (0.29999, 0.3, "0.29")])
def test_a_confidence_reads_as_reaching_its_threshold_exactly_when_it_does(confidence, threshold, shown):
    assert confidence_text(confidence, threshold) == shown
