"""Worker loops: threads in a `ruamchat worker` process, or an asyncio task inside `ruamchat serve`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections

from ruamchat.jobs import queue

logger = logging.getLogger("ruamchat.jobs")

POLL_SECONDS = 0.5
PRUNE_EVERY_SECONDS = 3600
PERIODIC_CHECK_SECONDS = 5.0
#: the longest wait between tries while the database is unreachable
MAX_ERROR_WAIT_SECONDS = 5.0

#: long-running loops apps add to every worker process (e.g. the mailbox watchers): each runs in its own
#: thread with the worker's stop event and must return soon after it is set
_services: dict[str, Callable[[threading.Event], None]] = {}


def add_service(name: str, loop: Callable[[threading.Event], None]) -> None:
    _services[name] = loop


def start_services(stop: threading.Event) -> list[threading.Thread]:
    threads = []
    for name, loop in sorted(_services.items()):
        thread = threading.Thread(target=_run_service, args=(name, loop, stop), name=f"ruamchat-{name}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def _enqueue_due_periodic() -> None:
    close_old_connections()
    try:
        queue.enqueue_due_periodic()
    finally:
        close_old_connections()


def _run_service(name: str, loop: Callable[[threading.Event], None], stop: threading.Event) -> None:
    try:
        loop(stop)
    except Exception:
        logger.exception("service %s stopped with an error", name)
    finally:
        connections.close_all()  # this thread's connections: it is ending


worker_id = queue.worker_id


def _maintain(*, at_start: bool = False) -> None:
    """Renew this process's leases and take back the jobs of dead workers on this host (own thread, own
    connection). A database that is away only postpones it."""
    close_old_connections()
    try:
        if at_start:
            queue.reclaim_from_dead_processes(at_start=True)
        else:
            queue.renew_leases()
            queue.reclaim_from_dead_processes()
    except Exception:
        logger.warning("could not renew job leases (is the database reachable?)", exc_info=logger.isEnabledFor(10))
    finally:
        close_old_connections()


def _renew_every() -> float:
    return max(queue.lease().total_seconds() / 4, 1.0)


class _Errors:
    """One worker thread's run of failures: waits longer while the database stays away, logs the first one in
    full, and afterwards gives back the jobs an escaped error left leased to it."""

    def __init__(self, me: str) -> None:
        self.me = me
        self.count = 0

    def failed(self) -> float:
        self.count += 1
        if self.count == 1:
            logger.exception("worker loop error; continuing")
        else:
            logger.debug("worker loop error %s in a row", self.count, exc_info=True)
        close_old_connections()
        return min(POLL_SECONDS * 2 ** min(self.count, 8), MAX_ERROR_WAIT_SECONDS)

    def succeeded(self) -> None:
        if self.count:
            self.count = 0
            try:
                queue.release(self.me)
            except Exception:
                logger.debug("could not release jobs yet", exc_info=True)


def run_threads(concurrency: int, stop: threading.Event, poll: float = POLL_SECONDS, *,
                services: bool = True) -> None:
    """Block running ``concurrency`` worker threads (and the apps' services) until ``stop`` is set."""
    wake = threading.Condition()

    def notify() -> None:
        with wake:
            wake.notify_all()

    queue.add_waker(notify)
    _maintain(at_start=True)

    def loop(n: int) -> None:
        me = worker_id(f":{n}")
        errors = _Errors(me)
        last_prune = last_periodic = 0.0
        while not stop.is_set():
            wait = poll
            try:
                if n == 0 and time.monotonic() - last_prune > PRUNE_EVERY_SECONDS:
                    queue.prune()
                    last_prune = time.monotonic()
                if n == 0 and time.monotonic() - last_periodic > PERIODIC_CHECK_SECONDS:
                    queue.enqueue_due_periodic()
                    last_periodic = time.monotonic()
                ran = queue.run_next_in_worker(me)
                errors.succeeded()
                if ran:
                    continue
            except Exception:
                wait = errors.failed()
            with wake:
                wake.wait(wait)

    threads = [threading.Thread(target=loop, args=(n,), name=f"ruamchat-worker-{n}", daemon=True)
               for n in range(concurrency)]
    for thread in threads:
        thread.start()
    threads += start_services(stop) if services else []
    try:
        while not stop.wait(_renew_every()):
            _maintain()
    finally:
        stop.set()
        notify()
        for thread in threads:
            thread.join(timeout=30)
        queue.remove_waker(notify)


async def run_in_loop(stop: asyncio.Event, concurrency: int = 2, poll: float = POLL_SECONDS, *,
                      services: bool = True) -> None:
    """The in-process worker of `ruamchat serve`: runs jobs in threads, woken at once by new jobs.

    Running inside the server's event loop matters for the embedded set-up: handlers publish realtime
    events through the in-memory channel layer, which only reaches consumers of this same loop.
    """
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    def notify() -> None:
        loop.call_soon_threadsafe(wake.set)

    queue.add_waker(notify)
    run_next = sync_to_async(queue.run_next_in_worker, thread_sensitive=False)
    services_stop = threading.Event()
    service_threads = start_services(services_stop) if services else []

    due_periodic = sync_to_async(_enqueue_due_periodic, thread_sensitive=False)
    maintain = sync_to_async(_maintain, thread_sensitive=False)
    await maintain(at_start=True)

    async def one(n: int) -> None:
        me = worker_id(f":async{n}")
        errors = _Errors(me)
        last_periodic = 0.0
        while not stop.is_set():
            wait = poll
            try:
                if n == 0 and time.monotonic() - last_periodic > PERIODIC_CHECK_SECONDS:
                    last_periodic = time.monotonic()
                    await due_periodic()
                ran = await run_next(me)
                if errors.count:
                    await sync_to_async(errors.succeeded, thread_sensitive=False)()
                if ran:
                    continue
            except Exception:
                wait = await sync_to_async(errors.failed, thread_sensitive=False)()
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=wait)

    async def renew() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=_renew_every())
            if not stop.is_set():
                await maintain()

    try:
        await asyncio.gather(renew(), *(one(n) for n in range(concurrency)))
    finally:
        queue.remove_waker(notify)
        services_stop.set()
        for thread in service_threads:
            await asyncio.to_thread(thread.join, 30)
