"""Reading rubric YAML, and saying where it is wrong: keys written twice are refused, and a
validation error names the line and field, with a hint of what to do."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from medjudge.errors import RubricError

__all__ = ["FORMAT_HELP", "line_of", "read_yaml", "rubric_error"]

#: Where the documentation of the format lives, for error hints.
FORMAT_HELP = "the rubric format is described in rubrics/README.md of the medjudge repository"


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key written twice, so a typo never silently drops text."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} appears twice (first on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def read_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """The YAML document's root node (for error lines) and its data; RubricError names the
    line of a syntax error or of a key written twice."""
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise RubricError(
            f"not valid YAML: {exc.problem or exc.context}",
            path=source,
            line=mark.line + 1 if mark is not None else None,
            hint="check indentation, and quote text that contains ': ' or starts with a symbol",
        ) from None
    except yaml.YAMLError as exc:
        raise RubricError(f"not valid YAML: {exc}", path=source) from None
    finally:
        loader.dispose()
    return node, data


#: What to do, by pydantic error type.
_HINTS = {
    "missing": "add this field",
    "extra_forbidden": "remove it, or check its spelling",
    "string_type": 'write it as text; quote values YAML reads as numbers, e.g. version: "1.0"',
    "literal_error": "use one of the values listed",
    "enum": "use one of the values listed",
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
}
_FIELD_HINTS = {
    "score_descriptors": "each language needs descriptors keyed 5, 4, 3, 2 and 1, nothing else",
    "safety_caps": "leave safety_caps out: the caps are concern ≤ 2 and serious ≤ 1 for all",
    "languages": 'use "en" and/or "zh"',
}


def rubric_error(exc: ValidationError, root: yaml.Node | None, source: str) -> RubricError:
    """A RubricError for a validation failure: the first problem's line, field and hint,
    the others listed in `also`."""
    problems = [_describe(error, root) for error in exc.errors()]
    line, field, problem, hint = problems[0]
    also = tuple(
        ", ".join(part for part in (f"line {ln}" if ln else "", f"field '{fd}'") if part)
        + f": {pr}"
        for ln, fd, pr, _ in problems[1:]
    )
    return RubricError(problem, path=source, line=line, field=field, hint=hint, also=also)


def _describe(error: ErrorDetails, root: yaml.Node | None) -> tuple[int | None, str, str, str]:
    loc = [part for part in error["loc"] if part != "[key]"]
    field = ".".join(str(part) for part in loc) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field"
    hints = [_HINTS.get(error["type"]), _FIELD_HINTS.get(str(loc[0]) if loc else ""), FORMAT_HELP]
    hint = "; ".join(h for h in hints if h)
    return line_of(root, loc), field, message, hint


def line_of(node: yaml.Node | None, loc: list[int | str]) -> int | None:
    """The line of the YAML node at `loc`, or of the deepest existing node on the way."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if str(key_node.value) == str(part):
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line
