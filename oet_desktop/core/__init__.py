"""Everything that works without Qt: content, audio, speech, LLM, models, storage, reports.

Importing ``oet_desktop.core`` (or any module below it) never imports PySide6.
"""
