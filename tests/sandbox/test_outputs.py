"""The worker's walk over what a run left in /output: bounded, link-proof, never an OSError.

These build the trees directly on the host (what a container can make in its /output, the
container's side is in test_hostile.py); the walk holds folder descriptors, so no path it uses
grows with the tree.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sandbox.outputs import MAX_DEPTH, MAX_PATH_BYTES, OutputStage


@pytest.fixture
def stage(tmp_path: Path) -> OutputStage:
    made = OutputStage(tmp_path / "staging", "run1", cap_bytes=1 << 20, max_files=50)
    made.path.mkdir(parents=True)  # a plain folder: no tmpfs mount needed for the walk
    return made


def _nest(root: Path, depth: int, name: str = "d") -> None:
    """Make `depth` nested folders with relative steps, as a container can past PATH_MAX."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
        with open(os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
            f.write("x")
    finally:
        os.close(fd)


def test_a_tree_hundreds_deep_is_refused_with_what_to_do(stage: OutputStage) -> None:
    (stage.path / "predictions.csv").write_text("id,y\n1,0\n")
    _nest(stage.path, 300)
    summary = stage.summarise()
    assert summary.problem == (
        f"your container left folders nested more than {MAX_DEPTH} deep in /output; "
        "write predictions.csv at the top of /output"
    )


def test_a_path_past_path_max_is_refused(stage: OutputStage) -> None:
    _nest(stage.path, 20, name="n" * 250)  # 5 KB of path, more than PATH_MAX
    summary = stage.summarise()
    assert summary.problem is not None
    assert summary.problem.startswith(f"your container left a path longer than {MAX_PATH_BYTES}")


def test_too_many_folders_are_refused(stage: OutputStage) -> None:
    for i in range(60):
        (stage.path / f"d{i}").mkdir()
    assert stage.summarise().problem == (
        "your container left more than 50 folders in /output; "
        "write predictions.csv at the top of /output"
    )


def test_names_that_are_not_printable_text_are_skipped_not_copied(
    stage: OutputStage, tmp_path: Path
) -> None:
    root = os.fsencode(stage.path)
    for raw in (b"bad-\xff\xfe.csv", b"new\nline.csv", b"esc-\x1b[2J.csv"):
        with open(os.path.join(root, raw), "wb") as f:
            f.write(b"secret-ish")
    (stage.path / "predictions.csv").write_text("id,y\n1,0\n")
    (stage.path / "ok dir").mkdir()
    (stage.path / "ok dir" / "é.txt").write_text("fine")
    summary = stage.summarise()
    assert (summary.files, summary.skipped, summary.problem) == (2, 3, None)
    stage.copy_to(tmp_path / "out")
    copied = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*"))
    assert copied == ["ok dir", "ok dir/é.txt", "predictions.csv"]


def test_links_and_fifos_are_counted_but_never_followed(stage: OutputStage, tmp_path: Path) -> None:
    (stage.path / "predictions.csv").write_text("id,y\n")
    (stage.path / "link").symlink_to("/etc")
    (stage.path / "passwd").symlink_to("/etc/passwd")
    os.mkfifo(stage.path / "fifo")
    summary = stage.summarise()
    assert (summary.files, summary.skipped, summary.total_bytes) == (1, 3, 5)
    stage.copy_to(tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["predictions.csv"]


def test_an_unreadable_folder_is_the_runs_problem_not_an_oserror(stage: OutputStage) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every folder; the container case is in test_hostile.py")
    locked = stage.path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        problem = stage.summarise().problem
    finally:
        locked.chmod(0o755)
    assert problem is not None and "/output/locked could not be read" in problem


def test_the_walk_stops_once_over_the_file_cap(stage: OutputStage) -> None:
    for i in range(200):
        (stage.path / f"f{i}").write_text("x")
    summary = stage.summarise()
    assert summary.files == 51  # one past the cap is enough to say it is too many
    assert summary.problem is None
