"""Screenshots of every screen of the window, offscreen, at 100% and 200% scaling, into docs/screenshots/.

Run: ``.venv/bin/python scripts/make_screenshots.py`` (it runs itself once per scale). It uses a throwaway
profile in a temporary folder, a private PulseAudio server with a virtual microphone when PulseAudio is
installed, the bundled role-plays and a real feedback report (resources/bench/feedback-demo-session.json).

Real state: 01 profile, 02 microphone check (a 220 Hz tone played into the virtual microphone), 04 library,
05 preparation, 10 settings. Staged (docs/ui.md and the README say so where they are shown):
- 03 speed check: ``run_doctor(live=False)`` put on the page directly: no live speed figures;
- 06 role-play: the real page fed a fixed ``LiveStatus`` (typed captions, fixed clock and level);
- 07/08 feedback: the demo report under a made-up session id and date;
- 09 history: the demo report saved three times, scores shifted by -1/0/+1 (estimate -30/0/+30), made-up dates;
- 11 unlock: a keyring profile whose key mode is rewritten to "passphrase", the error message set directly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "docs" / "screenshots"
SIZE = (1100, 760)


def _start_pulseaudio(base: Path) -> None:
    """A private PulseAudio with a virtual microphone, so the microphone step shows a device."""
    if not shutil.which("pulseaudio"):
        return
    runtime = base / "run"
    runtime.mkdir(mode=0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    subprocess.run(["pulseaudio", "-D", "--exit-idle-time=-1", "-n", "--load=module-native-protocol-unix"],
                   check=True)
    for _ in range(50):
        if subprocess.run(["pactl", "info"], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    for command in (["load-module", "module-null-sink", "sink_name=vsink"],
                    ["load-module", "module-virtual-source", "source_name=vmic", "master=vsink.monitor"],
                    ["set-default-sink", "vsink"], ["set-default-source", "vmic"]):
        subprocess.run(["pactl", *command], check=True, capture_output=True)


def shoot(scale: int) -> None:
    """Take every screenshot at ``scale`` (run in a fresh process with QT_SCALE_FACTOR set)."""
    base = Path(tempfile.mkdtemp(prefix="oet-shots-"))
    os.environ.update({"HOME": str(base), "XDG_DATA_HOME": str(base / "data"), "XDG_CACHE_HOME": str(base / "c"),
                       "XDG_STATE_HOME": str(base / "s"), "QT_QPA_PLATFORM": "offscreen"})
    os.environ.pop("OET_DESKTOP_PASSPHRASE", None)
    _start_pulseaudio(base)
    try:
        _shoot(scale, base)
    finally:
        if shutil.which("pulseaudio"):
            subprocess.run(["pulseaudio", "--kill"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def _shoot(scale: int, base: Path) -> None:
    import keyring
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from oet_desktop.core.assessment.report import FeedbackReport
    from oet_desktop.core.practice.live_practice import Caption, LiveStatus
    from oet_desktop.core.practice.record import SessionRecord
    from oet_desktop.core.system.doctor import format_report, run_doctor
    from oet_desktop.services.context import build_context
    from oet_desktop.services.workspace import Workspace
    from oet_desktop.ui.main_window import MainWindow
    from oet_desktop.ui.tasks import Tasks
    from tests.keyring_backend import MemoryKeyring  # there is no OS keyring offscreen

    keyring.set_keyring(MemoryKeyring())
    app = QApplication([])
    suffix = "" if scale == 1 else f"@{scale}x"

    def wait(seconds: float, until: object = None) -> None:
        deadline = time.monotonic() + 30
        while True:
            loop = QEventLoop()
            QTimer.singleShot(int(seconds * 1000), loop.quit)
            loop.exec()
            if until is None or until() or time.monotonic() > deadline:  # type: ignore[operator]
                return

    def save(window: MainWindow, name: str) -> None:
        wait(0.3)
        window.grab().save(str(OUT / f"{name}{suffix}.png"))
        print(f"{name}{suffix}.png")

    context = build_context()
    window = MainWindow(Workspace(context, keyring, {}), Tasks())
    window.resize(*SIZE)
    window.show()
    window.start()
    wait(0.2, lambda: window.first_run is not None)
    assert window.first_run is not None
    step = window.first_run.profile
    step.name.setText("Amira Haddad")
    step.profession.setCurrentIndex(step.profession.findData("nursing"))
    save(window, "01-first-run-profile")
    step.create_button.click()
    wait(0.2, lambda: window.first_run is not None and
         window.first_run.steps.currentWidget() is window.first_run.microphone)
    if shutil.which("paplay"):  # someone speaking into the (virtual) microphone: the meter shows it
        tone = base / "tone.wav"
        import numpy as np
        import soundfile

        t = np.arange(16_000 * 3) / 16_000
        soundfile.write(tone, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16_000)
        player = subprocess.Popen(["paplay", "-d", "vsink", str(tone)])
        wait(1.5)
        save(window, "02-first-run-microphone")
        player.wait(10)
    else:
        save(window, "02-first-run-microphone")
    window.first_run.microphone.next_button.click()
    report = run_doctor(context.registry, None, live=False)
    window.first_run.models.show_result(report.ok, format_report(report))
    save(window, "03-first-run-model-check")
    window.first_run.models.finish_button.click()
    wait(0.2, lambda: window.library_page.list.count() > 0)
    rows = [window.library_page.list.item(n).data(Qt.ItemDataRole.UserRole)
            for n in range(window.library_page.list.count())]
    window.library_page.list.setCurrentRow(rows.index("nursing-insulin-start-driver"))
    save(window, "04-library")
    window.library_page.prepare_button.click()
    window.preparation_page.notes.setPlainText("- ask about his work and driving\n- hypos: signs, what to do\n"
                                               "- check he is happy with the plan")
    save(window, "05-preparation")

    scenario = window.preparation_page.scenario
    assert scenario is not None
    captions = [Caption("candidate", "Hello, I'm Sam, one of the nurses. Is it all right if we talk about "
                                     "starting insulin?"),
                Caption("patient", "I suppose so. I'm worried about what it means for my job."),
                Caption("candidate", "That's understandable. Can you tell me about your work?")]
    window.roleplay_page.begin(scenario.title, window.preparation_page.notes.toPlainText(), False, True)
    window.roleplay_page.attach(lambda: LiveStatus("speaking", 74.0, 226.0, captions, -24.0))
    window.pages.setCurrentWidget(window.roleplay_page)
    window.navigation.setEnabled(False)
    save(window, "06-role-play")
    window.roleplay_page.stop_polling()
    window.navigation.setEnabled(True)

    demo = FeedbackReport.from_dict(json.loads((REPO / "oet_desktop" / "resources" / "bench" / "feedback-demo-session.json")
                                               .read_text(encoding="utf-8")))
    storage = window.workspace.storage
    assert storage is not None
    for day, delta in ((3, -1), (10, 0), (17, 1)):
        session_id = f"202611{day:02d}-090000-{demo.scenario_id}"
        record = SessionRecord(demo.scenario_id, "exam", "half_duplex", {}, started_at=f"2026-11-{day:02d}T09:00:00")
        storage.call(lambda repo, s=session_id, r=record: repo.save_session(s, r, "finished"))
        criteria = [replace(c, score=None if c.score is None else max(0, min(c.maximum, c.score + delta)))
                    for c in demo.criteria]
        estimate = replace(demo.estimate, score=demo.estimate.score + 30 * delta) if demo.estimate else None
        dated = replace(demo, session_id=session_id, criteria=criteria, estimate=estimate,
                        taken_at=f"2026-11-{day:02d}T09:00:00")
        storage.call(lambda repo, s=session_id, d=dated: repo.save_feedback(s, d))
    window.shown_session = f"20261117-090000-{demo.scenario_id}"
    window.feedback_page.show_report(demo)
    window.pages.setCurrentWidget(window.feedback_page)
    save(window, "07-feedback")
    window.feedback_page.jump_to(demo.transcript[3].start)
    save(window, "08-feedback-transcript")
    window.show_section(1)
    wait(0.2, lambda: window.history_page.table.rowCount() == 3)
    save(window, "09-history")
    window.show_section(2)
    wait(0.5)
    save(window, "10-settings")
    window.close()

    os.environ["OET_DESKTOP_PASSPHRASE"] = ""
    locked = MainWindow(Workspace(build_context(), keyring, {}), Tasks())
    locked.resize(*SIZE)
    storage_location = locked.workspace.location
    storage_location.write_key_mode("passphrase")  # shown as a passphrase-protected profile
    locked.show()
    locked.start()
    wait(0.2, lambda: locked.pages.currentWidget() is locked.unlock_page)
    locked.unlock_page.failed("The passphrase does not open your practice data. Check it and try again; nothing "
                              "has been changed.")
    save(locked, "11-unlock")
    locked.close()
    app.quit()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--scale":
        shoot(int(sys.argv[2]))
    else:
        OUT.mkdir(parents=True, exist_ok=True)
        for factor in (1, 2):
            env = {**os.environ, "QT_SCALE_FACTOR": str(factor)}
            subprocess.run([sys.executable, __file__, "--scale", str(factor)], check=True, env=env)
