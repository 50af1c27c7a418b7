"""History and progress: past role-plays, each criterion's trend as a chart, readiness for grade B, and what to
practise next; any past session's feedback opens from here."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from oet_desktop.core.assessment.criteria import ALL_CRITERIA
from oet_desktop.core.assessment.progress import ProgressReport
from oet_desktop.core.storage.repository import SessionListing
from oet_desktop.ui.pages.common import heading, wrapped
from oet_desktop.ui.widgets.charts import TrendChart

STATUS = {"finished": "finished", "ended_early": "ended early", "interrupted": "cut short",
          "in_progress": "in progress"}
SHORT = ("In", "Fl", "Ap", "Gr", "A", "B", "C", "D", "E")


class HistoryPage(QWidget):
    """``open_requested`` carries a session id; ``practise_requested`` the recommended scenario's id."""

    open_requested = Signal(str)
    practise_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 4 + len(ALL_CRITERIA))
        self.table.setHorizontalHeaderLabels(["When", "Role-play", "Status", "Estimate", *SHORT])
        for column, criterion in enumerate(ALL_CRITERIA, start=4):
            header = self.table.horizontalHeaderItem(column)
            if header is not None:
                header.setToolTip(criterion.label)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAccessibleName("Past role-plays")
        self.table.verticalHeader().hide()
        self.open_button = QPushButton("&Open feedback")
        self.open_button.setEnabled(False)
        self.readiness = wrapped()
        self.readiness.setAccessibleName("Readiness for grade B")
        self.next_step = wrapped()
        self.practise_button = QPushButton("Practise &this next")
        self.practise_button.setEnabled(False)
        self._recommended: str | None = None
        self.charts = [TrendChart(c.label, c.maximum, c.b_level) for c in ALL_CRITERIA]
        grid_widget = QWidget()
        grid = QGridLayout(grid_widget)
        for n, chart in enumerate(self.charts):
            grid.addWidget(chart, n // 3, n % 3)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(grid_widget)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.practise_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("History and progress"))
        layout.addWidget(self.table, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.readiness)
        layout.addWidget(self.next_step)
        layout.addWidget(scroll, 3)
        self.table.itemSelectionChanged.connect(
            lambda: self.open_button.setEnabled(bool(self.table.selectedItems())))
        self.table.itemActivated.connect(lambda item: self._open())
        self.open_button.clicked.connect(self._open)
        self.practise_button.clicked.connect(self._practise)

    def show_history(self, sessions: list[SessionListing], titles: dict[str, str],
                     progress: ProgressReport | None) -> None:
        """Fill the table (newest first) and the progress panels."""
        self.table.setRowCount(len(sessions))
        for row, session in enumerate(sessions):
            cells = [session.started_at[:16].replace("T", " "), titles.get(session.scenario_id, session.scenario_id),
                     STATUS.get(session.status, session.status) + (" (audio deleted)" if session.audio_removed else ""),
                     "" if session.estimate is None else str(session.estimate)]
            cells += ["–" if session.scores.get(c.value) is None else str(session.scores[c.value])
                      for c in ALL_CRITERIA]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, session.session_id)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        if progress is None or not progress.sessions:
            self.readiness.setText("Your progress appears here after your first scored role-play.")
            self.next_step.clear()
            self.practise_button.setEnabled(False)
            for chart in self.charts:
                chart.set_values([])
            return
        for chart, trend in zip(self.charts, progress.trends, strict=True):
            chart.set_values(list(trend.values))
        self.readiness.setText(f"<b>Readiness for grade B:</b> {escape(progress.readiness.explanation)}")
        recommendation = progress.recommendation
        self._recommended = recommendation.scenario_id if recommendation else None
        self.next_step.setText(f"<b>Practise next:</b> {escape(recommendation.scenario_title)}. "
                               f"{escape(recommendation.reason)}" if recommendation else "")
        self.practise_button.setEnabled(recommendation is not None)

    def _open(self) -> None:
        items = self.table.selectedItems()
        if items:
            self.open_requested.emit(str(items[0].data(Qt.ItemDataRole.UserRole)))

    def _practise(self) -> None:
        if self._recommended:
            self.practise_requested.emit(self._recommended)
