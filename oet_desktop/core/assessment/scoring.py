"""Criterion scores from explicit rules over the evidence (documented in docs/feedback.md).

Linguistic criteria (0–6): each indicator maps one measure to a 0–6 band; the score is their weighted mean,
capped where one indicator dominates (unexplained jargon caps Appropriateness). An indicator is met at band 5
(the grade-B rule of thumb). Clinical criteria (0–3): each indicator counts 1 (shown), 0.5 (partly) or 0; the
share of indicators shown gives the score. Too little evidence gives "not assessed", never a default."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from oet_desktop.core.assessment.criteria import CRITERION_INDICATORS, INDICATORS, Criterion
from oet_desktop.core.assessment.discourse import Found, Move, QuestionType
from oet_desktop.core.assessment.evidence import Evidence
from oet_desktop.core.assessment.report import Confidence, CriterionResult, IndicatorResult, Quote

MIN_WORDS = 40
"""Fewer candidate words than this: no linguistic criterion is scored."""
MIN_TURNS = 4
"""Fewer candidate turns than this: no clinical criterion is scored."""
MIN_CLINICAL_WORDS = 60
MET_BAND = 5
NOT_SHOWN_BAND = 4
"""A linguistic indicator the conversation gave no chance to show (the patient voiced no feeling to respond
to) counts as this band: below the grade-B band, so a missing chance never lifts a score above one where the
chance was taken (docs/feedback.md, "Indicators that do not apply")."""
NOT_SHOWN_SHARE = 0.5
"""The same for a clinical indicator: half shown."""
TYPED_REASON = "the role-play was typed, not spoken, so {what} could not be judged; speak it to be assessed on this"


def half_up(value: float) -> int:
    """Round halves up (4.5 → 5), unlike Python's round(), which rounds halves to even."""
    return math.floor(value + 0.5)


def band(value: float, steps: Sequence[tuple[float, int]], otherwise: int, higher_is_better: bool = True) -> int:
    """The band of the first step the value reaches (``value >= limit`` or ``<=`` when lower is better)."""
    for limit, result in steps:
        if (value >= limit) if higher_is_better else (value <= limit):
            return result
    return otherwise


@dataclass(frozen=True)
class _Indicator:
    id: str
    value: float | None
    """Band 0–6 (linguistic) or 0 / 0.5 / 1 (clinical); None = not assessed."""
    note: str
    quotes: tuple[Quote, ...] = ()


def _quote(found: Found) -> Quote:
    return Quote(found.sentence, found.utterance.start, found.utterance.turn)


def _quotes(found: Sequence[Found], limit: int = 2) -> tuple[Quote, ...]:
    return tuple(_quote(f) for f in found[:limit])


def _result(criterion: Criterion, score: int | None, confidence: Confidence, summary: str,
            indicators: list[_Indicator], linguistic: bool, not_assessed: str | None = None) -> CriterionResult:
    def met(value: float | None) -> bool | None:
        if value is None:
            return None
        return value >= MET_BAND if linguistic else value >= 1

    return CriterionResult(
        criterion, score, criterion.maximum, confidence if score is not None else Confidence.NONE, summary,
        tuple(IndicatorResult(i.id, INDICATORS[i.id], met(i.value), i.note, i.quotes) for i in indicators),
        not_assessed,
    )


def _not_assessed(criterion: Criterion, reason: str) -> CriterionResult:
    indicators = [_Indicator(i, None, "Not assessed.") for i in CRITERION_INDICATORS[criterion]]
    return _result(criterion, None, Confidence.NONE, f"Not assessed: {reason}", indicators, criterion.linguistic,
                   reason)


def _confidence(amount: float, high: float, medium: float) -> Confidence:
    return Confidence.HIGH if amount >= high else Confidence.MEDIUM if amount >= medium else Confidence.LOW


