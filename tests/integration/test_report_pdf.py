"""The session and progress PDFs, built with real reportlab and read back with pypdf and pypdfium2."""

from __future__ import annotations

import errno
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from oet_desktop.core.assessment.criteria import ALL_CRITERIA, Criterion
from oet_desktop.core.assessment.report import Line, Quote
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.reports import fonts
from oet_desktop.core.reports.measures import measure_rows
from oet_desktop.core.reports.progress_pdf import write_progress_pdf
from oet_desktop.core.reports.session_pdf import write_session_pdf
from oet_desktop.core.reports.styles import HEADER_HEIGHT, MARGIN, page_size
from tests.report_samples import (
    DISCLAIMER,
    SCENARIOS,
    TRICKY_QUOTE,
    sample_feedback_report,
    sample_progress_report,
    sample_report_no_estimate,
    sample_report_not_assessed,
)

STANDARD_14 = {"Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique", "Helvetica", "Helvetica-Bold",
               "Helvetica-Oblique", "Helvetica-BoldOblique", "Times-Roman", "Times-Bold", "Times-Italic",
               "Times-BoldItalic", "Symbol", "ZapfDingbats"}
SIZES = {"A4": (595.0, 842.0), "Letter": (612.0, 792.0)}


def pdf_text(path: Path) -> str:
    """All text of the PDF with whitespace runs collapsed (so wrapped lines read as one)."""
    reader = PdfReader(path)
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def flat(text: str) -> str:
    return " ".join(text.split())


