"""Tests of ``instructor_tools.kit.speech_set``: the kit's speech data set, as `make kit` builds it (needs the kit)."""

from __future__ import annotations

import pytest

from helpers.audio import decode
from helpers.offline_kit import part_dir


@pytest.mark.needs_kit
def test_speech_set_is_loadable_without_torchcodec():
    from datasets import load_dataset

    from instructor_tools.kit.speech_set import CONFIG, SPLIT

    path = part_dir("speech")
    if not (path / "component.json").is_file():
        pytest.fail("the kit's speech set is not built: run `make kit`")
    speech = load_dataset(str(path), CONFIG, split=SPLIT)
    # the columns of hf-internal-testing/librispeech_asr_dummy, which it replaces offline
    assert speech.column_names == ["file", "audio", "text", "speaker_id", "chapter_id", "id"]
    assert len(speech) >= 20 and len(set(speech["speaker_id"])) >= 3 and len(set(speech["chapter_id"])) >= 3
    assert all(text == text.upper() and "." not in text for text in speech["text"])
    clip = decode(speech[0]["audio"], 16_000)
    assert clip["sampling_rate"] == 16_000 and 0.5 < len(clip["array"]) / 16_000 < 10
    # the same clips as plain WAV files with their metadata
    metadata = (path / "wav" / "metadata.csv").read_text().splitlines()
    assert metadata[0].startswith("file_name,text") and len(metadata) == len(speech) + 1
    assert (path / "wav" / speech[0]["audio"]["path"]).read_bytes() == speech[0]["audio"]["bytes"]
