"""faster-whisper (CTranslate2, int8 on the CPU) on one audio file, for
asr/benches/asr.rs: loads the model (timed apart: a worker keeps it loaded),
then decodes the audio and transcribes it with the settings our recognition
uses (greedy, best_of 1, word timings, language detected), and prints one
JSON line with the times in seconds and the transcript.

usage: faster_whisper.py CT2_MODEL_DIR AUDIO THREADS
"""

import json
import os
import sys
import time

# This file's name is the package's: import the package, not this file.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

from faster_whisper import WhisperModel  # noqa: E402
from faster_whisper.audio import decode_audio  # noqa: E402


def main():
    model_dir, audio_path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    started = time.perf_counter()
    model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1)
    loaded = time.perf_counter()
    audio = decode_audio(audio_path, sampling_rate=model.feature_extractor.sampling_rate)
    decoded = time.perf_counter()
    segments, info = model.transcribe(audio, beam_size=1, best_of=1, word_timestamps=True)
    segments = list(segments)  # the work happens while the generator is consumed
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "load_s": loaded - started,
                "decode_s": decoded - loaded,
                "transcribe_s": done - decoded,
                "wall_s": done - loaded,
                "language": info.language,
                "words": sum(len(s.words or []) for s in segments),
                "text": " ".join(s.text.strip() for s in segments),
            }
        )
    )


if __name__ == "__main__":
    main()
