"""What a candidate's sentence is doing, as the interlocutor needs to know it: asking for a fact, checking
understanding, asking for a teach-back, summarising, reassuring, safety-netting or explaining.

Each kind is a documented set of phrasings (docs/practice.md). The director answers a fact only for a real
question; a check tagged onto an explanation ("…, okay?", "Does that make sense?") is not one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from oet_desktop.core.practice.text import content_words, is_question


class SentenceIntent(StrEnum):
    """What one candidate sentence does."""

    QUESTION = "question"
    CHECK = "check"
    SUMMARY_CHECK = "summary_check"
    """"Have I got that right?" after a summary of what the patient said."""
    TEACH_BACK = "teach_back"
    SUMMARY = "summary"
    REASSURANCE = "reassurance"
    SAFETY_NET = "safety_net"
    EXPLANATION = "explanation"
    SOCIAL = "social"


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_LEAD_IN = re.compile(r"^((so|and|okay|ok|right|now|well|um|uh|great|good|thanks|thank you|lastly|finally|"
                      r"before (we|i|you) (finish|go|leave)|just|also)[,.]?\s+)+", re.IGNORECASE)

EXPLAINED_WELL = _any(
    r"\b(so|just so|to make sure|to check|to be sure|so that|i want to (make sure|check|be sure)|i'?d like to "
    r"(make sure|check|be sure)|i just want to (make sure|check))\b.{0,60}\b(explained|been clear|came across|"
    r"come across|confused you|made (it|that|this|things|myself) clear|clear enough|got (it|that) across|"
    r"explained (it|that|things|everything) (well|clearly|properly)|haven'?t (missed|left out|confused)|"
    r"(it|that|this) (was|is) clear|haven'?t (missed|left|forgotten) (anything|something))\b",
)
"""The candidate checks that their own explanation was clear: with a question, that is a teach-back request."""

TEACH_BACK = _any(
    r"\b(in|using) your own words\b",
    r"\b(could|can|would|will) you (please )?(just )?(tell|show|explain to|explain|walk|talk|run|take) (me|us) "
    r"(back |through )?"
    r"(how|what|when|which|the way|the steps|the plan)\b.*\b(you('ll| will| are going to|'re going to)|at home|"
    r"tomorrow|tonight|from now|from today)\b",
    r"\b(could|can|would) you (please )?(just )?show me how you('d| would| will|'ll)?\b",
    r"\bjust (so|to make sure|to check|to be sure) (that )?i('ve| have) (explained|been clear|made (it|that|"
    r"things) clear)\b",
    r"\bto (make sure|check|be sure) i('ve| have) (explained|been clear)\b",
    r"\b(explain|repeat|tell me|say) (it|that|them|those|this) back\b",
    r"\b(tell|show) me what you('ll| will| would|'d| are going to| re going to) do\b",
    r"\bwhat (will|would|are) you (going to )?do (if|when|first|next|each|every|tonight|tomorrow)\b",
    r"\bwhat you('d| would|'ll| will) do (if|when)\b",
    r"\bhow (would|will) you (explain|describe|tell|decide|know|remember|go about)\b",
    r"\bwhich (of (them|those|these) )?(do you think )?(will|would) you (use|try|start)\b",
    r"\bhow (will|would|are) you (going to )?(take|use|give|do|manage|look after|clean|apply|start|fit|wear|"
    r"check|feed|store|remember)\b.*\b(home|tonight|tomorrow|now|from now|each|every|this)\b",
    r"\bwhat (are|were) the (main |key )?(things|points|signs|steps) (you('ll| will)|to) (remember|look out|"
    r"watch)\b",
)
"""A request that the patient say back, in their own words, what was explained (teach-back)."""

CHECK = _any(
    r"\b(does|did) (that|this|all (of )?that|everything|it) make sense\b",
    r"\bis (that|this|everything|it|all (of )?that) (clear|okay|ok|all right|alright)( so far| for you)?\b",
    r"\b(okay|ok|all right|alright|right|yeah|yes|fair enough|sound good|understood|clear)\s*\?$",
    r"\bhow does (that|this) sound\b", r"\b(are you|you) (with me|following( me)?)\b",
    r"\bany questions( so far| about (that|this)| on (that|this))?\b", r"\bdo you (have|want to ask) any questions\b",
    r"\bdo you understand( (that|this|everything|all (of )?that|what i('ve| have) (said|explained)|me))?\s*\?$",
    r"\bshall i (go on|carry on|continue)\b", r"\bam i making sense\b",
    r"\bdoes that (sound|seem) (okay|ok|reasonable|possible)\b",
    r"\bis there anything (else )?(you'?d like|you want|you would like) (to ask|me to (explain|go over))\b",
    r"\bis there anything else\b", r"\b(would|does) that (be|work|help)( for you)?\s*\?$",
    r"\bhow (do|does) (you|that|this) feel about (that|this)\s*\?$", r"\bhow do you feel about that\b",
    r"\bwhat do you think( about| of)? (that|this)\s*\?$", r"\bcan you see (why|how)\b",
    r"\bis that something you('d| would| could) (be able to|be happy to|like to|consider|try)\b",
    r"\bwould you be (happy|willing|okay|ok|able) to (try|do|give)\b",
    r"\bhow would you feel about (trying|giving|starting|doing|taking|using)\b",
)
"""A check tagged on to an explanation: understanding, agreement, questions so far."""

SUMMARY_CHECK = _any(
    r"\b(is|was) (that|this|it|all that|that all) (about |more or less |roughly )?(right|correct|fair|accurate|"
    r"a fair summary|a fair picture|a good summary)\b",
    r"\bhave i (got|understood|followed|heard) (that|this|it|you|everything|all that|all of that) (right|correctly|"
    r"properly)\b", r"\bhave i understood( you)? (correctly|right)\b", r"\bdid i (get|miss) (that|this|it|anything)\b",
    r"\bhave i (missed|left out|forgotten) anything\b", r"\bdoes that (sound|seem) (right|about right|fair|accurate)\b",
    r"\b(fair|good|accurate) (summary|picture)\b", r"\bam i right\b", r"\bis there anything i('ve| have) missed\b",
)
"""The check that closes a summary of what the patient said."""

SUMMARY = _any(
    r"\b(to sum up|to summarise|to summarize|in summary|to recap|just to recap|let me recap|let me summari[sz]e|"
    r"so to sum up|let me (just )?go over|let me (just )?run through|just to go over)\b",
    r"\bif i('ve| have) (understood|got (this|that|it|you)|heard you) (correctly|right)\b",
    r"\b(so )?what (you're|you are|i'm hearing( is)?|i hear) (telling me|saying)\b",
    r"^(so|okay|right)?,? ?you('ve| have) (told me|said|mentioned|explained)\b",
    r"\blet me (just )?(make sure|check) i('ve| have) (understood|got)\b",
    r"\bjust to (check|make sure|confirm) i('ve| have) (understood|got)\b",
    r"\bso,? (from what you('ve| have) (said|told me)|it sounds like|you're saying)\b",
    r"\blet me (just )?(check|make sure) i('ve| have) (followed|understood|got)( you| that| this| it)?\b",
    r"\b(the )?main (points|things) (are|to remember)\b", r"\bso,? the key (things|points)\b",
)
"""A summary of what the patient said (to be confirmed) or of the plan."""

REASSURANCE = _any(
    r"\b(please )?(don'?t|do not|try not to) (worry|be (worried|scared|afraid|embarrassed|ashamed|frightened)|"
    r"feel (bad|guilty|embarrassed|ashamed|silly))\b",
    r"\b(it'?s|that'?s|it is|that is|this is) (very |really |quite |completely |perfectly |extremely )?"
    r"(common|normal|natural|understandable|treatable|manageable|safe|routine|nothing to (worry|be))\b",
    r"\bnothing to (worry|be (ashamed|embarrassed|afraid|scared|worried))\b",
    r"\b(you're|you are|she's|he's|they're) not (alone|the only one|to blame|a bad)\b",
    r"\b(it'?s|it is|this is|that is|that's) not your fault\b", r"\bno one is (blaming|judging)\b",
    r"\b(we|i)('ll| will| are going to| can) (support|help|look after|be (there|with you)|make sure|take care|"
    r"work (on|through) (this|it) together|get (this|it|you) sorted|sort (this|it) out|arrange)\b",
    r"\b(you|she|he|they|it)('ll| will) (be|feel|get) (fine|okay|ok|all right|alright|better|back to|used to|"
    r"in good hands|easier|less)\b",
    r"\bthere'?s no need to (worry|feel|be)\b", r"\brest assured\b", r"\bi (can )?(promise|assure)\b",
    r"\bthe good news is\b", r"\b(most|many|lots of) (people|patients|children|dogs|cats|owners|parents) "
    r"(do|recover|manage|find|get|feel|cope|are)\b",
    r"\byou('ve| have| are|'re) (done|doing|been doing) (really |very |absolutely )?(well|great|brilliantly|"
    r"the right thing|everything right)\b",
    r"\b(it|this|that|the (test|scan|procedure|treatment|injection|operation))(.{0,20}) (won'?t|will not|"
    r"shouldn'?t|doesn'?t|does not|isn'?t going to) (hurt|be painful|be (too )?(bad|long|uncomfortable))\b",
    r"\b(very|quite|completely|perfectly) safe\b", r"\bwe see (this|it) (a lot|all the time|every day|often)\b",
    r"\bi (completely |totally |really )?understand (why|how|that|your)\b",
    r"\b(plenty|lots|most|many|the majority) of (\w+ ){0,3}(people|patients|children|kids|women|men|gentlemen|ladies|"
    r"dogs|cats|pets|owners|parents|babies|adults|teachers|drivers|walkers|runners|carers|families)\b",
    r"\byou (haven'?t|have not|didn'?t|did not) (harm|hurt|damage|cause|do anything wrong|done anything wrong|"
    r"fail|let (him|her|them) down)", r"\b(isn'?t|wasn'?t|is not|was not) (something|anything) you did\b",
    r"\bnothing for anyone to (notice|see)\b", r"\bevery chance\b", r"\bin (good|plenty of) time\b",
    r"\byou('re| are| will be|'ll be) in control\b", r"\b(get|gets|getting) (noticeably |much |a lot |a bit )?better\b",
    r"\b(isn'?t|not) (necessarily )?how (things|it|this) will stay\b", r"\bi'?m not here to\b",
    r"\b(live|lead|have) (long|normal|full|happy|healthy)\b", r"\bget (through|over) (it|this|that)\b",
    r"\b(perfectly|completely|totally) (normal|healthy|fine|okay|safe)\b", r"\bno one('s| is) going to\b",
    r"\b(you|he|she|they) (can|will|'ll) (still|carry on|keep)\b",
    r"\bnot (at all )?your fault\b", r"\b(nobody|no one)('s| is)? (going to|will) (push|force|make|judge|blame|rush)\b",
    r"\b(very|extremely|highly|really) unlikely\b", r"\bwon'?t feel (a thing|anything|much)\b",
    r"\b(tiny|small|very low|minimal) (amount|dose|risk|chance)\b", r"\blowest (possible )?dose\b",
    r"\byou (wouldn'?t|won'?t) be (letting|failing)\b", r"\byou haven'?t (missed|done) anything\b",
    r"\b(most|many|plenty of|lots of|the majority of) (\w+[ -]?){1,3} (find|are surprised|recover|improve|do (really )?"
    r"well|cope|manage|get (better|used)|take (these|it|them)|forget|grow out|settle)\b",
    r"\bwe('d| would| can| could) (simply |just )?(stop|switch|change|try something else)\b",
    r"\b(there'?s|there is) still (a lot|plenty|so much)\b",
    r"\byou (did|acted) (exactly )?(the right thing|right|quickly)\b",
)
"""Reassurance and comfort: the worry is not unusual, help is there, it will be all right."""

SAFETY_NET = _any(
    r"\bif (you|she|he|they|it|there'?s|there is|the|your|his|her|any)\b.{0,60}\b(call|ring|phone|contact|come "
    r"(back|in|straight)|go (to|straight)|see (a|your|the)|get (help|medical)|seek|bring|let (me|us|someone) know|"
    r"tell (me|us|someone|your))\b",
    r"\b(call|ring|phone|contact|come (back|in)|go to|get in touch)\b.{0,60}\b(if|straight away|immediately|"
    r"urgently|right away|at once|999|111|000|a ?& ?e|emergency|out of hours)\b",
    r"\b(seek|get) (urgent |immediate |emergency )?(medical )?(help|advice|attention)\b",
    r"\b(warning|danger|red[- ]flag) signs?\b", r"\bdon'?t hesitate to (call|ring|contact|come)\b",
    r"\b(straight away|immediately|urgently) (if|should)\b", r"\bin an emergency\b",
    r"\b(watch|look) out for\b", r"\bkeep an eye (out )?(on|for)\b",
)
"""Safety-netting: what to watch for and whom to contact if it happens."""

SOCIAL = _any(
    r"^(hello|hi|good (morning|afternoon|evening)|welcome|nice to meet you)\b",
    r"\bmy name('s| is)\b", r"^(thank you|thanks)( (so|very) much)?( for [a-z ]+)?[.!]?$",
    r"^(i see|mm+|right|okay|ok|of course|sure|great|good|lovely|excellent|absolutely)[.!]?$",
)
"""Greetings, introductions, thanks and back-channels."""


@dataclass(frozen=True)
class ClassifiedSentence:
    """A candidate sentence and what it does."""

    text: str
    intent: SentenceIntent


def _clean(sentence: str) -> str:
    return _LEAD_IN.sub("", sentence.strip().replace("\u2019", "'"))


def classify_sentence(sentence: str) -> SentenceIntent:
    """The intent of one sentence (first matching rule: teach-back, summary, check, question, safety-netting,
    reassurance, social, explanation)."""
    text = _clean(sentence)
    if TEACH_BACK.search(text):
        return SentenceIntent.TEACH_BACK
    question = is_question(text)
    if SUMMARY_CHECK.search(text) and (question or text.rstrip().endswith("?")):
        return SentenceIntent.SUMMARY_CHECK
    if SUMMARY.search(text) and not (question and not CHECK.search(text) and text.rstrip().endswith("?")
                                     and not re.search(r"\b(right|correct)\s*\?$", text, re.IGNORECASE)):
        return SentenceIntent.SUMMARY
    if CHECK.search(text) and (question or text.rstrip().endswith("?")):
        return SentenceIntent.CHECK
    if question:
        return SentenceIntent.QUESTION
    if SAFETY_NET.search(text):
        return SentenceIntent.SAFETY_NET
    if REASSURANCE.search(text):
        return SentenceIntent.REASSURANCE
    if SOCIAL.search(text) or len(content_words(text)) < 2:
        return SentenceIntent.SOCIAL
    return SentenceIntent.EXPLANATION


def classify(sentences: list[str], explained_before: bool = True) -> list[ClassifiedSentence]:
    """Every sentence of a turn with its intent. A question in a turn that checks the candidate's own
    explanation ("Just so I know I've been clear, how would you…?") is a teach-back request; one before
    anything was explained ("In your own words, what is this sore?") asks for the patient's ideas."""
    classified = [ClassifiedSentence(s, classify_sentence(s)) for s in sentences]
    if any(EXPLAINED_WELL.search(_clean(s)) for s in sentences):
        classified = [ClassifiedSentence(c.text, SentenceIntent.TEACH_BACK) if c.intent in (
            SentenceIntent.QUESTION, SentenceIntent.CHECK) else c for c in classified]
        if not any(c.intent is SentenceIntent.TEACH_BACK for c in classified):
            classified[-1] = ClassifiedSentence(classified[-1].text, SentenceIntent.TEACH_BACK)
    if not explained_before:
        classified = [ClassifiedSentence(c.text, SentenceIntent.QUESTION) if c.intent is SentenceIntent.TEACH_BACK
                      and is_question(_clean(c.text)) else c for c in classified]
    return classified


def turn_reaction(classified: list[ClassifiedSentence]) -> SentenceIntent | None:
    """What a turn with no fact question in it mostly asks of the patient: a teach-back, a confirmation of a
    summary, a reaction to reassurance, an acknowledgement of safety-netting or of an explanation; None when
    the turn is only social talk."""
    intents = [c.intent for c in classified]
    if intents and intents[-1] is SentenceIntent.SUMMARY_CHECK:
        return SentenceIntent.SUMMARY
    for wanted in (SentenceIntent.TEACH_BACK, SentenceIntent.SUMMARY, SentenceIntent.SAFETY_NET,
                   SentenceIntent.REASSURANCE, SentenceIntent.EXPLANATION):
        if wanted in intents:
            if wanted is SentenceIntent.SUMMARY and intents[-1] not in (SentenceIntent.SUMMARY,
                                                                         SentenceIntent.CHECK,
                                                                         SentenceIntent.SUMMARY_CHECK):
                continue  # "So, to sum up… Now, the injections work by…": the turn went on to explain
            return wanted
    return SentenceIntent.EXPLANATION if SentenceIntent.CHECK in intents else None
