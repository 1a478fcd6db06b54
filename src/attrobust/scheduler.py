"""One wake-up timer for Snakemake's job scheduler (a workaround, applied by the workflow).

Snakemake 9.27 (``snakemake.scheduling.job_scheduler.JobScheduler``) rate-limits job starts
by default (``--max-jobs-per-timespan 100/1s``). With a rate limit, every pass of the
scheduler loop ends by starting a ``threading.Timer`` that wakes the loop again one timespan
later, whatever woke it. A finished job also wakes it, so every finished job starts one more
timer chain that lasts until the run ends: after n jobs the loop runs about n passes a second,
each stat-ing the inputs of every ready job (and, with the ILP scheduler, solving). Measured
on this repository's default config, the snakemake process spent ~10 CPU minutes of a
42-minute run this way (83 threads after 160 jobs; 176 after the 264 jobs of the real-data
tier), on a 2-core machine where the jobs compete for the same cores
(benchmarks/bench_scheduler.py). The timers are not daemon threads, either: a process waits
for the pending ones at exit.

:func:`one_wakeup_timer` replaces the method that starts the timer: a pass starts one only
when none is pending, and it is a daemon thread. The loop is still woken at least once per
timespan while it runs (what the rate limit needs: jobs it held back get started) and by
every finished job, as before; only the duplicate wake-ups go.
"""
from __future__ import annotations

import threading


def one_wakeup_timer(scheduler_class=None) -> bool:
    """Patch ``scheduler_class._schedule_reevalutation`` (default: Snakemake's
    ``JobScheduler``) to keep at most one pending daemon timer per scheduler. Returns False,
    changing nothing, where the class has no such method (another Snakemake version)."""
    if scheduler_class is None:
        from snakemake.scheduling.job_scheduler import JobScheduler as scheduler_class
    original = getattr(scheduler_class, "_schedule_reevalutation", None)
    if original is None:
        return False
    if getattr(original, "one_wakeup_timer", False):
        return True

    def _schedule_reevalutation(self, delay) -> None:
        # the scheduler loop and the executor's threads both call this: dict.setdefault is atomic
        lock = self.__dict__.setdefault("_one_timer_lock", threading.Lock())

        def wake():
            with lock:
                self._one_timer_pending = False   # before the release: the pass it starts may re-arm
            self._open_jobs.release()

        with lock:
            if getattr(self, "_one_timer_pending", False):
                return
            self._one_timer_pending = True
        timer = threading.Timer(delay, wake)
        timer.daemon = True
        timer.start()

    _schedule_reevalutation.one_wakeup_timer = True
    scheduler_class._schedule_reevalutation = _schedule_reevalutation
    return True
