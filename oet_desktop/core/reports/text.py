"""Small text helpers: escaping for Paragraph markup, timestamps, dates and durations."""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape

EN_DASH = "\u2013"
"""For ranges such as 300 to 360, and for "not assessed" in compact tables."""


def esc(text: str) -> str:
    """Escape &, < and > for reportlab Paragraph markup; newlines become line breaks."""
    return escape(text).replace("\r\n", "\n").replace("\n", "<br/>")


def mmss(seconds: float | None) -> str:
    """Seconds as "m:ss" (hours as "h:mm:ss"); empty when unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return ""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def stamp(seconds: float | None) -> str:
    """A bracketed timestamp "[1:23]", or "" when unknown."""
    text = mmss(seconds)
    return f"[{text}]" if text else ""


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time, or None when missing or malformed."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def nice_date(value: str | None, with_time: bool = True) -> str:
    """"12 March 2025, 14:05" from ISO 8601; the raw text if unparseable; "Unknown" if missing."""
    when = parse_time(value)
    if when is None:
        return value or "Unknown"
    day = f"{when.day} {when:%B %Y}"
    return f"{day}, {when:%H:%M}" if with_time else day


def short_date(value: str | None) -> str:
    """"12 Mar 2025" from ISO 8601; "—" when missing."""
    when = parse_time(value)
    if when is None:
        return value or "—"
    return f"{when.day} {when:%b %Y}"


def duration(seconds: float) -> str:
    """"7 min 32 s" (or "45 s")."""
    total = max(0, round(seconds))
    minutes, secs = divmod(total, 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def speaker_name(speaker: str) -> str:
    """"candidate" → "Candidate"."""
    return speaker.replace("_", " ").strip().capitalize() or "Speaker"