# --- linguistic -----------------------------------------------------------------------------------------
def intelligibility(ev: Evidence) -> CriterionResult:
    """Listener strain from the recogniser's low-confidence words (accent as such is never penalised)."""
    crit = Criterion.INTELLIGIBILITY
    if ev.conversation.typed:
        return _not_assessed(crit, TYPED_REASON.format(what="clarity"))
    if ev.clarity is None:
        reason = ("no candidate audio was recorded, so clarity could not be measured" if not
                  ev.conversation.has_audio else "the recogniser gave no word timings to judge clarity from")
        return _not_assessed(crit, reason)
    clarity = ev.clarity
    share = clarity.low_confidence_share
    steps = ((0.03, 6), (0.07, 5), (0.12, 4), (0.2, 3), (0.3, 2), (0.45, 1))
    i1 = band(share, steps, 0, higher_is_better=False)
    examples = ", ".join(f"\u201c{w.text.strip()}\u201d" for w in clarity.low_confidence[:6])
    quotes = tuple(Quote(w.text.strip(), w.start) for w in clarity.low_confidence[:4])
    i2 = band(clarity.worst_turn_share, ((0.15, 6), (0.25, 5), (0.35, 4), (0.5, 3)), 2, higher_is_better=False)
    indicators = [
        _Indicator("I1", i1, f"{share:.0%} of {clarity.words} words were hard for the recogniser to make out"
                   + (f" (e.g. {examples})." if examples else "."), quotes),
        _Indicator("I2", i2, f"In the least clear turn {clarity.worst_turn_share:.0%} of words were unclear."),
    ]
    score = min(i1, i2 + 1)
    summary = ("Your words came through clearly." if score >= 5 else
               "Some words were hard to make out; a listener would have to work to follow in places."
               if score >= 3 else "Many words were hard to make out, which puts strain on the listener.")
    return _result(crit, score, _confidence(clarity.words, 150, 60), summary, indicators, True)


def fluency(ev: Evidence) -> CriterionResult:
    """Rate, pauses (from audio timing), runs and disfluencies."""
    crit = Criterion.FLUENCY
    if ev.conversation.typed:
        return _not_assessed(crit, TYPED_REASON.format(what="pauses and speaking rate"))
    if ev.fluency is None:
        return _not_assessed(crit, "no candidate audio was recorded, so pauses and speaking rate could not be "
                                   "measured")
    fl = ev.fluency
    if not any(u.words for u in ev.conversation.candidate):
        return _not_assessed(crit, "the recogniser's word timing was not kept, so pauses could not be placed "
                                   "within clauses")
    if fl.words < 10 or fl.speaking_s < 5:
        return _not_assessed(crit, f"only {fl.speaking_s:.0f} s of candidate speech was recorded")
    rate, artic = fl.speech_rate_wpm, fl.articulation_rate_sps
    if artic > 6.2:
        f1, rate_note = band(artic, ((6.8, 2), (6.5, 3)), 4), f"{artic:.1f} syllables a second is fast for a patient"
    else:
        f1 = band(rate, ((120, 6), (105, 5), (90, 4), (75, 3), (60, 2)), 1)
        rate_note = f"{rate:.0f} words a minute ({artic:.1f} syllables a second while speaking)"
    f2 = band(fl.hesitations_per_min, ((1.0, 6), (2.5, 5), (4.0, 4), (6.0, 3), (9.0, 2), (13.0, 1)), 0, False)
    f3 = band(fl.mean_length_of_run, ((12, 6), (9, 5), (7, 4), (5, 3), (3.5, 2)), 1)
    if (fl.mean_pause_s or 0) > 1.0:
        f3 = max(0, f3 - 1)
    disfluencies = 100 * (fl.filled_pauses + len(ev.language.repetitions) + len(ev.language.self_corrections)) / max(
        fl.words, 1)
    f4 = band(disfluencies, ((3, 6), (6, 5), (9, 4), (13, 3), (18, 2)), 1, False)
    longest = ev.hesitation_pauses()[:3]
    pause_quotes = tuple(Quote(f"\u2026{p.before} [{p.seconds:.1f} s pause]", p.start) for p in longest)
    indicators = [
        _Indicator("F1", f1, rate_note + "."),
        _Indicator("F2", f2, f"{fl.hesitations} hesitation pauses ({fl.hesitations_per_min:.1f} a minute): "
                   f"{fl.mid_clause_pauses} inside a clause, the rest over a second; {len(fl.pauses)} silent "
                   "pauses of 250 ms or more in all.", pause_quotes),
        _Indicator("F3", f3, f"Runs of {fl.mean_length_of_run:.1f} syllables between pauses on average"
                   + (f"; pauses lasted {fl.mean_pause_s:.1f} s on average." if fl.mean_pause_s else ".")),
        _Indicator("F4", f4, f"{disfluencies:.1f} fillers, repetitions and restarts per 100 words "
                   f"({fl.filled_pauses} filled pauses, {len(ev.language.repetitions)} repetitions, "
                   f"{len(ev.language.self_corrections)} self-corrections).",
                   tuple(Quote(r, None) for r in ev.language.repetitions[:2])),
    ]
    score = half_up(0.15 * f1 + 0.35 * f2 + 0.25 * f3 + 0.25 * f4)
    score = min(score, min(f1, f2, f3, f4) + 2)
    summary = ("You spoke smoothly at a comfortable pace." if score >= 5 else
               "Your speech flowed in places but pauses inside sentences and fillers broke it up." if score >= 3
               else "Frequent pauses in the middle of sentences and fillers made your speech hard to follow.")
    return _result(crit, score, _confidence(fl.speaking_s, 90, 40), summary, indicators, True)


