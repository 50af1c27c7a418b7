"""The feedback narrative: a short summary and three concrete next steps. Templated from the evidence by
default; with a capable language model, written by the model from the evidence only, streamed, and kept only
if it passes a check (three steps, and every quotation it uses is really in the transcript or evidence)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from oet_desktop.core.assessment.report import CriterionResult, FeedbackReport
from oet_desktop.core.llm.types import ChatMessage, GenerationSettings, LanguageModel

log = logging.getLogger(__name__)

TIPS: dict[str, str] = {
    "I1": "Slow down on key words and finish every final consonant (\u201ctablet\u201d, \u201cswollen\u201d); "
          "record yourself reading your explanations aloud and check each word is clear.",
    "I2": "Keep your voice clear right to the end of long explanations; take a breath between sentences rather "
          "than trailing off.",
    "F1": "Aim for a calm, even pace of about 120\u2013160 words a minute; time yourself explaining one task.",
    "F2": "Plan each sentence's first few words before you start it, and pause at the end of a clause, not in the "
          "middle; practise by saying your card's tasks aloud in whole sentences.",
    "F3": "Build longer runs: rehearse stock phrases (\u201cWhat I'd like to do today is\u2026\u201d) so they come "
          "out in one breath.",
    "F4": "Replace \u201cum\u201d and restarts with a short silent pause; silence sounds more confident than a filler.",
    "L1": "After every medical term add an everyday explanation (\u201c\u2026a blood thinner, which means a medicine "
          "that stops clots forming\u201d), or use the everyday word first.",
    "L2": "Keep a courteous register: soften instructions (\u201cIt would really help if\u2026\u201d) and avoid casual "
          "or blunt wording.",
    "L3": "When the patient shows a feeling, name it and respond to it before moving on (\u201cIt sounds as if this "
          "has been really worrying for you.\u201d).",
    "G1": "Vary your wording: have two or three ways ready to say key ideas (\u201cimportant\u201d, "
          "\u201cessential\u201d, \u201cthe main thing\u201d).",
    "G2": "Join ideas with \u201cbecause\u201d, \u201cwhich\u201d, \u201cif\u201d and \u201cso that\u201d "
          "to build complex sentences instead of strings of short ones.",
    "G3": "Use a wider range of structures: conditionals (\u201cIf you notice\u2026, call us\u201d), modals "
          "(\u201cyou might find\u2026\u201d) and relative clauses.",
    "G4": "Check common slips: no \u201cto\u201d after must/can/should, and \u201che doesn't\u201d, "
          "not \u201che don't\u201d.",
    "A1": "Open with all three parts: greet the patient, say your name and role, and state the purpose of the talk.",
    "A2": "Show you are listening: acknowledge what the patient says (\u201cThank you for telling me that.\u201d) "
          "before your next question.",
    "A3": "Avoid blaming or dismissive wording; explain why something matters instead of saying it is wrong.",
    "A4": "Add an empathic statement when the patient sounds worried (\u201cThat must be hard.\u201d, \u201cMany "
          "people feel the same.\u201d).",
    "B1": "Ask about the patient's ideas, concerns and expectations early (\u201cWhat worries you most about "
          "this?\u201d).",
    "B2": "When the patient mentions a worry, respond to it in your very next turn instead of moving on.",
    "B3": "Link your advice to what the patient told you (\u201cYou mentioned your dominoes club, so\u2026\u201d).",
    "C1": "Follow the card's tasks in a sensible order and finish one topic before starting the next.",
    "C2": "Signpost each change of topic (\u201cNow I'd like to talk about\u2026\u201d, \u201cNext\u2026\u201d).",
    "C3": "Organise explanations into small chunks and finish with a short summary (\u201cSo, the two main things "
          "are\u2026\u201d).",
    "D1": "Start with an open question and let the patient finish their answer before you ask the next one.",
    "D2": "Begin each topic with an open question (\u201cCan you tell me about\u2026?\u201d), then narrow down with "
          "closed ones.",
    "D3": "Ask one question at a time, and avoid questions that suggest the answer (\u201cYou don't smoke, do "
          "you?\u201d).",
    "D4": "Clarify vague answers (\u201cWhen you say \u2018a bit\u2019, how much do you mean?\u201d).",
    "D5": "Summarise what the patient told you and invite correction (\u201cSo, if I've understood correctly\u2026 "
          "Is that right?\u201d).",
    "E1": "Before explaining, ask what the patient already knows (\u201cWhat have you been told so far?\u201d).",
    "E2": "Give information in small chunks and check after each (\u201cDoes that make sense so far?\u201d).",
    "E3": "Invite the patient's reaction after important news (\u201cHow do you feel about that?\u201d).",
    "E4": "Check understanding with teach-back (\u201cCould you tell me in your own words how you'll\u2026?\u201d) "
          "rather than \u201cDo you understand?\u201d.",
    "E5": "Before closing, ask what else the patient would like to know.",
}


def _share(result: CriterionResult) -> float:
    return (result.score or 0) / result.maximum


def template_narrative(criteria: list[CriterionResult], measures: dict[str, float | None]) -> tuple[str, list[str]]:
    """Summary and three next steps written from the scores, the missed indicators and the key figures."""
    assessed = [c for c in criteria if c.score is not None]
    if not assessed:
        return ("There was not enough of the role-play to assess. Try a full role-play of several minutes, "
                "speaking with the microphone on, and the feedback will cover all nine criteria.",
                ["Complete a full role-play of at least a few minutes.",
                 "Check the microphone in Settings so your voice is recorded.",
                 "Work through every task on the candidate card before closing."])
    ranked = sorted(assessed, key=_share)
    strong = [c for c in sorted(assessed, key=_share, reverse=True) if _share(c) >= 0.8][:2]
    weakest = ranked[0]
    parts = []
    if strong:
        parts.append(f"Your strongest area{'s were' if len(strong) > 1 else ' was'} "
                     + " and ".join(c.label for c in strong) + ".")
    if weakest.score is not None and weakest.score >= weakest.criterion.b_level and not weakest.missed:
        parts.append("Every criterion assessed was at grade-B level or above; keep this standard across "
                     "different role-plays.")
    else:
        parts.append(f"{weakest.label} held you back most ({weakest.score}/{weakest.maximum}): "
                     + weakest.summary[0].lower() + weakest.summary[1:])
    rate, mid = measures.get("speech_rate_wpm"), measures.get("mid_clause_pauses_per_min")
    if rate is not None and mid is not None:
        parts.append(f"You spoke at {rate:.0f} words a minute with {mid:.1f} pauses a minute inside sentences.")
    unexplained = measures.get("unexplained_terms")
    if unexplained:
        parts.append(f"{int(unexplained)} technical term(s) went unexplained.")
    steps: list[str] = []
    for result in ranked:
        for indicator in result.missed:
            tip = TIPS.get(indicator.id)
            if tip and tip not in steps:
                steps.append(tip)
            if len(steps) == 3:
                break
        if len(steps) == 3:
            break
    if len(steps) < 3:
        steps += ["Practise a role-play with a different stance (an angry or anxious patient) to stretch your "
                  "skills.", "Try exam mode: 3 minutes of preparation and 5 minutes to cover every task.",
                  "Record a role-play and listen back for pace and clarity."][: 3 - len(steps)]
    return " ".join(parts), steps


@dataclass(frozen=True)
class NarrativeCheck:
    """Whether a model-written narrative may be shown, and why not."""

    ok: bool
    problem: str = ""
    summary: str = ""
    steps: tuple[str, ...] = ()


_QUOTED = re.compile(r"[\"\u201c]([^\"\u201d]{3,})[\"\u201d]|(?<![a-z])['\u2018]([^'\u2019]{3,}?)['\u2019](?![a-z])",
                     re.IGNORECASE)
_ALSO_MEANS = {"intelligibility": ("pronunciation", "clarity"), "fluency": ("pauses", "speaking rate")}


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", re.sub(r"\s+", " ", text.lower().replace("\u2019", "'"))).strip()


def evidence_text(report: FeedbackReport) -> str:
    """Everything a narrative may quote: the transcript and the quoted evidence."""
    pieces = [line.text for line in report.transcript]
    pieces += [q.text for c in report.criteria for i in c.indicators for q in i.quotes]
    return _normal(" ".join(pieces))


def check_narrative(text: str, report: FeedbackReport) -> NarrativeCheck:
    """Parse ``SUMMARY:`` and ``STEP n:`` lines and check every quotation against the evidence."""
    summary_match = re.search(r"SUMMARY:\s*(.+?)(?=\n\s*STEP|\Z)", text, re.S | re.I)
    steps = [s.strip() for s in re.findall(r"STEP\s*\d\s*[:.]\s*(.+)", text, re.I)]
    if not summary_match or len(summary_match.group(1).split()) < 8:
        return NarrativeCheck(False, "no usable summary")
    if len(steps) != 3:
        return NarrativeCheck(False, f"expected three next steps, found {len(steps)}")
    if any(len(s.split()) < 4 for s in steps):
        return NarrativeCheck(False, "a next step is too short to act on")
    known = evidence_text(report)
    for double, single in _QUOTED.findall(text):
        quoted = double or single
        if _normal(quoted) and _normal(quoted) not in known:
            return NarrativeCheck(False, f"quotes words that were never said: {quoted!r}")
    lowered = text.lower()
    for result in report.criteria:
        if result.score is None:
            names = (result.criterion.label.split(". ")[-1].lower(), *_ALSO_MEANS.get(result.criterion.value, ()))
            if any(name in lowered for name in names):
                return NarrativeCheck(False, f"comments on {result.label}, which was not assessed")
    return NarrativeCheck(True, summary=summary_match.group(1).strip(), steps=tuple(steps))


def _prompt(report: FeedbackReport) -> list[ChatMessage]:
    lines = []
    for c in report.criteria:
        score = f"{c.score}/{c.maximum}" if c.score is not None else "not assessed"
        lines.append(f"- {c.label}: {score}. {c.summary}")
        for i in c.missed[:2]:
            quote = f' Quote: "{i.quotes[0].text}"' if i.quotes else ""
            lines.append(f"  missed {i.id} ({i.label}): {i.note}{quote}")
    system = ("You are an experienced OET Speaking tutor. Write feedback for a healthcare professional from the "
              "evidence given and nothing else. Be specific, warm and honest. Only quote words that appear in "
              "the evidence, inside double quotes. Answer in exactly this form:\nSUMMARY: two or three "
              "sentences.\nSTEP 1: one concrete action.\nSTEP 2: one concrete action.\nSTEP 3: one concrete action.")
    return [ChatMessage("system", system),
            ChatMessage("user", f"Role-play: {report.scenario_title}.\nEvidence:\n" + "\n".join(lines))]


class LlmNarrator:
    """Writes the narrative with a language model; streams it, then checks it against the evidence."""

    def __init__(self, model: LanguageModel, max_tokens: int = 260) -> None:
        self._model = model
        self._settings = GenerationSettings(max_tokens=max_tokens, temperature=0.3, seed=7)

    def stream(self, report: FeedbackReport) -> Iterator[str]:
        """The model's text in pieces as it is generated."""
        self._model.load()
        yield from self._model.stream_chat(_prompt(report), self._settings)

    def write(self, report: FeedbackReport, on_text: Callable[[str], None] | None = None) -> NarrativeCheck:
        """Generate (passing each piece to ``on_text``) and check; a failed check is logged and returned."""
        pieces = []
        for piece in self.stream(report):
            pieces.append(piece)
            if on_text:
                on_text(piece)
        result = check_narrative("".join(pieces), report)
        if not result.ok:
            log.info("model narrative rejected: %s", result.problem)
        return result


def apply_narrative(report: FeedbackReport, check: NarrativeCheck) -> None:
    """Put a checked model narrative in the report (the templated one stays if the check failed)."""
    if check.ok:
        report.summary, report.next_steps, report.narrative_source = check.summary, list(check.steps), "llm"

