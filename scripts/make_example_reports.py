"""Generate the example PDFs in docs/examples from calibration role-plays scored by the real assessment.

Run from the repository root: .venv/bin/python scripts/make_example_reports.py
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from oet_desktop.services.context import build_context  # noqa: E402
from oet_desktop.core.assessment.feedback import Assessor  # noqa: E402
from oet_desktop.core.assessment.progress import build_progress  # noqa: E402
from oet_desktop.core.reports.progress_pdf import write_progress_pdf  # noqa: E402
from oet_desktop.core.reports.session_pdf import write_session_pdf  # noqa: E402
from oet_desktop.core.settings import EngineSettings  # noqa: E402
from oet_desktop.core.tts.voice import PiperVoiceEngine  # noqa: E402
from tests.calibration import load_cases, render  # noqa: E402

SESSION_CASE = "nursing-catheter-care-home--middling"
HISTORY = [  # a candidate's month: (case, date)
    ("nursing-catheter-care-home--weak", "2026-10-28"), ("nursing-child-asthma-inhalers--middling", "2026-11-03"),
    ("nursing-catheter-care-home--middling", "2026-11-09"), ("nursing-child-asthma-inhalers--unclear_speech",
                                                             "2026-11-15"),
    ("nursing-catheter-care-home--fluent_jargon", "2026-11-20"), ("nursing-child-asthma-inhalers--strong",
                                                                  "2026-11-24"),
]


def main() -> None:
    context = build_context(settings=EngineSettings(deterministic_voice=True))
    library = context.load_scenarios()
    engines = context.engines
    assessor = Assessor.with_project_lexicon(engines.embedder())
    cases = {c.id: c for c in load_cases()}
    voices: dict[float, PiperVoiceEngine] = {}

    def score(case_id: str, date: str) -> object:
        case = cases[case_id]
        base = engines.voice()
        voice = voices.setdefault(case.pace, base if case.pace == 1.0 else PiperVoiceEngine(
            base.model_path, deterministic=True, length_scale=case.pace))
        scenario = library.get(case.scenario)
        assert scenario is not None
        conversation = render(case, scenario, voice, engines.transcriber())
        conversation.taken_at = f"{date}T18:30:00+00:00"
        conversation.session_id = f"{date.replace('-', '')}-{case.scenario}"
        return assessor.assess(conversation)

    reports = [score(case_id, date) for case_id, date in HISTORY]
    session = next(r for r, (case_id, _) in zip(reports, HISTORY, strict=True) if case_id == SESSION_CASE)
    out = ROOT / "docs" / "examples"
    print(write_session_pdf(dataclasses.replace(session), out / "session-report.pdf"))
    progress = build_progress(reports, list(library.scenarios.values()))  # type: ignore[arg-type]
    print(write_progress_pdf(progress, out / "progress-report.pdf", candidate_name="Example Candidate"))


if __name__ == "__main__":
    main()
