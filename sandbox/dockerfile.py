"""Read a participant's Dockerfile the way the legacy builder does, and refuse what reaches out.

A build may start only from the platform's runtime images (or bases a challenge lists); ``COPY
--from`` may name only an earlier stage of the same Dockerfile (or an allowed base); ``ADD`` may
not fetch URLs. Everything else on the build host (other teams' images, by tag, id, id prefix or
digest) must stay out of reach. The engine resolves ``FROM`` against every image it holds, so the
check happens here, before anything is sent to it.

The reading follows moby's parser (``frontend/dockerfile/parser``): parser directives at the top
(``escape``), a UTF-8 BOM stripped, lines split on ``\\n`` only, comments and blank lines skipped
even inside continuations, continuation lines joined without a separator, and the instruction
split from its arguments on ``[\\t\\v\\f\\r ]``. Where an exact imitation would be fragile the
check refuses instead (variables, quotes or escapes in a base name or a ``--from`` value, flags
on ``FROM``): a refusal costs the participant one clear line, a wrong acceptance would cost
another team its model. The build's own step lines are compared with this reading while it runs
(:func:`step_matches`), and the result's parent chain is checked afterwards (``sandbox.building``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass

from sandbox.errors import ImageError

# The platform's runtime images: what a build may start from unless a challenge lists more.
RUNTIME_IMAGES = (
    "podium/runtime-python:3.11",
    "podium/runtime-sklearn:3.11",
    "podium/runtime-torch:3.11",
)
MAX_DOCKERFILE_BYTES = 256 * 1024
MAX_INSTRUCTIONS = 1000
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/|^git@", re.I)
_BOM = "\ufeff"


@dataclass(frozen=True)
class Instruction:
    """One logical instruction: its keyword (upper case), arguments as written, first line."""

    keyword: str
    args: str
    line: int


@dataclass(frozen=True)
class Stage:
    """One ``FROM``: the base it names, and the stage name it gives (lower case) if any."""

    base: str
    name: str | None
    from_stage: bool  # the base is an earlier stage, not an image


@dataclass(frozen=True)
class DockerfileCheck:
    """What an accepted Dockerfile does: its instructions and its stages."""

    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]

    @property
    def bases(self) -> frozenset[str]:
        """The images (not stages) the build starts from."""
        return frozenset(stage.base for stage in self.stages if not stage.from_stage)


def check_dockerfile(text: str, allowed_bases: Collection[str]) -> DockerfileCheck:
    """Parse ``text`` and refuse anything that reaches beyond the allowed bases and the context.

    Args:
        text: the Dockerfile as uploaded.
        allowed_bases: image names a build may start from, written exactly as in ``FROM``.

    Returns:
        The instructions and stages, for comparing with the builder's own reading.

    Raises:
        ImageError: the Dockerfile is refused; the message names its line and what to write.
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_DOCKERFILE_BYTES:
        raise ImageError(
            f"your Dockerfile is larger than {MAX_DOCKERFILE_BYTES // 1024} KB; keep it short"
        )
    instructions = parse(text)
    if len(instructions) > MAX_INSTRUCTIONS:
        raise ImageError(f"your Dockerfile has more than {MAX_INSTRUCTIONS} instructions")
    stages: list[Stage] = []
    allowed = _allowed_text(allowed_bases)
    for instruction in instructions:
        if instruction.keyword == "FROM":
            stages.append(_check_from(instruction, stages, allowed_bases, allowed))
        elif instruction.keyword in ("COPY", "ADD"):
            if not stages:
                _refuse(instruction, "comes before the first FROM", "start with FROM")
            _check_copy(instruction, stages, allowed_bases, allowed)
    if not stages:
        raise ImageError(f"your Dockerfile has no FROM line; start it with FROM one of {allowed}")
    return DockerfileCheck(tuple(instructions), tuple(stages))


def parse(text: str) -> list[Instruction]:
    """The logical instructions of a Dockerfile, as moby's parser reads them."""
    lines = [line.removesuffix("\r") for line in text.removeprefix(_BOM).split("\n")]
    escape, start = _directives(lines)
    continuation = re.compile(re.escape(escape) + r"[ \t]*$")
    instructions: list[Instruction] = []
    index = start
    while index < len(lines):
        first = lines[index].lstrip()
        number = index + 1
        index += 1
        if not first or first.startswith("#"):
            continue
        logical, ended = _trim(first, continuation)
        while not ended and index < len(lines):
            raw = lines[index]
            index += 1
            if raw.lstrip().startswith("#") or not raw.strip():
                continue  # comments and blank lines inside a continuation are dropped
            part, ended = _trim(raw, continuation)
            logical += part
        instructions.append(_instruction(logical, number))
    return instructions


def step_matches(step_text: str, instruction: Instruction) -> bool:
    """Whether the builder's own ``Step i/n : TEXT`` line reads ``instruction`` as we did.

    Only what decides the check is compared (keyword, and the arguments of FROM, COPY and ADD,
    whitespace collapsed), so an innocent difference in spacing elsewhere cannot stop a build.
    """
    keyword, args = _split(step_text)
    if keyword.upper() != instruction.keyword:
        return False
    if instruction.keyword not in ("FROM", "COPY", "ADD"):
        return True
    return _WHITESPACE.split(args.strip()) == _WHITESPACE.split(instruction.args.strip())


