"""PySide6 widgets and windows (the desktop window arrives with issue 6; until then `oet-desktop`
opens the doctor report). Widgets only show state and forward intent to ``oet_desktop.core`` services."""
