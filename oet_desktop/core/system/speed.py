"""Live speed checks of the engines on this machine, each with a verdict for live role-play use."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Any

from oet_desktop.core.audio.files import resample
from oet_desktop.core.audio.types import SAMPLE_RATE, Samples
from oet_desktop.core.llm.types import ChatMessage, GenerationSettings, LanguageModel
from oet_desktop.core.speech.stt import Transcriber
from oet_desktop.core.tts.voice import Voice

RTF_LIMIT = 0.3
"""Recognition and synthesis must take under 0.3 s per second of audio to keep replies near 1 s."""
TTFT_LIMIT_S = 0.5
TOKENS_PER_S_MIN = 10.0

CLINICAL_SENTENCES = (
    "Good morning, my name is Sam and I will be looking after you today.",
    "Could you tell me when the chest pain first started?",
    "Your blood test shows that your iron levels are a little low.",
    "Please take one tablet twice a day with food for seven days.",
    "If the swelling gets worse or you feel short of breath, call us straight away.",
)
"""Original sentences in the register of a clinical role-play, used for checks and round-trip tests."""


@dataclass
class SpeedCheck:
    """One engine's figures and whether they are fast enough."""

    engine: str
    model: str
    figures: dict[str, float]
    fast_enough: bool
    verdict: str
    device: str = "cpu"
    device_reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def synthesise_clips(voice: Voice, sentences: tuple[str, ...]) -> tuple[SpeedCheck, list[Samples]]:
    """Speak each sentence; return the TTS check and the clips at 16 kHz (for the STT check)."""
    synth = audio = 0.0
    clips: list[Samples] = []
    for text in sentences:
        pieces = list(voice.speak(text))
        synth += sum(p.synthesis_seconds for p in pieces)
        audio += sum(p.audio_seconds for p in pieces)
        clips.extend(resample(p.samples, p.sample_rate, SAMPLE_RATE) for p in pieces)
    rtf = synth / audio if audio else float("inf")
    ok = rtf <= RTF_LIMIT
    verdict = (
        f"Fast enough for a live role-play: {rtf:.3f} s of work per second of speech."
        if ok
        else f"Too slow for a live role-play ({rtf:.2f} s per second of speech): choose a medium or low "
        "quality voice, or close other programs."
    )
    return SpeedCheck("tts", _name(voice), {"real_time_factor": round(rtf, 4), "audio_seconds": round(audio, 2),
                                            "synthesis_seconds": round(synth, 3)}, ok, verdict), clips


def check_stt(transcriber: Transcriber, clips: list[Samples], model: str) -> SpeedCheck:
    """Transcribe the clips; the real-time factor is total processing over total audio."""
    transcriber.transcribe(clips[0][: SAMPLE_RATE])  # warm-up (first call allocates buffers)
    results = [transcriber.transcribe(clip) for clip in clips]
    audio = sum(r.audio_seconds for r in results)
    work = sum(r.processing_seconds for r in results)
    rtf = work / audio if audio else float("inf")
    ok = rtf <= RTF_LIMIT
    verdict = (
        f"Fast enough for a live role-play: {rtf:.3f} s of work per second of speech."
        if ok
        else f"Too slow for a live role-play ({rtf:.2f} s per second of speech): choose whisper-tiny.en, "
        "or use a GPU."
    )
    device = getattr(transcriber, "device", None)
    figures = {"real_time_factor": round(rtf, 4), "audio_seconds": round(audio, 2),
               "processing_seconds": round(work, 3)}
    return SpeedCheck("stt", model, figures, ok, verdict, getattr(device, "device", "cpu"),
                      getattr(device, "reason", ""))


def check_llm(model: LanguageModel, repeats: int = 3) -> SpeedCheck:
    """Time to first token and tokens per second for a short in-character reply (persona prefix cached)."""
    persona = ChatMessage("system", "You are a patient called Tom in a hospital. Answer in one short sentence.")
    questions = ["How are you feeling today?", "Do you live alone?", "Are you in any pain?",
                 "Who can help you at home?", "What do you know about your medicine?"]
    settings = GenerationSettings(max_tokens=48, temperature=0.0, seed=1)
    model.load()
    cold = _first_token(model, [persona, ChatMessage("user", "Hello, I'm your nurse today.")], settings)
    ttfts: list[float] = []
    speeds: list[float] = []
    for question in questions[: max(1, repeats)]:
        _first_token(model, [persona, ChatMessage("user", question)], settings)
        stats = model.last_stats
        if stats:
            ttfts.append(stats.time_to_first_token)
            if stats.tokens_per_second:
                speeds.append(stats.tokens_per_second)
    ttft = statistics.median(ttfts) if ttfts else float("inf")
    tps = statistics.median(speeds) if speeds else 0.0
    ok = ttft <= TTFT_LIMIT_S and tps >= TOKENS_PER_S_MIN
    verdict = (
        f"Fast enough for a live role-play: first word after {ttft * 1000:.0f} ms, {tps:.0f} tokens/s."
        if ok
        else f"Too slow for live replies (first word after {ttft:.2f} s, {tps:.1f} tokens/s): choose a smaller "
        "model such as smollm2-135m-instruct-q4_1, use a GPU, or connect an OpenAI-compatible server."
    )
    figures = {"time_to_first_token_s": round(ttft, 4), "tokens_per_second": round(tps, 1),
               "cold_time_to_first_token_s": round(cold, 4)}
    return SpeedCheck("llm", model.info.model, figures, ok, verdict, model.info.device, model.info.reason)


def _first_token(model: LanguageModel, messages: list[ChatMessage], settings: GenerationSettings) -> float:
    text = "".join(model.stream_chat(messages, settings))
    stats = model.last_stats
    if not text or stats is None:
        return float("inf")
    return stats.time_to_first_token


def _name(voice: Voice) -> str:
    path = getattr(voice, "model_path", None)
    return str(getattr(path, "name", type(voice).__name__))