def render_pages(path: Path, out: Path, dpi: int = 100) -> list[np.ndarray]:
    """Every page as an RGB array, also saved as PNG under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    pdf = pdfium.PdfDocument(path)
    images = []
    try:
        for index in range(len(pdf)):
            image = pdf[index].render(scale=dpi / 72).to_pil().convert("RGB")
            image.save(out / f"{path.stem}-{index + 1}-{dpi}dpi.png")
            images.append(np.asarray(image))
    finally:
        pdf.close()
    return images


def margins_clear(image: np.ndarray, dpi: int) -> bool:
    """Nothing drawn in the left and right margins below the header band (content wrapped, not overflowing)."""
    px = dpi / 72
    top = int((HEADER_HEIGHT + 2) * px)
    left = int((MARGIN - 2) * px)
    right = int((image.shape[1] / px - MARGIN + 2) * px)
    strips = image[top:, :left], image[top:, right:]
    return all(float((strip.min(axis=2) < 200).mean()) == 0.0 for strip in strips)


def ink_share(image: np.ndarray) -> float:
    """Share of pixels that are not (near) white."""
    return float((image.min(axis=2) < 240).mean())


@pytest.fixture(scope="module")
def session_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("session-pdfs")
    return {size: write_session_pdf(sample_feedback_report(), folder / f"session-{size}.pdf", size)
            for size in SIZES}


@pytest.fixture(scope="module")
def progress_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("progress-pdfs")
    return {size: write_progress_pdf(sample_progress_report(), folder / f"progress-{size}.pdf", size,
                                     candidate_name="Anna Kowalska")
            for size in SIZES}


@pytest.mark.parametrize("size", list(SIZES))
def test_session_pdf_text(session_pdfs: dict[str, Path], size: str) -> None:
    report = sample_feedback_report()
    text = pdf_text(session_pdfs[size])
    assert "OET Speaking practice" in text
    assert report.scenario_title in text
    assert "Page 1 of " in text
    assert "Generated " in text
    for result in report.criteria:
        assert flat(result.label) in text
        assert f"{result.score}/{result.maximum}" in text
        assert f"{result.label} — {result.score}/{result.maximum}" in text
    assert "Estimated score 330 (range 300–360), grade C+ (C+–B)" in text
    assert flat(DISCLAIMER) in text
    for finding in report.jargon:
        assert finding.term in text
    for number, step in enumerate(report.next_steps, start=1):
        assert f"{number}. {flat(step)}" in text
    for task in report.tasks:
        assert flat(task.text) in text
    assert "Not covered" in text
    assert "[0:21]" in text
    assert "[1:03]" in text
    assert "128 words per minute" in text
    assert "custom_measure_x" in text
    assert "What could not be assessed" not in text


def test_session_pdf_escapes_markup(session_pdfs: dict[str, Path]) -> None:
    text = pdf_text(session_pdfs["A4"])
    assert TRICKY_QUOTE in text
    assert "It's a corticosteroid & it works < a day." in text


def test_session_pdf_not_assessed(tmp_path: Path) -> None:
    report = sample_report_not_assessed()
    path = write_session_pdf(report, tmp_path / "not-assessed.pdf")
    text = pdf_text(path)
    assert "Not assessed" in text
    assert "no candidate audio was recorded" in text
    for criterion in (Criterion.INTELLIGIBILITY, Criterion.FLUENCY):
        assert f"{criterion.label} — Not assessed" in text
        assert f"{criterion.label} — {criterion.maximum}" not in text
    assert "Fluency — 4/6" not in text
    assert "What could not be assessed" in text
    assert report.not_assessed[0] in text
    assert "Estimated score 330" in text


def test_session_pdf_without_estimate(tmp_path: Path) -> None:
    report = sample_report_no_estimate()
    text = pdf_text(write_session_pdf(report, tmp_path / "no-estimate.pdf", "Letter"))
    assert "No overall estimate was made" in text
    assert "Estimated score" not in text
    for line in report.not_assessed:
        assert flat(line) in text


@pytest.mark.parametrize(("reaches", "wording"), [
    (True, "This reaches grade B (350)"), (False, "This does not reach grade B (350)"),
    (None, "may or may not reach grade B")])
def test_session_pdf_reaches_b_wording(tmp_path: Path, reaches: bool | None, wording: str) -> None:
    report = sample_feedback_report()
    assert report.estimate is not None
    report.estimate = replace(report.estimate, reaches_b=reaches)
    assert wording in pdf_text(write_session_pdf(report, tmp_path / "b.pdf"))


def embedded_font_problems(path: Path) -> list[str]:
    """Fonts in any page's resources that are not embedded TrueType, or are standard-14 fonts."""
    problems = []
    font_count = 0
    for number, page in enumerate(PdfReader(path).pages, start=1):
        resources = page["/Resources"].get_object()
        font_dict = resources.get("/Font")
        if font_dict is None:
            continue
        for name, ref in font_dict.get_object().items():
            font = ref.get_object()
            font_count += 1
            base = str(font.get("/BaseFont", "")).lstrip("/")
            if base.split("+")[-1] in STANDARD_14:
                problems.append(f"page {number}: {name} is the standard font {base}")
            fonts_to_check = [font]
            if font.get("/Subtype") == "/Type0":
                fonts_to_check = [d.get_object() for d in font["/DescendantFonts"]]
            for item in fonts_to_check:
                descriptor = item.get("/FontDescriptor")
                if descriptor is None or "/FontFile2" not in descriptor.get_object():
                    problems.append(f"page {number}: {name} ({base}) has no embedded TrueType file")
    assert font_count > 0
    return problems


@pytest.mark.parametrize("size", list(SIZES))
def test_fonts_embedded(session_pdfs: dict[str, Path], progress_pdfs: dict[str, Path], size: str) -> None:
    assert embedded_font_problems(session_pdfs[size]) == []
    assert embedded_font_problems(progress_pdfs[size]) == []


def test_fonts_embedded_in_variants(tmp_path: Path) -> None:
    for name, report in (("na", sample_report_not_assessed()), ("ne", sample_report_no_estimate())):
        assert embedded_font_problems(write_session_pdf(report, tmp_path / f"{name}.pdf")) == []


@pytest.mark.parametrize("size", list(SIZES))
def test_page_size(session_pdfs: dict[str, Path], progress_pdfs: dict[str, Path], size: str) -> None:
    want_w, want_h = SIZES[size]
    for path in (session_pdfs[size], progress_pdfs[size]):
        pages = PdfReader(path).pages
        assert len(pages) >= 2
        for page in pages:
            box = page.mediabox
            assert abs(float(box.width) - want_w) <= 1
            assert abs(float(box.height) - want_h) <= 1