def appropriateness(ev: Evidence) -> CriterionResult:
    """Lay explanations of technical terms, register, and tone fitted to the patient's feelings."""
    crit = Criterion.APPROPRIATENESS
    unexplained = [j for j in ev.jargon if not j.use.explained]
    explained = [j for j in ev.jargon if j.use.explained]
    per_100 = 100 * len(unexplained) / max(1, ev.candidate_words)
    l1 = min(band(len({j.use.term for j in unexplained}), ((0, 6), (1, 5), (2, 4), (3, 3), (5, 2)), 1, False),
             band(per_100, ((0.0, 6), (1.0, 5), (2.0, 4), (3.0, 3), (4.5, 2), (6.0, 1)), 0, False))
    unexplained_terms = sorted({j.use.term for j in unexplained})
    l1_note = (f"{len(unexplained_terms)} technical term(s) used without an everyday explanation"
               + (f" ({', '.join(unexplained_terms[:5])})" if unexplained else "")
               + f", {per_100:.1f} per 100 words; {len({j.use.term for j in explained})} explained.")
    l1_quotes = tuple(Quote(j.utterance.text, j.utterance.start, j.utterance.turn) for j in unexplained[:2])
    judgements, slang, directives = ev.moves[Move.JUDGEMENT], ev.moves[Move.SLANG], ev.moves[Move.DIRECTIVE]
    directive_share = len(directives) / max(1, ev.language.sentences)
    l2 = max(1, 6 - len(judgements) - len(slang) - band(directive_share, ((0.18, 2), (0.1, 1)), 0))
    l2_note = (f"{len(judgements)} blunt or judgemental phrase(s), {len(slang)} overly casual expression(s); "
               f"{directive_share:.0%} of sentences were bare instructions (\u201cyou must\u2026\u201d, "
               "\u201cdon't\u2026\u201d) rather than advice.")
    if ev.cues:
        ratio = sum(c.picked_up for c in ev.cues) / len(ev.cues)
        l3 = band(ratio, ((0.75, 6), (0.5, 5), (0.3, 4), (0.01, 3)), 2)
        l3_note = f"Your tone responded to {sum(c.picked_up for c in ev.cues)} of {len(ev.cues)} feelings voiced."
    else:
        l3 = NOT_SHOWN_BAND
        l3_note = "The patient voiced no feelings to respond to, so this could not be shown (counted as not shown)."
    indicators = [_Indicator("L1", l1, l1_note, l1_quotes),
                  _Indicator("L2", l2, l2_note, _quotes(judgements + slang + directives)),
                  _Indicator("L3", l3, l3_note)]
    score = half_up(0.4 * l1 + 0.2 * l2 + 0.4 * l3)
    score = min(score, l1 + 1, l2 + 2, l3 + 1 if len(ev.cues) >= 2 else 6)
    summary = ("You explained things in everyday words and kept a caring tone." if score >= 5 else
               "Mostly suitable language, but some terms or phrasing would not suit a patient." if score >= 3
               else "Much of your wording was too technical or not suited to the patient.")
    return _result(crit, score, _confidence(ev.candidate_words, 200, 80), summary, indicators, True)


