"""Clinical-communication moves found in what the candidate says: question types, empathy, signposting,
summaries, checking, and the patient's cues. Each move is a documented set of phrasings (docs/feedback.md),
matched per sentence, so every finding points at a quote the candidate can check."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from oet_desktop.core.assessment.conversation import Utterance
from oet_desktop.core.practice.intents import EXPLAINED_WELL, TEACH_BACK


def sentences(text: str) -> list[str]:
    """The text cut at sentence ends (the recogniser punctuates)."""
    protected = re.sub(r"\b(Mr|Mrs|Ms|Dr|Prof|St|e\.g|i\.e|etc|vs)\.\s", lambda m: m.group(0).replace(". ", "\x00 "),
                       text.strip(), flags=re.IGNORECASE)
    parts = [p.replace("\x00", ".") for p in re.split(r"(?<=[.!?])\s+", protected)]
    return [p.strip() for p in parts if p.strip()]


def _lower(sentence: str) -> str:
    cleaned = re.sub(r"[\u2019`]", "'", sentence.lower())
    return re.sub(r"\b(um+|uh+|er+m?|hmm+)\b[,.]?\s*", "", cleaned).strip()


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


class QuestionType(StrEnum):
    """How a question is asked (RIAS / Calgary–Cambridge)."""

    OPEN = "open"
    CLOSED = "closed"
    COMPOUND = "compound"
    LEADING = "leading"


_INTRO = re.compile(r"^((good morning|good afternoon|good evening|thank you|so|and|now|okay|ok|right|well|first|"
                    r"firstly|then|also|next|great|good|thanks|hello|hi|"
                    r"before i go on|to start|to begin|just to start|finally|lastly|secondly)[,.]? +)+")
_OPEN = _any(
    r"^(what|how|why|in what way|which)\b(?! (time|day|dose|colour|number)\b)",
    r"\b(can|could|would) you (tell|describe|talk|explain|walk) (me|us|through)?",
    r"^(tell|talk) me\b", r"^describe\b", r"\bi'?d (like|love) to hear\b", r"\bwhat (else|about)\b",
)
_CLOSED_START = re.compile(
    r"^(do|does|did|is|are|was|were|have|has|had|can|could|will|would|"
    r"shall|should|may|might|any|anything|anyone)\b")
_UNMARKED_CLOSED = re.compile(r"^(do|does|did|have|has|are|is|was|were|can|could|would|will)\s+(you|your|he|she|they|"
                              r"it|there|anyone|anything|we)\b")
_LEADING = _any(
    r", (don't|doesn't|didn't|isn't|aren't|wasn't|won't|can't|haven't|hasn't|shouldn't|wouldn't|do|does|did|is|"
    r"are|have|has|will|would|can|should) (you|it|he|she|they|we|i|that|there)\?$",
    r", (right|yeah|okay|correct)\?$",
    r"^(i assume|i take it|i suppose|i guess|surely|presumably)\b",
    r"^(you|he|she|they)('re| are|'ve| have| do| did|'ll| will)( not|n't)?\b.*\?$",
    r"^(you|he|she|they) (don't|didn't|aren't|haven't|won't|can't)\b",
    r"^(don't|doesn't|didn't|isn't|aren't|wouldn't|shouldn't|won't) you\b",
)
_QUESTION_HEAD = re.compile(
    r"(^|,|\band\b|\bor\b|\balso\b)\s*(do|does|did|is|are|was|were|have|has|can|could|will|would|what|how|when|where|"
    r"why|who)\s+(you|your|it|he|she|they|there|the|that|this|much|many|often|long)\b")


def question_type(sentence: str) -> QuestionType | None:
    """The type of a question sentence, or None when the sentence is not a question."""
    low = _INTRO.sub("", _lower(sentence))
    if not low:
        return None
    # The recogniser sometimes ends a question with a full stop; without "?" only clear question forms count
    # ("Do not take…", "Should you feel dizzy, sit down." and "Any bleeding, call us." are instructions).
    asks = low.endswith("?") or bool(_OPEN.search(low) or _UNMARKED_CLOSED.match(low))
    if not asks or low.startswith(("how about", "what i'd like", "what we'll", "what i'll", "what this means",
                                   "what that means", "what happens is", "how it works is", "why don't we")):
        return None
    if _LEADING.search(low) and not re.match(r"(what|how|why|where|when|who|which)\b", low):
        return QuestionType.LEADING
    if low.endswith("?") and len(_QUESTION_HEAD.findall(low)) >= 2:
        return QuestionType.COMPOUND
    if _OPEN.search(low):
        return QuestionType.OPEN
    if low.endswith("?") or _UNMARKED_CLOSED.match(low):
        return QuestionType.CLOSED
    return None


class Move(StrEnum):
    """A communication move the candidate can make (one per detector)."""

    GREETING = "greeting"
    INTRODUCTION = "introduction"
    PURPOSE = "purpose"
    EMPATHY = "empathy"
    ACKNOWLEDGEMENT = "acknowledgement"
    JUDGEMENT = "judgement"
    ELICIT_ICE = "elicit_ice"
    RELATE_BACK = "relate_back"
    SIGNPOST = "signpost"
    SUMMARY = "summary"
    SUMMARY_CHECK = "summary_check"
    CLARIFY = "clarify"
    PRIOR_KNOWLEDGE = "prior_knowledge"
    CHUNK_CHECK = "chunk_check"
    INVITE_REACTION = "invite_reaction"
    TEACH_BACK = "teach_back"
    DO_YOU_UNDERSTAND = "do_you_understand"
    ANYTHING_ELSE = "anything_else"
    SLANG = "slang"
    DIRECTIVE = "directive"


MOVE_PATTERNS: dict[Move, re.Pattern[str]] = {
    Move.GREETING: _any(r"^(hello|hi|good (morning|afternoon|evening)|welcome)\b", r"\bnice to meet you\b"),
    Move.INTRODUCTION: _any(r"\bmy name('s| is)\b", r"\bi'?m (one of the|the|your|a|an) [a-z ]*(nurse|doctor|"
                            r"pharmacist|dentist|dietitian|dietician|therapist|physio|physiotherapist|optometrist|"
                            r"podiatrist|radiographer|pathologist|vet|veterinarian|surgeon|gp|specialist)\b",
                            r"\b(i'?m|i am) (dr\.? |doctor |nurse |sister )?[a-z]+,? (one of the|the|your|a|an)\b"),
    Move.PURPOSE: _any(r"\bi'?ve come (to|about)\b", r"\bi'?m here (to|about)\b",
                       r"\b(i'd|i would|we'd|i want|i wanted|i just want|i just wanted) (like )?to "
                       r"(talk|discuss|go through|explain|chat|have a"
                       r" chat|check|see how|look at|speak)\b",
                       r"\b(today|this morning|this afternoon),? (we|i)('ll| will| can| are going to|'m going to)\b",
                       r"\bthe reason (i|we)\b", r"\bso (that )?we can (talk|discuss|go through)\b",
                       r"\bwe('ll| will| are going to| can) (talk|discuss|look at|go through|chat)\b",
                       r"\bto (talk|chat) (with you )?about\b"),
    Move.EMPATHY: _any(r"\b(you|that) (seem|seems|sound|sounds|look|looks) (really |very |quite |a bit |a little )?"
                       r"(worried|anxious|upset|scared|frightened|concerned|frustrated|fed up|overwhelmed|stressed|"
                       r"hard|difficult|frightening|worrying|tough|upsetting|awful|exhausting|embarrassing)\b",
                       r"\bi (can )?(completely |really |totally )?understand (why|how|that|your|it)\b",
                       r"\bi can (see|imagine|only imagine|hear)\b", r"\bthat must (be|have been|feel)\b",
                       r"\b(it's|it is|that's|that is) (completely |entirely |very |perfectly )?"
                       r"(understandable|natural|normal) (to|that|for)\b",
                       r"\bmany (people|patients|parents) (feel|worry|find)\b", r"\bi'?m (so |very |really )?sorry "
                       r"(to hear|that|you)\b",
                       r"\byou('ve| have) (done|been doing) (really |very )?(well|the right thing|a great job)\b",
                       r"\bwe('ll| will) (work|get through|do) (this|it|on this) together\b",
                       r"\b(i'm|we're|we are|i am) (here|going) to (help|support)\b",
                       r"\bit'?s (clear|obvious) (that )?you (care|love)\b",
                       r"\bhow (are|do) you feeling\b",
                       r"\b(that's|that is|it's|it is) (very |so |completely |totally |entirely )?"
                       r"(understandable|natural)\b",
                       r"\bno wonder\b", r"\bi'?m sorry\b", r"\b(it's|it is|this is) not your fault\b",
                       r"^(oh,? )?(please )?don'?t be sorry\b",
                       r"\b(that's|that is|it's) (a )?(really |very |completely |perfectly )?"
                       r"(common|natural|normal|understandable|reasonable) "
                       r"(worry|concern|feeling|reaction|question|thing to feel)\b",
                       r"\byou('re| are) not (alone|the only one)\b",
                       r"\bhow (are|have) you (been )?(feeling|coping)\b",
                       r"\b(that|it|this) (clearly |obviously |really )?(means|matters) (a lot|a great deal|so much|"
                       r"everything) to you\b",
                       r"\bthat'?s (a )?(really )?(big|huge|lot) (deal|worry|thing) for you\b"),
    Move.ACKNOWLEDGEMENT: _any(r"^(i see|i hear you|right, i see|okay, i see|mm|of course|absolutely|sure)\b",
                               r"^(that's|that is|it's) (really |very |so )?(good|great|useful|helpful|important|"
                               r"interesting|exactly right|right|fine)( to (hear|know))?\b",
                               r"\bthat('s| is) (really )?(helpful|useful) to know\b", r"\bgood (point|question)\b",
                               r"\bthank you for (telling|sharing|letting|being)\b",
                               r"\bthat'?s (a )?(really |very )?(good|fair|great|important|sensible|reasonable) "
                               r"(point|question|thing to ask|concern)\b",
                               r"\bthat makes (a lot of |complete |perfect )?sense\b", r"\bi appreciate\b",
                               r"\byou('re| are) (right|quite right) to\b"),
    Move.JUDGEMENT: _any(r"\byou (should|shouldn't|should not) have\b", r"\bthat'?s (silly|ridiculous|wrong|not "
                         r"relevant|irrelevant|nonsense|not important)\b", r"\b(you )?need to just\b",
                         r"\byour own fault\b", r"\bwhy (didn't|did not|haven't|have not) you\b",
                         r"\bthere'?s no point\b", r"\bdon'?t be (silly|ridiculous|dramatic)\b",
                         r"\b(not|isn't) (my|the) (problem|concern)\b", r"\bjust do (it|as|what)\b",
                         r"\byou (just )?(have|need) to accept\b", r"\bi don'?t have time\b",
                         r"\bstop (worrying|complaining)\b", r"\bthat'?s just how it is\b",
                         r"\bdon'?t worry about (it|that)\b"),
    Move.ELICIT_ICE: _any(r"\bwhat (worries|concerns|bothers|frightens|scares) you\b",
                          r"\b(what|anything) (are|were) you (most )?(worried|concerned|anxious|nervous) about\b",
                          r"\bwhat (were|are) you hoping\b", r"\bwhat (do|would) you (think|expect|hope|want)\b",
                          r"\bwhat are your (thoughts|concerns|worries|expectations|main concerns)\b",
                          r"\bhow do you feel about\b", r"\bwhat matters (most )?to you\b",
                          r"\bwhat would you like\b", r"\bdo you have any (concerns|worries)\b",
                          r"\bis there anything (that's |that is )?(worrying|bothering|concerning) you\b",
                          r"\bwhat('s| is) (your|the) (biggest|main) (worry|concern)\b",
                          r"\bwhat (do|did) you (make|think) of\b",
                          r"\bhow (would|will|does|has|is) (that|this|it) (affect\w*|impact\w*|chang\w*) (you|your)\b",
                          # Ideas, concerns and expectations are asked in many more ways (Calgary-Cambridge ICE):
                          r"\bwhat('s| is| was) (going through|on|playing on) your mind\b",
                          r"\bwhat('s| is| has been) (worrying|bothering|troubling|concerning|upsetting) you\b",
                          r"\bwhat('s| is) your (understanding|take|view|feeling|sense|own view|gut feeling)\b",
                          r"\bwhat (do|did|would) you (think|believe|reckon|suspect|feel) (is|was|might be|could be|"
                          r"caused|causes|has caused|is causing|happened|will happen|would help|the cause)\b",
                          r"\bwhat (are|were) you (hoping|expecting|thinking|wanting|afraid|most afraid)\b",
                          r"\bwhat (had|have) you (hoped|expected|thought|been thinking)\b",
                          r"\bwhat would (help|make (it|this|things) easier|be (most )?(helpful|useful|important))\b",
                          r"\bhow (are|have) you (been )?(feeling|coping|finding|managing) (about|with)\b",
                          r"\bhow do you see\b", r"\bwhat (would|do) you (like|want|hope) (to|from|out of)\b",
                          r"\b(any|are there any|do you have any|have you got any) (particular |specific )?(worries|"
                          r"concerns|fears|questions or concerns|thoughts|expectations)\b",
                          r"\b(is|was) (anything|something) (worrying|bothering|troubling|concerning|on your mind)\b",
                          r"\bwhat (worries|concerns|bothers|frightens|scares|upsets) you (most|the most)\b",
                          r"\bwhat('s| is) the (hardest|worst|most difficult|most worrying) (part|thing)\b",
                          r"\bhow (do|does) (that|this|it) make you feel\b",
                          r"\bwhat (matters|is important) (most )?to you\b",
                          r"\bwhat do you know about\b.*\b(worr|concern)",
                          r"\bhow (do|would) you feel (about|if)\b",
                          r"\bwhat do you (already )?(know|understand) about what('s| is) (going on|happening|wrong|"
                          r"causing)\b"),
    Move.RELATE_BACK: _any(r"\byou (mentioned|said|told me|were saying)\b", r"\bas you (said|mentioned|know)\b",
                           r"\b(since|because|given that|as) you('ve| have)? (told|said|mentioned|enjoy|like|love|play|"
                           r"want|run|work|drive)\b", r"\bin your case\b", r"\bfor you,? (this|that) means\b",
                           r"\bwhat happened (to|with)\b",
                           r"\blike you said\b", r"\byou('re| are) (worried|concerned|scared|afraid) (about|that)\b",
                           r"\b(which|that)('s| is) (why|what) (it|the|your|you|this|that)\b",
                           r"\bthat explains (why|the)\b", r"\bgoing back to (what you|your)\b",
                           r"\b(about|on) your (question|point|worry|concern) (about|that)\b",
                           r"\byou (asked|were asking|wondered) (about|whether|if)\b",
                           r"\b(your|the) worry about\b", r"\bfor someone like you\b"),
    Move.SIGNPOST: _any(r"^(so,? |okay,? |right,? |now,? )?(first|firstly|first of all|to start|to begin|secondly|"
                        r"next|then,? next|finally|lastly|moving on|turning to)\b",
                        r"^(so,? |okay,? |right,? )?now,? (i'd|i would|i want|let's|let me|we|i'll|i will|i'm going)\b",
                        r"\blet'?s (talk|move on|turn|look|go through|think|come) (about|to|at|on|back)?\b",
                        r"\bbefore we (finish|go|end|stop|wrap up)\b",
                        r"\bi'?d (now )?like to (talk|explain|ask|go through|discuss|move on|tell you|turn|check|"
                        r"find out|cover|focus|look)\b",
                        r"\bthere are (two|three|four|a few|some) (things|points|steps|ways|parts|important)\b",
                        r"\b(can|could|may) i (now )?(ask|explain|talk|move on|go through|tell you)\b",
                        r"\bi'?ll (now )?(explain|go through|tell you|talk you through|start)\b",
                        r"\bthe (next|other|last|final|second|first) (thing|part|step|point)\b",
                        r"\blet me (explain|go through|tell you|talk you through|start|move on)\b",
                        r"\bbefore i (go on|explain|move on|continue)\b",
                        r"^(so,? |okay,? |right,? )?now,? (to|about|for|on to|onto|the|a|moving|coming|turning)\b",
                        r"\bi'?ll come (back )?to (that|this|it|your)\b",
                        r"\bon (the subject|the topic|the question) of\b", r"^as (for|regards)\b",
                        r"^(and|so),? (now|finally|next|lastly)\b", r"\bone (more|last|other) thing\b"),
    Move.SUMMARY: _any(r"\b(to sum up|to summarise|to summarize|in summary|to recap|just to recap|let me recap|"
                       r"let me summarise|let me summarize|so to sum up|let me just go over|let me go over)\b",
                       r"\bif i'?ve (understood|got this|got that|heard you) (correctly|right)\b",
                       r"\b(so )?what (you're|you are|i'm hearing is|i hear) (telling me|saying)\b",
                       r"\b(so|okay),? you'?ve (told me|said|mentioned) (that )?\b",
                       r"\blet me (just )?(make sure|check) i('ve| have) (understood|got)\b",
                       r"\bjust to (check|make sure) i('ve| have) (understood|got)\b",
                       r"\bthe main (points|things) (are|to remember)\b", r"\bso,? the key (things|points)\b",
                       # a reflective summary of what the patient said: "So she didn't recognise them…"
                       r"^so,? (you|she|he|they)('ve| have|'re| are| didn'?t| did| don'?t| do| haven'?t| hasn'?t| had|"
                       r" were| was|'d| usually| normally| mostly| often)\b(?!.*\?$)"),
    Move.SUMMARY_CHECK: _any(r"\b(is that|have i got that|did i get that|is that all) (right|correct|fair|accurate)\b",
                             r"\bhave i (missed|left out) anything\b", r"\bdid i miss anything\b",
                             r"\bis there anything (i'?ve|i have) missed\b", r"\bdoes that sound right\b"),
    Move.CLARIFY: _any(r"\bwhen you say\b", r"\bwhat do you mean (by|when)\b", r"\bwhat did you mean\b",
                       r"\b(could|can) you (tell|explain) (me )?(a bit |a little )?more\b",
                       r"\bhow (much|many|often|long) (exactly|roughly|would you say)\b",
                       r"\broughly how (much|many|often|long)\b", r"\bwhat exactly\b",
                       r"\b(could|can) you (be more specific|give me an example)\b",
                       r"\bdo you mean\b", r"\bwhat kind of\b", r"\bin what way\b"),
    Move.PRIOR_KNOWLEDGE: _any(r"\bwhat do you (already )?(know|understand) about\b",
                               r"\bwhat (else )?(have|has) (you|anyone|the [a-z]+|your [a-z]+) (already )?(been )?"
                               r"(told|said|explained)\b",
                               r"\bwhat('s| is) your understanding\b", r"\bhave you (ever )?heard (of|about)\b",
                               r"\bhow much do you (already )?know\b", r"\bwhat did (the|your) [a-z ]+ (tell|say)\b",
                               r"\bare you familiar with\b", r"\bwhat do you know so far\b"),
    Move.CHUNK_CHECK: _any(r"\bdoes (that|this|all that) make sense\b", r"\bis (that|this|everything) (clear|okay|ok)"
                           r"( so far)?\b", r"\bare you (with me|following)\b", r"\bany questions (so far|about that"
                           r"|on that)\b", r"\bshall i (go on|carry on|continue)\b", r"\b(so far|up to now), is\b",
                           r"\bam i making sense\b", r"\bis that (alright|all right) so far\b",
                           r"\bhow are we doing so far\b"),
    Move.INVITE_REACTION: _any(r"\bhow (do|does) (you|that|this) (feel|sound)\b", r"\bhow are you feeling about\b",
                               r"\bwhat do you (think|feel) about (that|this|what|the)\b",
                               r"\bhow do you feel about (that|this|what|the|trying|starting|taking|doing)\b",
                               r"\bwhat are your thoughts (on|about)\b", r"\bhow would you feel about\b"),
    Move.TEACH_BACK: _any(TEACH_BACK.pattern, EXPLAINED_WELL.pattern),  # the interlocutor's own rule
    Move.DO_YOU_UNDERSTAND: _any(r"\bdo you understand\b", r"\byou understand\?$", r"\bgot (it|that)\?$",
                                 r"\bunderstood\?$", r"\bis that understood\b"),
    Move.ANYTHING_ELSE: _any(r"\banything else (you'?d|you would|you want|you'd like|i can)\b",
                             r"\b(any|do you have any) (other |more |further )?questions\b",
                             r"\bis there anything else\b", r"\bwhat else would you like\b",
                             r"\bwhat else (do|can) (you|i)\b",
                             r"\banything (you'?d like|you would like|you want|else you want) to ask\b"),
    Move.DIRECTIVE: _any(r"^(so,? |and,? |okay,? |now,? )?(you (must|have to|need to|should|can't|cannot|mustn't)|"
                         r"don'?t|do not|stop|take|get|make sure|just (do|take|stop|get))\b"),
    Move.SLANG: _any(r"\b(gonna|wanna|gotta|yeah,? yeah|mate|dude|whatever|no big deal|freak out|sort of thing|"
                     r"kinda|stuff like that|ain't|bloody|crap)\b"),
}

CONCERN = _any(r"\b(worried|worry|worries|worrying|scared|afraid|frightened|anxious|nervous|concerned|terrified|"
               r"embarrassed|ashamed|upset|frustrated|fed up|annoyed|angry|cross|stressed|overwhelmed|guilty|"
               r"panic|dread|hate|can't cope|not coping|struggling|sad|lonely|fear|fears|humiliat\w*)\b",
               r"\bwhat if\b",
               r"\bi (really |just |honestly )?(don'?t|do not) (want|like|think i can|know if i can|fancy)\b",
               r"\bi'?m not sure (i|about|if|whether)\b", r"\b(i'?d|i would) rather (not|just)\b", r"\bnot keen\b",
               r"\bnever (really )?the same\b", r"\bstuck (on|with)\b", r"\b(for ever|forever|for life)\b",
               r"\bmore than i (thought|expected)\b", r"^(goodness|gosh|oh no|oh dear)\b",
               r"\bit'?s (been )?(hard|difficult|tough)\b",
               r"\bi (can't|cannot) (sleep|stop thinking|manage)\b", r"\bwhat'?s the point\b", r"\bmy fault\b",
               r"\bi keep (thinking|worrying|wondering)\b", r"\bi('ve| have) (hurt|harmed|damaged)\b",
               r"\bi don'?t (think i could|see why|see the point|understand why)\b", r"\bi can'?t be doing\b",
               r"\ba lot to take in\b", r"\bi('m| am) not sure\b", r"\bi didn'?t realise\b",
               r"\bcrying\b",
               r"\bi (really )?(can't|cannot) (face|bear|stand|afford)\b", r"\b(terrible|awful|horrible)\b",
               # worries, hopes and doubts voiced as questions or wishes are cues too
               r"\b(could|will|would|might) (it|this|that|i|she|he|they) (actually |ever |still )?(snap|break|burst|"
               r"get worse|come back|spread|be (serious|dangerous|cancer|permanent)|need (an|a|surgery|an operation)|"
               r"lose|die|go blind|have to stop)\b",
               r"\b(is|was) (it|this|that) (serious|dangerous|cancer|my fault|going to hurt)\b",
               r"\b(do|will) i (really )?(have|need) to\b", r"\bcan'?t i (just )?\b", r"\bwhy can'?t i\b",
               r"\bi (really )?(hope|was hoping)\b", r"\bi'?m not (convinced|sure that|sure it)\b",
               r"^(but|yeah,? but|well,? but)\b.*\?$", r"\bhow (are|is|will|would) .{1,40} (going to )?(fix|help|work|"
               r"make (any|a) difference)\b", r"\bmeans (a lot|so much|everything|a great deal) to me\b",
               r"\bi (couldn'?t|could not) (bear|stand|cope|face)\b")


@dataclass(frozen=True)
class Found:
    """A move found in one sentence of one utterance."""

    move: Move
    sentence: str
    utterance: Utterance


def find_moves(utterances: list[Utterance]) -> dict[Move, list[Found]]:
    """Every move in every sentence of the candidate's utterances."""
    found: dict[Move, list[Found]] = {move: [] for move in Move}
    for utterance in utterances:
        for sentence in sentences(utterance.text):
            low = _lower(sentence)
            for move, pattern in MOVE_PATTERNS.items():
                if pattern.search(low):
                    found[move].append(Found(move, sentence, utterance))
    return found


@dataclass(frozen=True)
class AskedQuestion:
    """A question the candidate asked."""

    kind: QuestionType
    sentence: str
    utterance: Utterance


def find_questions(utterances: list[Utterance]) -> list[AskedQuestion]:
    """Every question the candidate asked, classified; three or more questions in one turn count as one
    compound question (the patient cannot answer them all)."""
    asked: list[AskedQuestion] = []
    for utterance in utterances:
        in_turn = [(question_type(s), s) for s in sentences(utterance.text)]
        questions = [(kind, s) for kind, s in in_turn if kind is not None]
        if len(questions) >= 3 and all(kind is not QuestionType.LEADING for kind, _ in questions):
            asked.append(AskedQuestion(QuestionType.COMPOUND, " ".join(s for _, s in questions), utterance))
            continue
        asked.extend(AskedQuestion(kind, s, utterance) for kind, s in questions)
    return asked


def is_concern(text: str) -> bool:
    """True when the patient voices a worry, a feeling or a reluctance (a cue to pick up)."""
    return bool(CONCERN.search(_lower(text)))
