"""The render benchmark's peer: the same timeline composed with MoviePy, the
way MoneyPrinterTurbo composes (a clip per scene, a TextClip per caption
event over it, the voice and a quieter music track mixed, written with
libx264 at the same preset and quality).

Usage: python moviepy_render.py TIMELINE.json OUT.mp4, where the timeline
holds: duration, voice (WAV), music (WAV, the same bed we synthesise),
hook {text, end}, scenes [{start, end, c0, c1}] (RGB hex) and captions
[{start, end, words, active}]. MoviePy draws a still gradient per scene,
which is less work than our animated one.
"""

import json
import sys

import numpy as np
from moviepy import (
    AudioFileClip,
    CompositeAudioClip,
    CompositeVideoClip,
    ImageClip,
    TextClip,
    concatenate_videoclips,
)

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
W, H = 1080, 1920


def rgb(hex_colour):
    value = int(hex_colour[2:], 16)
    return np.array([(value >> 16) & 255, (value >> 8) & 255, value & 255], dtype=np.float32)


def gradient(c0, c1):
    ramp = np.linspace(0.0, 1.0, W + H, dtype=np.float32)
    diagonal = ramp[np.add.outer(np.arange(H), np.arange(W))][..., None]
    return (rgb(c0) * (1 - diagonal) + rgb(c1) * diagonal).astype(np.uint8)


def main():
    timeline = json.load(open(sys.argv[1]))
    scenes = [
        ImageClip(gradient(s["c0"], s["c1"])).with_duration(s["end"] - s["start"]) for s in timeline["scenes"]
    ]
    layers = [concatenate_videoclips(scenes)]
    hook = timeline["hook"]
    layers.append(
        TextClip(font=FONT, text=hook["text"], font_size=112, color="white", bg_color="#101010", method="caption",
                 size=(W - 300, None), margin=(28, 28))
        .with_start(0).with_duration(hook["end"]).with_position(("center", 360))
    )
    for event in timeline["captions"]:
        # The word being said in yellow: one TextClip per word, as MoviePy has no inline colours.
        words = [
            TextClip(font=FONT, text=word, font_size=96, color="#FFD700" if i == event["active"] else "white",
                     stroke_color="black", stroke_width=8)
            for i, word in enumerate(event["words"])
        ]
        x = (W - sum(w.w for w in words) - 24 * (len(words) - 1)) / 2
        for word in words:
            layers.append(word.with_start(event["start"]).with_duration(event["end"] - event["start"])
                          .with_position((x, H / 2 - word.h / 2)))
            x += word.w + 24
    video = CompositeVideoClip(layers, size=(W, H)).with_duration(timeline["duration"])
    voice = AudioFileClip(timeline["voice"])
    music = AudioFileClip(timeline["music"]).with_volume_scaled(0.5)
    video = video.with_audio(CompositeAudioClip([voice, music]).with_duration(timeline["duration"]))
    video.write_videofile(sys.argv[2], fps=30, codec="libx264", preset="veryfast", ffmpeg_params=["-crf", "23"],
                          audio_codec="aac", audio_bitrate="128k", threads=2, logger=None)


main()