def grammar_expression(ev: Evidence) -> CriterionResult:
    """Lexical diversity, sentence complexity, range of structures, and accuracy."""
    crit = Criterion.GRAMMAR_EXPRESSION
    lang = ev.language
    g1: float | None = None
    if lang.mtld is not None:
        g1 = band(lang.mtld, ((80, 6), (66, 5), (55, 4), (46, 3), (38, 2)), 1)
    g2 = band(lang.complex_share, ((0.3, 6), (0.22, 5), (0.15, 4), (0.1, 3), (0.05, 2)), 1)
    g3 = band(len(lang.features), ((6, 6), (5, 5), (4, 4), (3, 3), (2, 2)), 1)
    g4 = band(lang.errors_per_100_words, ((0.0, 6), (0.5, 5), (1.0, 4), (2.0, 3), (3.5, 2)), 1, False)
    indicators = [
        _Indicator("G1", g1, f"Lexical diversity (MTLD) {lang.mtld:.0f}." if lang.mtld is not None
                   else "Too few words to measure lexical diversity."),
        _Indicator("G2", g2, f"{lang.complex_share:.0%} of sentences had a subordinate or relative clause; "
                   f"{lang.mean_sentence_words:.1f} words per sentence on average."),
        _Indicator("G3", g3, f"Structures used: {', '.join(lang.features) or 'few beyond simple statements'}."),
        _Indicator("G4", g4, f"{len(lang.errors)} likely grammar slip(s)"
                   + (f", e.g. {lang.errors[0][0]}." if lang.errors else "."),
                   tuple(Quote(s, None) for _, s in lang.errors[:2])),
    ]
    values = [v for v in (g1, g2, g3) if v is not None]
    score = half_up(sum(values) / len(values))
    score = max(0, min(score, g4 + 1))
    summary = ("You used a wide range of vocabulary and sentence structures accurately." if score >= 5 else
               "Your grammar was generally clear but the range of vocabulary and structures was limited."
               if score >= 3 else "Mostly short, simple sentences with repeated words and some grammar slips.")
    return _result(crit, score, _confidence(lang.words, 250, 100), summary, indicators, True)


# --- clinical communication --------------------------------------------------------------------------------
def _partial(count: int, full: int = 2) -> float:
    return 1.0 if count >= full else 0.5 if count >= 1 else 0.0


def _counted(indicator_id: str, found: Sequence[Found], full: int, what: str) -> _Indicator:
    """An indicator shown fully at ``full`` instances of a move and partly at one; ``what`` follows the count."""
    return _Indicator(indicator_id, _partial(len(found), full), f"{len(found)} {what}.", _quotes(found))


def _clinical(criterion: Criterion, ev: Evidence, indicators: list[_Indicator], strong: str, middle: str,
              weak: str) -> CriterionResult:
    values = [i.value for i in indicators if i.value is not None]
    share = sum(values) / len(values) if values else 0.0
    score = band(share, ((0.8, 3), (0.5, 2), (0.15, 1)), 0)
    summary = strong if score == 3 else middle if score >= 1 else weak
    turns = len(ev.conversation.candidate)
    return _result(criterion, score, _confidence(turns, 8, 5), summary, indicators, False)


def relationship(ev: Evidence) -> CriterionResult:
    """A: opening, attentiveness, a non-judgemental approach, empathy."""
    moves = ev.moves
    first = {id(u) for u in ev.conversation.candidate[:2]}
    opening = [m for m in (Move.GREETING, Move.INTRODUCTION, Move.PURPOSE)
               if any(id(f.utterance) in first for f in moves[m])]
    missing = [m.value for m in (Move.GREETING, Move.INTRODUCTION, Move.PURPOSE) if m not in opening]
    a1 = 1.0 if len(opening) == 3 else 0.5 if len(opening) == 2 else 0.0
    attentive = moves[Move.ACKNOWLEDGEMENT] + moves[Move.RELATE_BACK]
    judgements = moves[Move.JUDGEMENT]
    empathy = moves[Move.EMPATHY]
    indicators = [
        _Indicator("A1", a1, "Greeting, introduction and purpose all in the opening." if not missing else
                   f"The opening lacked: {', '.join(missing)}.",
                   tuple(Quote(u.text, u.start, u.turn) for u in ev.conversation.candidate[:1])),
        _counted("A2", attentive, 3, "acknowledgement(s) of what the patient said"),
        _Indicator("A3", 1.0 if not judgements else 0.5 if len(judgements) == 1 else 0.0,
                   "No blaming or dismissive wording." if not judgements else
                   f"{len(judgements)} blunt or judgemental phrase(s).", _quotes(judgements)),
        _counted("A4", empathy, 2, "empathic statement(s)"),
    ]
    return _clinical(Criterion.RELATIONSHIP, ev, indicators,
                     "You built rapport: a clear opening, attentive listening and real empathy.",
                     "Some rapport, but parts of the opening or empathy were missing.",
                     "Little rapport: the opening, acknowledgement and empathy were largely missing.")


