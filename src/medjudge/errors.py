"""Typed errors. Every user-facing failure says what was wrong, where, and what to do."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DatasetError",
    "MedjudgeError",
    "MissingDependency",
    "ModelError",
    "PriceError",
    "RubricError",
    "StoreError",
]


class MedjudgeError(Exception):
    """Base class for every error medjudge raises on purpose."""


class DatasetError(MedjudgeError):
    """A benchmark file is unreadable or breaks its format.

    The message names the file, the line or item, the field, and what to do.
    """

    def __init__(
        self,
        path: str,
        problem: str,
        *,
        line: int | None = None,
        item: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if item is not None:
            where += f", item {item}"
        if field is not None:
            where += f", field '{field}'"
        message = f"{where}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)
        self.path = str(path)
        self.line = line
        self.item = item
        self.field = field


class RubricError(MedjudgeError):
    """A rubric file is unreadable or breaks the rubric format, or no rubric fits an item.

    The message names the file (when there is one), the line, the field (a dotted path such
    as `score_descriptors.en.3`), the problem, and what to do; `also` lists further problems
    found in the same file, one a line.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
        also: tuple[str, ...] = (),
    ) -> None:
        where = [str(path)] if path is not None else []
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field '{field}'")
        message = f"{', '.join(where)}: {problem}" if where else problem
        if hint:
            message += f" ({hint})"
        for other in also:
            message += f"\n  also {other}"
        super().__init__(message)
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.problem = problem
        self.hint = hint


class ConfigError(MedjudgeError):
    """An option or a model name that medjudge cannot use."""


class PriceError(ConfigError):
    """A `--price` value or a price file that cannot be read: names the option or the file,
    the line and the model key, the problem, and what to do."""

    def __init__(
        self, problem: str, *, where: str, line: int | None = None, key: str | None = None,
        hint: str | None = None,
    ) -> None:
        parts = [where] + ([f"line {line}"] if line is not None else [])
        parts += [f"key '{key}'"] if key is not None else []
        super().__init__(f"{', '.join(parts)}: {problem}" + (f" ({hint})" if hint else ""))
        self.where, self.line, self.key, self.problem = where, line, key, problem


class ModelError(MedjudgeError):
    """A model backend could not start or be reached at all."""


class MissingDependency(MedjudgeError):
    """An optional package is not installed; the message names the pip extra."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"{package} is not installed. Install it with: pip install 'medjudge[{extra}]'"
        )
        self.package = package
        self.extra = extra


class StoreError(MedjudgeError):
    """The SQLite store is unusable (wrong file, newer schema, ...)."""
