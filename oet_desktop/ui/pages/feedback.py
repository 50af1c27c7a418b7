"""Feedback on one role-play: the nine scores with a chart, evidence quotes that jump to their moment in the
transcript, playback of either side's audio from any turn, fluency figures, jargon with lay alternatives, next
steps, the estimate with its disclaimer, and "Export PDF"."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from oet_desktop.core.assessment.report import FeedbackReport, Line
from oet_desktop.core.assessment.text_report import MEASURES
from oet_desktop.ui.pages.common import heading, wrapped
from oet_desktop.ui.widgets.charts import ScoreChart

MARKS = {True: "✓", False: "✗", None: "–"}


def stamp(seconds: float | None) -> str:
    """m:ss of a moment in the role-play."""
    if seconds is None:
        return "–"
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


class FeedbackPage(QWidget):
    """Shows a :class:`FeedbackReport`; ``export_requested`` asks for the PDF, ``play_requested`` carries
    (speaker, start, end) to play a line's audio."""

    export_requested = Signal()
    play_requested = Signal(str, float, float)
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: FeedbackReport | None = None
        self.title = heading("Feedback")
        self.estimate = wrapped()
        self.estimate.setAccessibleName("Estimated score")
        self.disclaimer = wrapped()
        self.chart = ScoreChart()
        self.summary = wrapped()
        self.evidence = QTreeWidget()
        self.evidence.setHeaderLabels(["Criterion and evidence", "Score"])
        self.evidence.setAccessibleName("Evidence for each criterion")
        self.evidence.header().setStretchLastSection(False)
        self.evidence.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.evidence.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.evidence.setWordWrap(True)
        self.transcript = QListWidget()
        self.transcript.setAccessibleName("Transcript")
        self.transcript.setWordWrap(True)
        self.play_button = QPushButton("&Play this line")
        self.figures = QTableWidget(0, 2)
        self.figures.setHorizontalHeaderLabels(["Figure", "Value"])
        self.figures.setAccessibleName("Fluency and language figures")
        self.jargon = QListWidget()
        self.jargon.setAccessibleName("Technical terms")
        self.jargon.setWordWrap(True)
        self.steps = QListWidget()
        self.steps.setAccessibleName("Next steps")
        self.steps.setWordWrap(True)
        self.export_button = QPushButton("E&xport PDF…")
        self.back_button = QPushButton("&Back")
        self.status = wrapped()

        transcript_tab = QWidget()
        transcript_layout = QVBoxLayout(transcript_tab)
        transcript_layout.addWidget(self.transcript)
        transcript_layout.addWidget(self.play_button, 0, Qt.AlignmentFlag.AlignRight)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.evidence, "E&vidence")
        self.tabs.addTab(transcript_tab, "&Transcript")
        self.tabs.addTab(self.figures, "&Figures")
        self.tabs.addTab(self.jargon, "&Jargon")
        self.tabs.addTab(self.steps, "&Next steps")
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.export_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.back_button)
        bottom.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.estimate)
        layout.addWidget(self.disclaimer)
        layout.addWidget(self.chart)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        self.evidence.itemActivated.connect(self._jump)
        self.evidence.itemDoubleClicked.connect(self._jump)
        self.transcript.itemActivated.connect(lambda item: self._play())
        self.play_button.clicked.connect(self._play)
        self.export_button.clicked.connect(self.export_requested.emit)
        self.back_button.clicked.connect(self.back_requested.emit)

    def show_report(self, report: FeedbackReport, has_audio: bool = True) -> None:
        """Fill every part of the page from ``report``."""
        self.report = report
        self.status.clear()
        taken = (report.taken_at or "")[:16].replace("T", " ")
        self.title.setText(f"{report.scenario_title} — {taken}" if taken else report.scenario_title)
        if report.estimate:
            e = report.estimate
            verdict = {True: "reaches grade B", False: "below grade B", None: "may or may not reach grade B"}
            self.estimate.setText(f"<b>Estimated score {e.score}</b> (likely {e.low}–{e.high}), grade {e.grade}: "
                                  f"{verdict[e.reaches_b]}.")
            self.disclaimer.setText(e.disclaimer)
        else:
            self.estimate.setText("<b>No overall estimate</b>: not every criterion could be assessed.")
            self.disclaimer.setText(" ".join(report.not_assessed))
        self.chart.set_rows([(r.label, r.score, r.maximum, r.criterion.b_level) for r in report.criteria])
        self.summary.setText(report.summary)
        self._fill_evidence(report)
        self._fill_transcript(report.transcript)
        self.play_button.setEnabled(has_audio)
        self.play_button.setToolTip("" if has_audio else "The recordings of this role-play were deleted "
                                                         "(audio retention setting).")
        self._fill_figures(report)
        self.jargon.clear()
        for finding in report.jargon:
            state = "explained" if finding.explained else "not explained"
            self.jargon.addItem(f"“{finding.term}” → {finding.lay} ({state}, at {stamp(finding.quote.at)})")
        if not report.jargon:
            self.jargon.addItem("No unexplained technical terms were found.")
        self.steps.clear()
        for number, step in enumerate(report.next_steps, 1):
            self.steps.addItem(f"{number}. {step}")

    def _fill_evidence(self, report: FeedbackReport) -> None:
        self.evidence.clear()
        for result in report.criteria:
            score = "not assessed" if result.score is None else f"{result.score}/{result.maximum}"
            top = QTreeWidgetItem([result.label, score])
            top.setToolTip(0, result.summary or (result.not_assessed or ""))
            self.evidence.addTopLevelItem(top)
            if result.score is None:
                QTreeWidgetItem(top, [result.not_assessed or "Not assessed.", ""])
                continue
            for indicator in result.indicators:
                item = QTreeWidgetItem(top, [f"{MARKS[indicator.met]} {indicator.label}: {indicator.note}", ""])
                for quote in indicator.quotes:
                    line = QTreeWidgetItem(item, [f"[{stamp(quote.at)}] “{quote.text}”", ""])
                    line.setData(0, Qt.ItemDataRole.UserRole, quote.at)
                    line.setToolTip(0, "Press Enter or double-click to see this moment in the transcript")
        weakest = min(report.criteria, key=lambda r: -1 if r.score is None else r.score / r.maximum)
        for index in range(self.evidence.topLevelItemCount()):
            top_item = self.evidence.topLevelItem(index)
            if top_item is not None and top_item.text(0) == weakest.label:
                top_item.setExpanded(True)  # open where there is most to learn

    def _fill_transcript(self, lines: list[Line]) -> None:
        self.transcript.clear()
        for line in lines:
            who = "You" if line.speaker == "candidate" else "Patient"
            item = QListWidgetItem(f"[{stamp(line.start)}] {who}: {line.text}")
            item.setData(Qt.ItemDataRole.UserRole, (line.speaker, line.start, line.end))
            self.transcript.addItem(item)

    def _fill_figures(self, report: FeedbackReport) -> None:
        rows = [(label, report.measures.get(key), unit) for key, label, unit in MEASURES]
        rows = [(label, value, unit) for label, value, unit in rows if value is not None]
        self.figures.setRowCount(len(rows))
        for row, (label, value, unit) in enumerate(rows):
            self.figures.setItem(row, 0, QTableWidgetItem(label))
            self.figures.setItem(row, 1, QTableWidgetItem(f"{value:g} {unit}".strip()))
        self.figures.resizeColumnsToContents()

    def jump_to(self, at: float) -> int:
        """Select the transcript line at ``at`` seconds (the last one starting at or before it); its row."""
        best = 0
        for row in range(self.transcript.count()):
            _, start, _ = self.transcript.item(row).data(Qt.ItemDataRole.UserRole)
            if start <= at + 0.05:
                best = row
        self.tabs.setCurrentIndex(1)
        self.transcript.setCurrentRow(best)
        self.transcript.scrollToItem(self.transcript.item(best))
        self.transcript.setFocus()
        return best

    def _jump(self, item: QTreeWidgetItem, column: int = 0) -> None:
        at = item.data(0, Qt.ItemDataRole.UserRole)
        if at is not None:
            self.jump_to(float(at))

    def _play(self) -> None:
        item = self.transcript.currentItem()
        if item is not None and self.play_button.isEnabled():
            speaker, start, end = item.data(Qt.ItemDataRole.UserRole)
            self.play_requested.emit(str(speaker), float(start), float(end))

    def say(self, text: str) -> None:
        """Show the outcome of an action (exported, playing…)."""
        self.status.setText(text)


