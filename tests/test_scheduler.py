"""attrobust.scheduler: Snakemake's scheduler keeps one pending wake-up timer, not one per
finished job."""
import threading
import time

from attrobust import scheduler


class FakeScheduler:
    """What the patched method uses of snakemake's JobScheduler: the semaphore its loop waits on."""

    def __init__(self):
        self._open_jobs = threading.Semaphore(0)

    def _schedule_reevalutation(self, delay):   # snakemake 9.27's, as shipped
        threading.Timer(delay, lambda: self._open_jobs.release()).start()


def _wakeups(s, seconds):
    n, end = 0, time.monotonic() + seconds
    while s._open_jobs.acquire(timeout=max(0.0, end - time.monotonic())):
        n += 1
    return n


def test_the_shipped_method_starts_a_timer_per_call():
    # the bug the workaround is for: every call (one per scheduler pass) adds a wake-up
    s = FakeScheduler()
    for _ in range(5):
        s._schedule_reevalutation(0.05)
    assert _wakeups(s, 0.5) == 5


def test_one_pending_daemon_timer_and_it_rearms_after_firing():
    cls = type("Patched", (FakeScheduler,), {})
    assert scheduler.one_wakeup_timer(cls)
    assert scheduler.one_wakeup_timer(cls)   # twice: still one layer
    s = cls()
    before = set(threading.enumerate())
    for _ in range(5):
        s._schedule_reevalutation(0.05)
    timers = set(threading.enumerate()) - before
    assert len(timers) == 1 and all(t.daemon for t in timers)   # the process need not wait at exit
    assert _wakeups(s, 0.5) == 1
    # the pass the wake-up starts may arm the next one: the loop is still woken while it runs
    s._schedule_reevalutation(0.05)
    assert _wakeups(s, 0.5) == 1


def test_snakemakes_scheduler_has_the_patched_method():
    # the pinned snakemake has the method; another version without it is left alone
    from snakemake.scheduling.job_scheduler import JobScheduler

    assert callable(JobScheduler._schedule_reevalutation)
    assert scheduler.one_wakeup_timer(type("Other", (), {})) is False