def perspective(ev: Evidence) -> CriterionResult:
    """B: ideas, concerns and expectations; cues picked up; explanations related to the patient."""
    moves = ev.moves
    ice = moves[Move.ELICIT_ICE]
    picked = [c for c in ev.cues if c.picked_up]
    missed = [c for c in ev.cues if not c.picked_up]
    b2 = NOT_SHOWN_SHARE  # no worry voiced: the chance to pick one up never came
    if ev.cues:
        ratio = len(picked) / len(ev.cues)
        b2 = 1.0 if ratio >= 2 / 3 - 1e-9 else 0.5 if ratio >= 1 / 3 - 1e-9 else 0.0
    cue_quotes = tuple(Quote(c.cue.text, c.cue.start, c.cue.turn, "patient") for c in missed[:2]) or tuple(
        Quote(c.response.text, c.response.start, c.response.turn) for c in picked[:2] if c.response)
    relate = moves[Move.RELATE_BACK]
    indicators = [
        _counted("B1", ice, 2, "question(s) about the patient's ideas, concerns or expectations"),
        _Indicator("B2", b2, (f"{len(picked)} of {len(ev.cues)} worries or feelings were acknowledged."
                              + (" Unanswered cues are quoted." if missed else "")) if ev.cues else
                   "The patient voiced no worry to pick up, so this could not be shown (counted as half shown).",
                   cue_quotes),
        _counted("B3", relate, 2, "explanation(s) tied to what the patient said"),
    ]
    return _clinical(Criterion.PERSPECTIVE, ev, indicators,
                     "You drew out the patient's view and built your explanations on it.",
                     "You explored the patient's view in part; some worries went unanswered.",
                     "The patient's own concerns and expectations were hardly explored.")


def structure(ev: Evidence) -> CriterionResult:
    """C: a logical sequence, signposting, organised explanations."""
    moves = ev.moves
    coverage = ev.coverage
    jumps = coverage.jumps
    c1 = (1.0 if coverage.share >= 0.6 and jumps <= 1 else
          0.5 if coverage.share >= 0.4 and jumps <= 3 else 0.0)
    opening = ev.conversation.candidate[:1]
    signposts = [f for f in moves[Move.SIGNPOST] if f.utterance not in opening]  # the opening's purpose is A1
    organised = len(moves[Move.SUMMARY]) + len(moves[Move.CHUNK_CHECK])
    indicators = [
        _Indicator("C1", c1, f"{sum(t.covered for t in coverage.tasks)} of {len(coverage.tasks)} tasks covered; "
                   f"jumped back to an earlier topic {jumps} time(s)."),
        _counted("C2", signposts, 3, "signpost(s) to a new topic"),
        _Indicator("C3", 1.0 if moves[Move.SUMMARY] and moves[Move.CHUNK_CHECK] else 0.5 if organised else 0.0,
                   f"{len(moves[Move.SUMMARY])} summary(ies) and {len(moves[Move.CHUNK_CHECK])} check(s) between "
                   "chunks of information.", _quotes(moves[Move.SUMMARY] + moves[Move.CHUNK_CHECK])),
    ]
    return _clinical(Criterion.STRUCTURE, ev, indicators,
                     "A clear, signposted structure that was easy to follow.",
                     "Some structure, but topic changes were not always signposted or summarised.",
                     "The conversation jumped between topics without signposts or summaries.")


def gathering(ev: Evidence) -> CriterionResult:
    """D: the patient's story, open-to-closed questions, no compound or leading questions, clarifying,
    summarising."""
    moves = ev.moves
    open_q = [q for q in ev.questions if q.kind is QuestionType.OPEN]
    bad = [q for q in ev.questions if q.kind in (QuestionType.COMPOUND, QuestionType.LEADING)]
    share = ev.talk_share
    d1 = 1.0 if len(open_q) >= 2 and ev.interruptions <= 1 and (share is None or share <= 0.72) else (
        0.5 if open_q else 0.0)
    first_three = ev.questions[:3]
    open_share = len(open_q) / len(ev.questions) if ev.questions else 0.0
    d2 = (1.0 if any(q.kind is QuestionType.OPEN for q in first_three) and open_share >= 0.3 else
          0.5 if open_share >= 0.15 else 0.0)
    summary = moves[Move.SUMMARY]
    checked = moves[Move.SUMMARY_CHECK]
    indicators = [
        _Indicator("D1", d1, f"{len(open_q)} open question(s); {ev.interruptions} interruption(s); you did "
                   f"{share:.0%} of the talking." if share is not None else f"{len(open_q)} open question(s)."),
        _Indicator("D2", d2, f"{len(open_q)} of {len(ev.questions)} questions were open"
                   + ("; you opened with an open question." if d2 == 1 else "."),
                   tuple(Quote(q.sentence, q.utterance.start, q.utterance.turn) for q in open_q[:2])),
        _Indicator("D3", 1.0 if not bad else 0.5 if len(bad) == 1 else 0.0,
                   "No compound or leading questions." if not bad else
                   f"{sum(q.kind is QuestionType.COMPOUND for q in bad)} compound and "
                   f"{sum(q.kind is QuestionType.LEADING for q in bad)} leading question(s).",
                   tuple(Quote(q.sentence, q.utterance.start, q.utterance.turn) for q in bad[:3])),
        _counted("D4", moves[Move.CLARIFY], 1, "request(s) to clarify"),
        _Indicator("D5", 1.0 if summary and checked else 0.5 if summary or checked else 0.0,
                   f"{len(summary)} summary(ies) of what the patient said; {len(checked)} check(s) that it was right.",
                   _quotes(summary + checked)),
    ]
    return _clinical(Criterion.GATHERING, ev, indicators,
                     "You let the patient talk, moved from open to closed questions and checked what you heard.",
                     "You gathered the main facts, but question style or summarising could improve.",
                     "Questions were mostly closed, stacked or leading, so the patient's story did not come out.")