def test_page_size_names() -> None:
    assert page_size("a4") == page_size("A4")
    assert page_size("LETTER") == page_size("Letter")
    with pytest.raises(ValueError, match="A4"):
        page_size("A5")


@pytest.mark.parametrize("size", list(SIZES))
def test_pages_render(session_pdfs: dict[str, Path], progress_pdfs: dict[str, Path], tmp_path: Path,
                      size: str) -> None:
    for path in (session_pdfs[size], progress_pdfs[size]):
        images = render_pages(path, tmp_path / "png")
        want_w, want_h = (round(v * 100 / 72) for v in SIZES[size])
        for index, image in enumerate(images, start=1):
            assert abs(image.shape[1] - want_w) <= 2
            assert abs(image.shape[0] - want_h) <= 2
            # Below the header band there must be real content, and the page must not be a solid block.
            body = image[int(image.shape[0] * 0.08):]
            assert 0.01 < ink_share(body) < 0.6, f"{path.name} page {index} looks blank or broken"
            assert margins_clear(image, dpi=100), f"{path.name} page {index} draws into the margins"
    assert len(list((tmp_path / "png").glob("*.png"))) >= 4


def test_page_renders_at_200_dpi(session_pdfs: dict[str, Path], tmp_path: Path) -> None:
    (image,) = render_pages_one(session_pdfs["A4"], 1, tmp_path, dpi=200)
    assert abs(image.shape[1] - round(595.28 * 200 / 72)) <= 2
    assert ink_share(image) > 0.02
    assert (tmp_path / "session-A4-p2-200dpi.png").is_file()


def render_pages_one(path: Path, index: int, out: Path, dpi: int) -> list[np.ndarray]:
    pdf = pdfium.PdfDocument(path)
    try:
        image = pdf[index].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        pdf.close()
    image.save(out / f"{path.stem}-p{index + 1}-{dpi}dpi.png")
    return [np.asarray(image)]


def test_progress_pdf_text(progress_pdfs: dict[str, Path]) -> None:
    progress = sample_progress_report()
    for size in SIZES:
        text = pdf_text(progress_pdfs[size])
        assert "Progress report" in text
        assert "Anna Kowalska" in text
        assert "8 role-plays" in text
        assert "3 Feb 2025 – 24 Feb 2025" in text
        for _, title in SCENARIOS:
            assert title in text
        assert "Not yet at grade-B level" in text
        assert flat(progress.readiness.explanation) in text
        assert progress.recommendation is not None
        assert flat(progress.recommendation.reason) in text
        for criterion in ALL_CRITERIA:
            assert flat(criterion.label) in text
        assert "↑ Improving" in text
        for note in progress.notes:
            assert flat(note) in text


def test_progress_pdf_edge_cases(tmp_path: Path) -> None:
    progress = sample_progress_report(sessions=1)
    progress.recommendation = None
    progress.notes = []
    text = pdf_text(write_progress_pdf(progress, tmp_path / "one.pdf", "Letter"))
    assert "1 role-play" in text
    assert "8 role-plays" not in text
    assert "No particular role-play is recommended yet." in text
    empty = replace(progress.readiness, ready=True, criteria_below_b=())
    progress.readiness = empty
    text = pdf_text(write_progress_pdf(progress, tmp_path / "ready.pdf"))
    assert "Ready for grade B" in text


