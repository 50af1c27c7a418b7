"""Shared test helpers: word error rate after normalisation, speech boundaries, a Range-capable HTTP server."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jiwer
import numpy as np

_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
)
_NUMBERS = {str(i): word for i, word in enumerate(_NUMBER_WORDS.split(" "))}


def normalise(text: str) -> str:
    """Lower case, digits as words, no punctuation, single spaces (Whisper-style normalisation)."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"\d+", lambda m: _NUMBERS.get(m.group(0), m.group(0)), text)
    text = re.sub(r"[^a-z' ]+", " ", text)
    return " ".join(text.split())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER after :func:`normalise`."""
    return float(jiwer.wer(normalise(reference), normalise(hypothesis)))


def voiced_bounds(samples: np.ndarray, rate: int, threshold_db: float = -40.0) -> tuple[float, float]:
    """First and last 10 ms window louder than ``threshold_db`` dBFS (seconds)."""
    window = rate // 100
    frames = samples[: samples.size // window * window].reshape(-1, window)
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)) + 1e-12
    loud = np.nonzero(20 * np.log10(rms) > threshold_db)[0]
    return loud[0] * window / rate, (loud[-1] + 1) * window / rate


class _Handler(BaseHTTPRequestHandler):
    def __init__(self, files: dict[str, bytes], log: list[dict[str, str]], cut_after: list[int | None],
                 *args: object) -> None:
        self.files, self.log, self.cut_after = files, log, cut_after
        super().__init__(*args)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.log.append({"path": self.path, "range": self.headers.get("Range", "")})
        body = self.files.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        start = 0
        match = re.match(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if match:
            start = int(match.group(1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        limit = self.cut_after[0]
        if limit is not None:
            self.cut_after[0] = None  # only the first request is cut
            self.wfile.write(body[start : start + limit])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body[start:])


@contextmanager
def file_server(files: dict[str, bytes], cut_after: int | None = None
                ) -> Iterator[tuple[Callable[[str], str], list[dict[str, str]]]]:
    """Serve ``files`` (path → bytes) on 127.0.0.1 with Range support; ``cut_after`` drops the first
    response after that many bytes. Yields (url_for(path), request log)."""
    log: list[dict[str, str]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, files, log, [cut_after]))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield (lambda path: f"http://127.0.0.1:{server.server_port}{path}"), log
    finally:
        server.shutdown()
        server.server_close()