def giving(ev: Evidence) -> CriterionResult:
    """E: prior knowledge first, chunk and check, reactions invited, teach-back, further needs."""
    moves = ev.moves
    teach = moves[Move.TEACH_BACK]
    plain = moves[Move.DO_YOU_UNDERSTAND]
    indicators = [
        _counted("E1", moves[Move.PRIOR_KNOWLEDGE], 1, "question(s) about what the patient already knew"),
        _counted("E2", moves[Move.CHUNK_CHECK] + moves[Move.INVITE_REACTION], 2,
                 "pause(s) between chunks of information to check or invite a reaction"),
        _counted("E3", moves[Move.INVITE_REACTION], 1, "invitation(s) to react"),
        _Indicator("E4", 1.0 if teach else 0.0,
                   f"{len(teach)} teach-back request(s)." if teach else
                   f"No teach-back; {len(plain)} \u201cdo you understand?\u201d check(s) instead." if plain else
                   "Understanding was not checked.", _quotes(teach or plain)),
        _counted("E5", moves[Move.ANYTHING_ELSE], 1, "offer(s) to answer further questions"),
    ]
    return _clinical(Criterion.GIVING, ev, indicators,
                     "You built on what the patient knew, explained in chunks and checked understanding well.",
                     "Clear information in parts, but checking and tailoring could be stronger.",
                     "Information was given without finding out what the patient knew or checking understanding.")


LINGUISTIC_RULES = {Criterion.INTELLIGIBILITY: intelligibility, Criterion.FLUENCY: fluency,
                    Criterion.APPROPRIATENESS: appropriateness, Criterion.GRAMMAR_EXPRESSION: grammar_expression}
SPEECH_ONLY = (Criterion.INTELLIGIBILITY, Criterion.FLUENCY)
"""Criteria that only speech can show (a typed role-play is not assessed on them)."""
CLINICAL_RULES = {Criterion.RELATIONSHIP: relationship, Criterion.PERSPECTIVE: perspective,
                  Criterion.STRUCTURE: structure, Criterion.GATHERING: gathering, Criterion.GIVING: giving}


def score_all(ev: Evidence) -> list[CriterionResult]:
    """All nine criteria, in the usual order; criteria without enough evidence are marked not assessed."""
    results: list[CriterionResult] = []
    words, turns = ev.candidate_words, len(ev.conversation.candidate)
    for criterion, rule in LINGUISTIC_RULES.items():
        if ev.conversation.typed and criterion in SPEECH_ONLY:
            results.append(rule(ev))  # "typed, not spoken" says more than a word count
        elif words < MIN_WORDS:
            results.append(_not_assessed(criterion, f"the candidate said {words} words; at least {MIN_WORDS} are "
                                                    "needed to judge language"))
        else:
            results.append(rule(ev))
    for criterion, rule in CLINICAL_RULES.items():
        if turns < MIN_TURNS or words < MIN_CLINICAL_WORDS:
            results.append(_not_assessed(criterion, f"the role-play had {turns} candidate turn(s) and {words} words;"
                                                    f" at least {MIN_TURNS} turns and {MIN_CLINICAL_WORDS} words are "
                                                    "needed to judge clinical communication"))
        else:
            results.append(rule(ev))
    return results
