"""The default models, really loaded: recognition accuracy, synthesis, the LLM streaming, VAD, embeddings."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

from oet_desktop.core.audio.files import read_audio, resample
from oet_desktop.core.audio.types import SAMPLE_RATE
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.errors import EngineError
from oet_desktop.core.llm.llama_cpp_backend import CPU_ONLY_BUILD_REASON, LlamaCppModel, build_supports_gpu
from oet_desktop.core.llm.types import ChatMessage, GenerationSettings
from oet_desktop.core.models.catalog import ModelRole
from oet_desktop.core.models.registry import ModelRegistry
from oet_desktop.core.speech.vad import VadConfig, segment_utterances
from oet_desktop.core.system.speed import CLINICAL_SENTENCES
from tests.conftest import JFK_FLAC, JFK_TEXT
from tests.helpers import voiced_bounds, word_error_rate

pytestmark = pytest.mark.models

PERSONA = ChatMessage(
    "system",
    "You are Mr Tom Whitfield, 71, a patient on a hospital ward four days after a knee replacement. You are "
    "going home today and are nervous about it. Reply as Tom, in one or two short sentences, never as a nurse.",
)


def test_every_default_model_is_present_and_verified(registry: ModelRegistry) -> None:
    for role in ModelRole:
        status = registry.status(registry.catalog.default_for(role).id)
        assert status.verified, status.problem


def test_real_speech_transcribes_within_ten_percent_wer(engines: EngineSet) -> None:
    transcript = engines.transcriber().transcribe(read_audio(JFK_FLAC))
    wer = word_error_rate(JFK_TEXT, transcript.text)
    print(f"jfk.flac WER {wer:.3f}, RTF {transcript.real_time_factor:.3f}: {transcript.text!r}")
    assert wer <= 0.10
    words = transcript.words
    assert words[0].text.lower().startswith("and")
    assert words[-1].text.lower().startswith("country")
    assert all(0.0 <= w.probability <= 1.0 and w.start <= w.end for w in words)
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))
    assert words[-1].end <= transcript.audio_seconds + 0.1


def test_piper_to_whisper_round_trip_of_clinical_sentences(engines: EngineSet) -> None:
    voice, transcriber = engines.voice(), engines.transcriber()
    references, hypotheses = [], []
    for sentence in CLINICAL_SENTENCES:
        audio, rate = voice.speak_all(sentence)
        transcript = transcriber.transcribe(resample(audio, rate, SAMPLE_RATE))
        references.append(sentence)
        hypotheses.append(transcript.text)
        print(f"{sentence!r} -> {transcript.text!r}")
    wer = word_error_rate(" ".join(references), " ".join(hypotheses))
    print(f"round-trip WER over {len(references)} sentences: {wer:.3f}")
    assert wer <= 0.10


def test_filler_prompt_option_keeps_the_transcript_accurate(engines: EngineSet) -> None:
    transcript = engines.transcriber().transcribe(read_audio(JFK_FLAC), keep_fillers=True)
    assert word_error_rate(JFK_TEXT, transcript.text) <= 0.10


def test_voice_speaks_sentence_by_sentence_and_deterministically(engines: EngineSet) -> None:
    voice = engines.voice()
    sentences = list(voice.speak("Hello, I'm Tom. I'm worried about the injections! Can I have tablets instead?"))
    assert [s.text for s in sentences] == ["Hello, I'm Tom.", "I'm worried about the injections!",
                                           "Can I have tablets instead?"]
    assert all(s.sample_rate == voice.sample_rate == 22_050 for s in sentences)
    assert all(0.5 < s.audio_seconds < 4.0 for s in sentences)
    again = next(iter(voice.speak("Hello, I'm Tom.")))
    np.testing.assert_array_equal(again.samples, sentences[0].samples)


def test_language_model_streams_an_in_character_reply(engines: EngineSet) -> None:
    model = engines.language_model()
    pieces = list(model.stream_chat([PERSONA, ChatMessage("user", "Hello Mr Whitfield, how are you feeling?")],
                                    GenerationSettings(max_tokens=40, temperature=0.0, seed=3)))
    text = "".join(pieces)
    print(f"reply: {text!r} stats: {model.last_stats}")
    assert len(pieces) > 3
    assert len(text.split()) >= 3
    assert model.last_stats is not None
    assert model.last_stats.time_to_first_token < model.last_stats.total_seconds


def test_stop_sequences_cut_the_reply(engines: EngineSet) -> None:
    model = engines.language_model()
    settings = GenerationSettings(max_tokens=60, temperature=0.0, seed=3, stop=(".", "\n"))
    text = "".join(model.stream_chat([PERSONA, ChatMessage("user", "Tell me about your home.")], settings))
    assert text
    assert "." not in text
    assert "\n" not in text


def test_the_persona_prefix_is_reused_between_turns(engines: EngineSet) -> None:
    model = engines.language_model()
    settings = GenerationSettings(max_tokens=8, temperature=0.0, seed=3)
    "".join(model.stream_chat([PERSONA, ChatMessage("user", "Do you live alone?")], settings))
    "".join(model.stream_chat([PERSONA, ChatMessage("user", "Are you in any pain today?")], settings))
    stats = model.last_stats
    assert stats is not None
    print(f"second turn reused {stats.reused_prefix_tokens} of {stats.prompt_tokens} prompt tokens")
    assert stats.reused_prefix_tokens >= 40  # the whole persona, evaluated only once


def test_asking_for_gpu_loads_where_the_build_allows_and_says_why(registry: ModelRegistry) -> None:
    path = registry.resolve_default(ModelRole.LLM).main_path
    model = LlamaCppModel(path, context_tokens=512, gpu="on")
    try:
        text = "".join(model.stream_chat([ChatMessage("user", "Say hello.")], GenerationSettings(max_tokens=5)))
    finally:
        model.unload()
    assert text
    if build_supports_gpu():  # a CUDA/Metal build: offloaded
        assert model.info.device == "gpu"
    else:  # the portable CPU build these machines use: CPU, with the reason and the fix
        assert model.info.device == "cpu"
        assert model.info.reason == CPU_ONLY_BUILD_REASON


def test_vad_splits_speech_silence_speech_into_two_utterances(engines: EngineSet) -> None:
    voice = engines.voice()
    clips = []
    for sentence in ("Could you tell me when the pain started?", "And does anything make it better or worse?"):
        audio, rate = voice.speak_all(sentence)
        audio = resample(audio, rate, SAMPLE_RATE)
        start, end = voiced_bounds(audio, SAMPLE_RATE)
        clips.append(audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)])
    lead, gap = np.zeros(SAMPLE_RATE // 2, np.float32), np.zeros(SAMPLE_RATE, np.float32)
    signal = np.concatenate([lead, clips[0], gap, clips[1], lead])
    first_end = (lead.size + clips[0].size) / SAMPLE_RATE
    truth = [(0.5, first_end), (first_end + 1.0, first_end + 1.0 + clips[1].size / SAMPLE_RATE)]
    utterances = segment_utterances(signal, VadConfig(endpoint_ms=700))
    print("truth", truth, "found", [(round(u.start, 3), round(u.end, 3)) for u in utterances])
    assert len(utterances) == 2
    for utterance, (start, end) in zip(utterances, truth, strict=True):
        assert abs(utterance.start - start) <= 0.150
        assert abs(utterance.end - end) <= 0.150


def test_embeddings_match_paraphrases_offline(engines: EngineSet) -> None:
    embedder = engines.embedder()
    vectors = embedder.embed(["Do you live on your own?", "Who is at home with you?", "How is the pain in your knee?"])
    assert vectors.shape == (3, 384) == (3, embedder.dimension)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2] + 0.1


def test_an_abandoned_reply_does_not_block_the_next_one_or_unloading(registry: ModelRegistry) -> None:
    model = LlamaCppModel(registry.resolve_default(ModelRole.LLM).main_path, context_tokens=512)
    settings = GenerationSettings(max_tokens=40, temperature=0.0)
    try:
        stream = model.stream_chat([PERSONA, ChatMessage("user", "Tell me about your family.")], settings)
        next(stream)  # the candidate barges in after the first piece; the generator is left open
        text = "".join(model.stream_chat([PERSONA, ChatMessage("user", "Are you in pain?")], settings))
        assert text
        stream2 = model.stream_chat([PERSONA, ChatMessage("user", "Do you have stairs?")], settings)
        next(stream2)
        finished = threading.Event()
        worker = threading.Thread(target=lambda: (model.unload(), finished.set()))
        worker.start()
        assert finished.wait(5), "unload blocked behind an open reply"
    finally:
        model.unload()


def test_a_conversation_longer_than_the_context_is_a_clear_error(registry: ModelRegistry) -> None:
    model = LlamaCppModel(registry.resolve_default(ModelRole.LLM).main_path, context_tokens=256)
    long_history = [ChatMessage("user", "Tell me more about your knee. " * 60)]
    try:
        with pytest.raises(EngineError, match="no longer fits the language model's memory"):
            "".join(model.stream_chat(long_history, GenerationSettings(max_tokens=10)))
    finally:
        model.unload()


def test_a_tokenizer_parsed_in_advance_transcribes_the_same(registry: ModelRegistry) -> None:
    import faster_whisper.transcribe as whisper_module

    from oet_desktop.core.speech.stt import FasterWhisperTranscriber, preparse_tokenizer

    model_dir = registry.resolve_default(ModelRole.STT).main_path
    preparse_tokenizer(model_dir)
    real = whisper_module.tokenizers
    transcriber = FasterWhisperTranscriber(model_dir)
    try:
        text = transcriber.transcribe(read_audio(JFK_FLAC)).text
    finally:
        transcriber.unload()
    assert whisper_module.tokenizers is real  # the stand-in is only there while the model is built
    assert word_error_rate(JFK_TEXT, text) <= 0.1


def test_the_embedding_model_in_a_child_process_gives_the_same_vectors(engines: EngineSet) -> None:
    from oet_desktop.core.embeddings.process_embedder import ProcessEmbedder

    texts = ["Are you worried about driving?", "Do you have any concerns about the car?"]
    child = ProcessEmbedder(engines.registry.resolve_default(ModelRole.EMBEDDING).main_path)
    try:
        vectors = child.embed(texts)
        assert child.is_loaded
        assert child.dimension == 384
    finally:
        child.unload()
    assert not child.is_loaded
    assert np.allclose(vectors, engines.embedder().embed(texts), atol=1e-5)
