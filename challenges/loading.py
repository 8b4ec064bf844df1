"""Read ``challenge.yaml`` into plain data; YAML mistakes become problems with line numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from challenges.errors import Problem

SPEC_FILE = "challenge.yaml"
MAX_SPEC_BYTES = 1024 * 1024


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys instead of keeping the last one silently."""


def _mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_spec(root: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse ``root/challenge.yaml``; return the mapping, or None and the problems found."""
    path = root / SPEC_FILE
    if not path.is_file():
        return None, [Problem(SPEC_FILE, "", "not found at the bundle root; add it there")]
    if path.stat().st_size > MAX_SPEC_BYTES:
        return None, [Problem(SPEC_FILE, "", f"larger than {MAX_SPEC_BYTES // 1024} KiB")]
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except UnicodeDecodeError:
        return None, [Problem(SPEC_FILE, "", "is not UTF-8 text")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = exc.problem or exc.context or "invalid YAML"
        return None, [Problem(SPEC_FILE, "", f"{where}{what}")]
    except yaml.YAMLError as exc:
        return None, [Problem(SPEC_FILE, "", f"invalid YAML: {exc}")]
    if not isinstance(data, dict):
        return None, [Problem(SPEC_FILE, "", "must be a mapping of keys (slug, title, ...)")]
    return data, []
