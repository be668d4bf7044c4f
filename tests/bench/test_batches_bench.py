"""The long-PDF memory figure: medians over stretches of the run, so one busy instant does not decide it."""

from __future__ import annotations

from bench.batches import EARLY, LATE, Run, rss_over


def run_with(memory: list[tuple[float, float]]) -> Run:
    return Run(items=len(memory), done=len(memory), failed=0, expanding_s=1.0, checking_s=1.0, memory=memory)


def test_one_sample_at_a_busy_instant_does_not_move_a_stretch():
    flat = [(i / 100, 500.0) for i in range(101)]
    flat[100] = (1.0, 600.0)  # the last sample caught a page's image in memory
    flat[10] = (0.1, 420.0)  # an early one caught the process between pages
    run = run_with(flat)
    assert rss_over(run, *EARLY) == 500.0
    assert rss_over(run, *LATE) == 500.0


def test_memory_that_keeps_growing_shows_in_the_late_stretch():
    run = run_with([(i / 100, 400.0 + 2 * i) for i in range(101)])  # a leak: 2 MiB a page
    assert rss_over(run, *LATE) / rss_over(run, *EARLY) - 1 > 0.3


def test_samples_before_any_page_finished_or_after_the_process_went_are_left_out():
    run = run_with([(0.15, 0.0), (0.15, 480.0), (0.95, 0.0), (0.95, 490.0)])
    assert (rss_over(run, *EARLY), rss_over(run, *LATE)) == (480.0, 490.0)
