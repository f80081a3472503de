"""The virtual-time loop jumps only when idle, and hands thread work over in start order.

Each test plays its own :func:`plumbing.virtual.run` (a fresh loop, virtual time 0) from
a synchronous test function: pytest's own loop is an ordinary one. Sockets here are
real loopback TCP (as between the parts of a game day); threads really sleep.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time

import pytest

from plumbing import virtual
from plumbing.clock import VirtualClock


def test_sleeping_jumps_straight_to_the_timer():
    async def main() -> tuple[float, int]:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(3600)
        assert isinstance(loop, virtual.VirtualEventLoop)
        return loop.time(), loop.jumps

    wall = time.monotonic()
    now, jumps = virtual.run(main())
    assert now == 3600.0
    assert jumps == 1
    assert time.monotonic() - wall < 1.0


def test_timers_and_timeouts_run_on_virtual_time_in_order():
    async def main() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        seen: list[tuple[str, float]] = []

        def fire(name: str) -> None:
            seen.append((name, loop.time()))

        for name, at in (("c", 30.0), ("a", 10.0), ("b", 20.0)):
            loop.call_later(at, fire, name)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(25):
                await asyncio.Event().wait()  # nothing will set it: the timeout must fire
        seen.append(("timeout", loop.time()))
        await asyncio.sleep(10)
        return seen

    assert virtual.run(main()) == [("a", 10.0), ("b", 20.0), ("timeout", 25.0), ("c", 30.0)]


def test_a_ready_callback_holds_time_still():
    async def main() -> tuple[list[float], float]:
        loop = asyncio.get_running_loop()
        fired: list[float] = []
        loop.call_later(1.0, lambda: fired.append(loop.time()))
        seen = []
        for _ in range(2000):  # a long chain of ready callbacks, each a loop turn
            await asyncio.sleep(0)
            seen.append(loop.time())
            assert not fired
        await asyncio.sleep(2.0)
        return seen, fired[0]

    seen, fired_at = virtual.run(main())
    assert set(seen) == {0.0}  # time never moved while something was ready
    assert fired_at == 1.0


def test_a_pending_socket_read_holds_time_still():
    """Data sent on loopback is read before the clock moves, however big the message."""
    payload = b"x" * (4 << 20)  # many reads and writes: the kernel buffers fill up

    async def main() -> tuple[float, float, int]:
        loop = asyncio.get_running_loop()
        received: list[float] = []
        done = asyncio.Event()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            got = 0
            while got < len(payload):
                chunk = await reader.read(65536)
                assert chunk
                got += len(chunk)
                received.append(loop.time())
            writer.close()
            done.set()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        start = loop.time()
        writer.write(payload)  # no drain: the loop must not idle while bytes are in flight
        sleeper = asyncio.ensure_future(asyncio.sleep(60))
        await done.wait()
        assert not sleeper.done()
        await sleeper
        writer.close()
        server.close()
        await server.wait_closed()
        return start, max(received), len(received)

    start, last_read, reads = virtual.run(main())
    assert reads > 10
    assert last_read == start == 0.0


def test_an_outstanding_executor_future_holds_time_still():
    async def main() -> tuple[float, list[str]]:
        loop = asyncio.get_running_loop()
        order: list[str] = []

        async def timer() -> None:
            await asyncio.sleep(5)
            order.append(f"timer at {loop.time():g}")

        task = asyncio.create_task(timer())
        await asyncio.to_thread(time.sleep, 0.2)  # real work in a thread: 0.2 wall seconds
        order.append(f"thread done at {loop.time():g}")
        await task
        return loop.time(), order

    wall = time.monotonic()
    now, order = virtual.run(main())
    assert time.monotonic() - wall >= 0.2  # the loop did wait for the thread, in real time
    assert order == ["thread done at 0", "timer at 5"]
    assert now == 5.0


def test_thread_work_is_handed_over_in_start_order_not_finish_order():
    async def main() -> list[str]:
        seen: list[str] = []

        async def job(name: str, seconds: float) -> None:
            await asyncio.to_thread(time.sleep, seconds)
            seen.append(name)

        async with asyncio.TaskGroup() as tg:
            tg.create_task(job("slow, started first", 0.3))
            tg.create_task(job("fast, started second", 0.0))
        return seen

    assert virtual.run(main()) == ["slow, started first", "fast, started second"]


def test_hold_wraps_any_concurrent_future_and_cancels_unstarted_work():
    async def main() -> tuple[int, bool, int]:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, virtual.VirtualEventLoop)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            gate = threading.Event()
            busy = loop.hold(pool.submit(gate.wait))
            queued = loop.hold(pool.submit(lambda: 42))
            queued.cancel()  # not started (the only thread waits on the gate): dropped
            assert loop.held == 2
            gate.set()
            assert await busy is True
            await asyncio.sleep(0)
            answer = await loop.hold(pool.submit(lambda: 7))
        return answer, queued.cancelled(), loop.held

    assert virtual.run(main()) == (7, True, 0)


def test_a_loop_with_nothing_to_do_waits_for_the_outside_world():
    async def main() -> float:
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()
        threading.Timer(0.1, loop.call_soon_threadsafe, (woken.set,)).start()
        await woken.wait()  # no timer, no held work: block in real time, not crash
        return loop.time()

    assert virtual.run(main()) == 0.0


def test_subprocesses_are_refused():
    async def main() -> None:
        await asyncio.create_subprocess_exec("true")

    with pytest.raises(RuntimeError, match="real time"):
        virtual.run(main())


def test_virtual_clock_reads_the_loop_from_its_start():
    clock = VirtualClock()

    async def main() -> tuple[float, float, float]:
        await asyncio.sleep(7)  # start-up: before scenario time 0
        before = clock.now()
        clock.start()
        await clock.sleep(90)
        return before, clock.now(), clock.to_wall(90)

    assert virtual.run(main()) == (0.0, 90.0, 90)
    assert clock.time_scale == 1.0


async def test_virtual_clock_refuses_an_ordinary_loop():
    with pytest.raises(RuntimeError, match="VirtualEventLoop"):
        VirtualClock().start()
