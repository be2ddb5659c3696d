"""The scanner's three sounds, made here with Python's wave module (no recording from anywhere else):
a high beep for ok, two middle beeps for a warning (already inside, an exit without an entry), a low buzz
for a refusal. Pure; the files in forum/static/sounds/ are its output, and a test checks they still are.

Regenerate with: python -m forum.checkin.sounds
"""
from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path

RATE = 16_000  # Hz: plenty for beeps, and small files (a phone at the door loads them over bad Wi-Fi)
FADE_MS = 8  # soft edges: no click at the start and end of each tone
FOLDER = Path(__file__).resolve().parent.parent / "static" / "sounds"


def _tone(freq: float, ms: int, volume: float, harmonics: tuple[float, ...] = (1.0,)) -> list[float]:
    """A tone of `freq` Hz; `harmonics` are the amplitudes of the 1st, 3rd, 5th... odd harmonics (a buzz)."""
    n = RATE * ms // 1000
    fade = RATE * FADE_MS // 1000
    total = sum(harmonics)
    out = []
    for i in range(n):
        t = i / RATE
        v = sum(a * math.sin(2 * math.pi * freq * (2 * k + 1) * t) for k, a in enumerate(harmonics)) / total
        edge = min(1.0, i / fade, (n - 1 - i) / fade)
        out.append(volume * v * edge)
    return out


def _silence(ms: int) -> list[float]:
    return [0.0] * (RATE * ms // 1000)


SOUNDS: dict[str, list[float]] = {
    "ok": _tone(1760, 140, 0.6),
    "warn": _tone(880, 110, 0.6) + _silence(70) + _tone(880, 110, 0.6),
    "refused": _tone(140, 420, 0.8, harmonics=(1.0, 0.6, 0.4, 0.25)),
}


def wav_bytes(samples: list[float]) -> bytes:
    """16-bit mono PCM WAV."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", round(max(-1.0, min(1.0, s)) * 32767)) for s in samples))
    return buf.getvalue()


def write_all(folder: Path = FOLDER) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, samples in SOUNDS.items():
        path = folder / f"{name}.wav"
        path.write_bytes(wav_bytes(samples))
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_all():
        print(p, p.stat().st_size, "bytes")
