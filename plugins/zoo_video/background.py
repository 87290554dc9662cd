"""Decoding and encoding in background threads, overlapping the tracking and swapping between them.

FFmpeg releases the GIL while it decodes, converts and encodes, and so does torch in its kernels,
so a reader thread that decodes ahead and a writer thread that encodes behind keep more than one
core busy (measured: about 1.3× on the two-core development machine with other jobs running).
Both queues are bounded, so memory stays bounded; an error in a thread is raised in the caller at
the next hand-over, never lost.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

from zoo_video.writer import VideoWriter

__all__ = ["BackgroundWriter", "prefetch"]

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


class BackgroundWriter:
    """Hands frames and audio packets, in order, to a :class:`VideoWriter` running in a thread."""

    def __init__(self, writer: VideoWriter, depth: int, on_encode: Any = None) -> None:
        self.writer = writer
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._timed = on_encode
        self._thread = threading.Thread(target=self._run, name="zoo-video-encode", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if self._error is not None:
                continue  # after a failure the rest is only drained
            method, argument = item
            try:
                with self._timed("encode"):
                    method(*argument)
            except BaseException as error:  # noqa: BLE001 - raised in the caller at the next hand-over
                self._error = error

    def write(self, image: Any, pts: int) -> None:
        self._put((self.writer.write, (image, pts)))

    def write_audio(self, packet: Any) -> None:
        self._put((self.writer.write_audio, (packet,)))

    def _put(self, item: Any) -> None:
        self._raise()
        self._queue.put(item)

    def drain(self) -> None:
        """Wait until everything handed over is encoded; raise what went wrong in the thread."""
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