@pytest.mark.parametrize("size", list(SIZES))
def test_long_content_wraps_and_paginates(tmp_path: Path, size: str) -> None:
    report = sample_feedback_report()
    long_quote = ("The patient said that she had been feeling breathless & wheezy at night <worse after "
                  "climbing stairs> ") * 40 + "x" * 300
    report.transcript = [Line("candidate" if n % 2 else "patient", f"Line {n}: {long_quote[: 80 + n * 10]}",
                              n * 5.0, n * 5.0 + 4) for n in range(45)]
    report.transcript[3] = Line("patient", long_quote * 2, 15.0, 30.0)
    first = report.criteria[0]
    report.criteria[0] = replace(first, indicators=tuple(replace(i, quotes=(Quote(long_quote, 3723.0),))
                                                         for i in first.indicators))
    report.jargon[0] = replace(report.jargon[0], quote=Quote(long_quote, 12.0))
    report.next_steps = [long_quote[:400]] * 12
    path = write_session_pdf(report, tmp_path / "long.pdf", size)
    assert all(margins_clear(image, dpi=72) for image in render_pages(path, tmp_path / "png", dpi=72))
    text = pdf_text(path)
    assert "[1:02:03]" in text
    assert "The first 20 of 45 lines are shown." in text
    assert "Line 44" not in text
    assert len(PdfReader(path).pages) > 6


def test_measure_rows() -> None:
    rows = dict(measure_rows({"mtld": 71.25, "mean_pause_s": None, "zeta": 2.0, "alpha": float("nan"),
                              "low_confidence_share": 0.125}))
    assert rows == {"Vocabulary range (MTLD)": "71.2", "Average pause length": "—",
                    "Words the recogniser was unsure of": "12%", "alpha": "—", "zeta": "2"}
    assert list(dict(measure_rows({"zeta": 1.0, "speech_rate_wpm": 120.0}))) == ["Speech rate", "zeta"]


def test_missing_fonts_are_a_user_facing_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OET_DESKTOP_ROOT", str(tmp_path))
    monkeypatch.setattr(fonts, "_registered", False)
    with pytest.raises(UserFacingError, match=r"DejaVuSans\.ttf") as info:
        fonts.register_fonts()
    assert "Reinstall" in info.value.paragraph()


# Saving must be all-or-nothing. Tests run as root, so permission bits cannot simulate a read-only folder;
# a file standing where the folder should be, and OSError(ENOSPC) at fsync/replace, stand in for it.

def test_parent_is_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    blocker = folder / "reports"
    blocker.write_text("not a folder")
    target = blocker / "session.pdf"
    with pytest.raises(UserFacingError) as info:
        write_session_pdf(sample_feedback_report(), target)
    message = info.value.paragraph()
    assert str(target) in message
    assert "not a folder" in message
    assert blocker.read_text() == "not a folder"
    assert sorted(p.name for p in folder.iterdir()) == ["reports"]


@pytest.mark.parametrize("fail_at", ["fsync", "replace"])
@pytest.mark.parametrize("writer", ["session", "progress"])
def test_disk_full_leaves_existing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: str,
                                        writer: str) -> None:
    target = tmp_path / "out" / "report.pdf"
    target.parent.mkdir()
    original = b"%PDF-1.4 an earlier report, kept as it was\n" * 50
    target.write_bytes(original)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def write() -> None:
        if writer == "session":
            write_session_pdf(sample_feedback_report(), target)
        else:
            write_progress_pdf(sample_progress_report(), target)

    with monkeypatch.context() as patch:
        patch.setattr(os, fail_at, disk_full)
        with pytest.raises(UserFacingError) as info:
            write()
    message = info.value.paragraph()
    assert str(target) in message
    assert "disk is full" in message
    assert "Free some disk space" in message
    assert target.read_bytes() == original
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.pdf"]


def test_overwrite_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "report.pdf"
    first = write_session_pdf(sample_feedback_report(), target)
    assert first == target
    assert target.read_bytes().startswith(b"%PDF")
    second = write_session_pdf(sample_report_not_assessed(), target, "Letter")
    assert second == target
    assert "no candidate audio was recorded" in pdf_text(target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.pdf"]


def test_session_pdf_is_quick(tmp_path: Path) -> None:
    write_session_pdf(sample_feedback_report(), tmp_path / "warm.pdf")
    start = time.perf_counter()
    write_session_pdf(sample_feedback_report(), tmp_path / "timed.pdf")
    assert time.perf_counter() - start < 5.0
