"""Decoding, swapping and encoding in background threads, overlapping the tracking on the caller's.

FFmpeg releases the GIL while it decodes, converts and encodes, and so do torch and OpenCV in their
kernels, so a reader thread that decodes ahead, a swap thread (generator and paste-back) and a writer
thread that encodes behind keep more than one core busy while the caller tracks and detects. All queues
are bounded, so memory stays bounded; an error in a thread is raised in the caller at the next
hand-over, never lost.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from zoo_video.writer import VideoWriter

__all__ = ["BackgroundCalls", "BackgroundWriter", "prefetch"]

_END = object()


def prefetch(items: Iterator[Any], depth: int) -> Iterator[Any]:
    """``items`` produced by a thread up to ``depth`` ahead; closing the result stops the thread."""
    handoff: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        handoff.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put((True, _END))
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which raises it
            handoff.put((False, error))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="zoo-video-decode", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = handoff.get()
            if not ok:
                raise item
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                handoff.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()


class BackgroundCalls:
    """Calls run one after another, in the order handed over, by one thread."""

    def __init__(self, name: str, depth: int, initializer: Callable[[], None] | None = None) -> None:
        """``initializer`` runs first in the thread (per-thread settings such as torch's thread count)."""
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._initializer = initializer
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self._initializer is not None:
            self._initializer()
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if self._error is not None:
                continue  # after a failure the rest is only drained
            function, arguments = item
            try:
                function(*arguments)
            except BaseException as error:  # noqa: BLE001 - raised in the caller at the next hand-over
                self._error = error

    def submit(self, function: Callable[..., Any], *arguments: Any) -> None:
        """Queue ``function(*arguments)``; waits while the queue is full; raises an earlier call's error."""
        self._raise()
        self._queue.put((function, arguments))

    def drain(self) -> None:
        """Wait until every call handed over has run; raise what went wrong in the thread."""
        self.stop()
        self._raise()

    def stop(self) -> None:
        """End the thread once what is queued is done (skipped after a failure)."""
        if self._thread.is_alive():
            self._queue.put(_END)
            self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


class BackgroundWriter(BackgroundCalls):
    """Hands frames and audio packets, in order, to a :class:`VideoWriter` running in a thread."""

    def __init__(self, writer: VideoWriter, depth: int, on_encode: Any = None) -> None:
        super().__init__("zoo-video-encode", depth)
        self.writer = writer
        self._timed = on_encode

    def write(self, image: Any, pts: int) -> None:
        self.submit(self._encode, self.writer.write, image, pts)

    def write_audio(self, packet: Any) -> None:
        self.submit(self._encode, self.writer.write_audio, packet)

    def _encode(self, method: Callable[..., Any], *arguments: Any) -> None:
        with self._timed("encode"):
            method(*arguments)