def _directives(lines: list[str]) -> tuple[str, int]:
    """The escape character and the index of the first line after the parser directives."""
    escape = "\\"
    seen: set[str] = set()
    for index, line in enumerate(lines):
        match = _DIRECTIVE.match(line)
        if match is None:
            return escape, index
        name, value = match.group(1).lower(), match.group(2)
        if name in seen:
            raise ImageError(f"your Dockerfile sets the parser directive {name} twice")
        seen.add(name)
        if name == "escape":
            if value not in ("\\", "`"):
                raise ImageError(
                    f"your Dockerfile's escape directive is {value!r}; it must be \\ or `"
                )
            escape = value
    return escape, len(lines)


def _trim(line: str, continuation: re.Pattern[str]) -> tuple[str, bool]:
    """The line without its continuation mark, and whether the instruction ends here."""
    trimmed, marks = continuation.subn("", line)
    return trimmed, marks == 0


def _split(logical: str) -> tuple[str, str]:
    """The first word and the rest, split as the builder splits an instruction."""
    parts = _WHITESPACE.split(logical.strip(), maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def _instruction(logical: str, line: int) -> Instruction:
    keyword, args = _split(logical)
    return Instruction(keyword.upper(), args, line)


def _check_from(
    instruction: Instruction, stages: list[Stage], bases: Collection[str], allowed: str
) -> Stage:
    words = [w for w in _WHITESPACE.split(instruction.args.strip()) if w]
    if words and words[0].startswith("--"):
        _refuse(instruction, f"has the flag {words[0]}", f"write FROM IMAGE, with one of {allowed}")
    if len(words) not in (1, 3) or (len(words) == 3 and words[1].lower() != "as"):
        _refuse(instruction, "is not FROM IMAGE or FROM IMAGE AS NAME", f"use one of {allowed}")
    base = words[0]
    _refuse_indirection(instruction, base, "its image name", allowed)
    name = words[2].lower() if len(words) == 3 else None
    if name is not None and not re.fullmatch(r"[a-z][a-z0-9._-]*", name):
        _refuse(instruction, f"names a stage {words[2]!r}", "use letters, digits, . _ -")
    earlier = {stage.name for stage in stages if stage.name}
    if base.lower() in earlier:
        return Stage(base.lower(), name, from_stage=True)
    if base not in bases:
        _refuse(
            instruction,
            f"starts FROM {base}, which builds may not start from",
            f"write FROM with one of {allowed}",
        )
    return Stage(base, name, from_stage=False)


def _check_copy(
    instruction: Instruction, stages: list[Stage], bases: Collection[str], allowed: str
) -> None:
    flags, rest = _flags(instruction)
    source = flags.get("from")
    if source is not None:
        _refuse_indirection(instruction, source, "its --from value", allowed)
        earlier = {stage.name for stage in stages[:-1] if stage.name}
        index_ok = source.isdigit() and int(source) < len(stages) - 1
        if not (index_ok or source.lower() in earlier or source in bases):
            _refuse(
                instruction,
                f"copies --from={source}, which is not an earlier stage of this Dockerfile",
                "name an earlier stage (FROM ... AS name) or its number",
            )
    if instruction.keyword == "ADD":
        for item in _sources(rest):
            plain = item.replace("\\", "").replace("`", "").replace('"', "").replace("'", "")
            if "$" in item or _URL.search(plain):
                _refuse(
                    instruction,
                    f"adds {_show(item)}, a URL or a variable",
                    "put the file in your build context and COPY it (the build host fetches "
                    "nothing for you)",
                )


def _flags(instruction: Instruction) -> tuple[dict[str, str], str]:
    """Leading ``--name=value`` flags, refused when quoted or escaped, and the remaining text."""
    flags: dict[str, str] = {}
    rest = instruction.args.strip()
    while rest.startswith("--"):
        word, rest = _split(rest)
        if any(char in word for char in "\"'\\`$"):
            _refuse(instruction, f"has the flag {_show(word)}", "write flags without quotes")
        name, _, value = word[2:].partition("=")
        flags[name.lower()] = value
        rest = rest.strip()
    return flags, rest


def _sources(rest: str) -> list[str]:
    """The sources of ``ADD``/``COPY`` (every item but the destination), JSON or plain form."""
    if rest.startswith("["):
        try:
            items = json.loads(rest)
        except ValueError:
            items = None
        if isinstance(items, list) and all(isinstance(item, str) for item in items):
            return list(items[:-1])
    return [w for w in _WHITESPACE.split(rest) if w][:-1] or [rest]


def _refuse_indirection(instruction: Instruction, value: str, what: str, allowed: str) -> None:
    if any(char in value for char in "$\"'\\`"):
        _refuse(
            instruction,
            f"uses a variable, quote or escape in {what} ({_show(value)})",
            f"write it literally, one of {allowed} or an earlier stage",
        )


def _refuse(instruction: Instruction, problem: str, fix: str) -> None:
    where = f"your Dockerfile's {instruction.keyword} on line {instruction.line}"
    raise ImageError(f"{where} {problem}; {fix}")


def _allowed_text(bases: Collection[str]) -> str:
    return ", ".join(sorted(bases)) or "(none: this challenge takes no build contexts)"


def _show(value: str) -> str:
    printable = "".join(c if c.isprintable() else "?" for c in value[:120])
    return printable + ("..." if len(value) > 120 else "")
