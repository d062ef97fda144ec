"""How much data a run loads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    complaints: int
    departments: int
    handlers: int
    # Issue 14: the enterprise registry and its inspections (200,000 and a million at full scale).
    enterprises: int = 0
    inspections: int = 0

    @classmethod
    def parse(cls, text: str) -> Scale:
        named = {
            "tiny": cls("tiny", 1_000, 40, 6, 1_000, 5_000),
            "100k": cls("100k", 100_000, 500, 40, 20_000, 100_000),
            "1m": cls("1m", 1_000_000, 500, 120, 200_000, 1_000_000),
        }
        if text in named:
            return named[text]
        raw = text.lower().replace("_", "").replace(",", "")
        factor = {"k": 1_000, "m": 1_000_000}.get(raw[-1:], 1)
        number = raw[:-1] if factor > 1 else raw
        if not number.isdigit() or int(number) * factor < 100:
            raise ValueError(f"scale must be tiny, 100k, 1m or a number of complaints ≥ 100, not {text!r}")
        count = int(number) * factor
        return cls(
            text,
            count,
            min(500, max(20, count // 200)),
            min(120, max(4, count // 2500)),
            max(100, count // 5),
            count,
        )
