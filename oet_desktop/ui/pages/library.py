"""The role-play library: filters (profession, difficulty, setting, not yet practised), search, and a preview
of the candidate card."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from oet_desktop.core.content.library import SETTING_KINDS, ScenarioLibrary, setting_kind
from oet_desktop.core.content.scenario import Profession, Scenario
from oet_desktop.ui.pages.common import heading
from oet_desktop.ui.text import card_html


class LibraryPage(QWidget):
    """Lists the role-plays; ``prepare_requested`` carries the chosen scenario's id."""

    prepare_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library: ScenarioLibrary | None = None
        self.practised: set[str] = set()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search titles, settings and cards")
        self.search.setAccessibleName("Search role-plays")
        self.search.setClearButtonEnabled(True)
        self.profession = QComboBox()
        self.profession.setAccessibleName("Profession")
        self.profession.addItem("All professions", None)
        for profession in Profession:
            self.profession.addItem(profession.label, profession.value)
        self.difficulty = QComboBox()
        self.difficulty.setAccessibleName("Difficulty")
        for label, value in (("Any difficulty", None), ("★ Easier", 1), ("★★ Medium", 2), ("★★★ Harder", 3)):
            self.difficulty.addItem(label, value)
        self.setting = QComboBox()
        self.setting.setAccessibleName("Setting")
        self.setting.addItem("Any setting", None)
        for kind in SETTING_KINDS:
            self.setting.addItem(kind, kind)
        self.unpractised = QCheckBox("&Not yet practised")
        self.list = QListWidget()
        self.list.setAccessibleName("Role-plays")
        self.preview = QTextBrowser()
        self.preview.setAccessibleName("Candidate card")
        self.count = QLabel()
        self.prepare_button = QPushButton("&Prepare this role-play")
        self.prepare_button.setEnabled(False)

        filters = QHBoxLayout()
        for widget in (self.profession, self.difficulty, self.setting, self.unpractised):
            filters.addWidget(widget)
        filters.addStretch(1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list)
        left_layout.addWidget(self.count)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.preview)
        right_layout.addWidget(self.prepare_button, 0, Qt.AlignmentFlag.AlignRight)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Role-plays"))
        layout.addWidget(self.search)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)

        self.search.textChanged.connect(self.refresh)
        for combo in (self.profession, self.difficulty, self.setting):
            combo.currentIndexChanged.connect(self.refresh)
        self.unpractised.toggled.connect(self.refresh)
        self.list.currentItemChanged.connect(self._show)
        self.list.itemActivated.connect(lambda item: self._prepare())
        self.prepare_button.clicked.connect(self._prepare)

    def set_library(self, library: ScenarioLibrary, practised: set[str], profession: str | None) -> None:
        """Show ``library``; start filtered to the candidate's profession."""
        self.library, self.practised = library, practised
        if profession is not None:
            index = self.profession.findData(profession)
            if index >= 0:
                self.profession.setCurrentIndex(index)
        self.refresh()

    def visible_scenarios(self) -> list[Scenario]:
        """The role-plays the filters let through, in list order."""
        if self.library is None:
            return []
        value = self.profession.currentData()
        found = self.library.filter(Profession(value) if value else None, self.difficulty.currentData(),
                                    self.search.text(), self.practised if self.unpractised.isChecked() else ())
        kind = self.setting.currentData()
        return [s for s in found if kind is None or setting_kind(s.setting) == kind]

    def refresh(self) -> None:
        """Apply the filters."""
        current = self.list.currentItem().data(Qt.ItemDataRole.UserRole) if self.list.currentItem() else None
        self.list.clear()
        for scenario in self.visible_scenarios():
            stars = "★" * (scenario.difficulty or 0)
            done = "  ✓ practised" if scenario.id in self.practised else ""
            item = QListWidgetItem(f"{scenario.title}\n{scenario.profession.label}  {stars}{done}")
            item.setData(Qt.ItemDataRole.UserRole, scenario.id)
            item.setToolTip(scenario.setting)
            self.list.addItem(item)
            if scenario.id == current:
                self.list.setCurrentItem(item)
        total = len(self.library.scenarios) if self.library else 0
        self.count.setText(f"{self.list.count()} of {total} role-plays")
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        if not self.list.count():
            self.preview.setHtml("<p>No role-play matches these filters.</p>")
            self.prepare_button.setEnabled(False)

    def _show(self, item: QListWidgetItem | None) -> None:
        if item is None or self.library is None:
            return
        scenario = self.library.get(str(item.data(Qt.ItemDataRole.UserRole)))
        if scenario is not None:
            self.preview.setHtml(card_html(scenario))
            self.prepare_button.setEnabled(True)

    def _prepare(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.prepare_requested.emit(str(item.data(Qt.ItemDataRole.UserRole)))
