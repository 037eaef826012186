"""A progress sink that records every call the library makes to it, in order."""

from __future__ import annotations


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def start(self, total: int) -> None:
        self.calls.append(("start", total))

    def advance(self, count: int) -> None:
        self.calls.append(("advance", count))

    def spend(self, usd: float) -> None:
        self.calls.append(("spend", round(usd, 6)))

    def batches(self, submitted: int, ended: int) -> None:
        self.calls.append(("batches", submitted, ended))
