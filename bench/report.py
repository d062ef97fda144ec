"""The table on the terminal and the JSON document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.measure import Result


def _number(value: float, unit: str) -> str:
    if unit == "req/s":
        return f"{value:,.0f}"
    if unit in {"MB", "ratio"}:
        return f"{value:,.1f}"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def result_row(result: Result) -> list[str]:
    figure = f"{_number(result.median, result.unit)} {result.unit}"
    spread = f"{_number(min(result.samples), result.unit)}–{_number(max(result.samples), result.unit)}"
    statements = "—"
    if result.statements:
        low, high = min(result.statements), max(result.statements)
        statements = f"{low:,}" if low == high else f"{low:,}–{high:,}"
    goal = str(result.goal) if result.goal else ""
    if result.checks:
        goal = "; ".join([goal, *result.checks]) if goal else "; ".join(result.checks)
    verdict = {True: "met", False: "MISSED", None: "—"}[result.met]
    return [result.label, figure, spread, statements, goal, verdict, result.anchor]


HEADERS = ["figure", "median", "min–max", "SQL", "goal", "", "peer"]


def markdown_table(results: list[Result]) -> str:
    rows = [HEADERS, ["---"] * len(HEADERS), *(result_row(result) for result in results)]
    return "\n".join("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows)


def print_table(document: dict[str, Any], results: list[Result]) -> None:
    rows = [HEADERS, *(result_row(result) for result in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    machine, versions = document["machine"], document["versions"]
    print()
    print(
        f"envopt bench {document['date']} · {document['scale']} · {machine['cpu']} × {machine['cores']} · "
        f"PostgreSQL {versions['postgresql']} · Python {versions['python']} · Django {versions['django']}"
    )
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * width for width in widths))
    for result in results:
        for name, value in result.extra.items():
            if name.startswith("_"):
                continue
            print(f"  {result.label} · {name}: {value}")
    for note in document.get("notes", []):
        print(f"note: {note}")


def write_results(document: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")
