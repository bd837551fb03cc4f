"""The exercise library: the built-in exercise files next to this module plus the user's own folder
(``formcheck.paths.user_exercises_dir()``), each checked by ``exercise_file``; a file that does not
load is skipped and reported, so one typo never hides the rest of the library.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from formcheck.core.exercise import ExerciseDef
from formcheck.exercises.exercise_file import load_exercise
from formcheck.exercises.toml_reader import EXERCISE_ID, ID_RULE, ExerciseFileError
from formcheck.paths import user_exercises_dir

LIBRARY_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Library:
    """The exercises that loaded, which of them are the user's own, and each file that did not."""

    exercises: dict[str, ExerciseDef]
    custom: frozenset[str]
    problems: tuple[ExerciseFileError, ...]


def load_library(directory: Path = LIBRARY_DIR, custom_dir: Path | None = None) -> Library:
    """The built-in exercises in ``directory`` and the user's own in ``custom_dir`` (default
    ``user_exercises_dir()``). Bad files are skipped and listed in ``problems``; a custom file
    is named by its full path there, so the user can find it."""
    custom_dir = custom_dir or user_exercises_dir()
    exercises: dict[str, ExerciseDef] = {}
    problems: list[ExerciseFileError] = []
    builtin_ids = {p.stem for p in directory.glob("*.toml")}
    for path in sorted(directory.glob("*.toml")):
        try:
            exercises[path.stem] = load_exercise(path)
        except ExerciseFileError as exc:
            problems.append(exc)
    custom: set[str] = set()
    for path in sorted(custom_dir.glob("*.toml")) if custom_dir.is_dir() else ():
        if path.stem in builtin_ids:
            problems.append(ExerciseFileError(str(path), "id", f"{path.stem!r} is a built-in exercise; give your "
                                              f"copy another id and file name (e.g. my_{path.stem}.toml)"))
            continue
        try:
            exercises[path.stem] = load_exercise(path)
        except ExerciseFileError as exc:
            problems.append(ExerciseFileError(str(path), exc.key, exc.problem))
            continue
        custom.add(path.stem)
    return Library(exercises, frozenset(custom), tuple(problems))


def load_by_id(exercise_id: str) -> ExerciseDef:
    """One exercise by id: a built-in one, else one from the user's folder."""
    if not EXERCISE_ID.fullmatch(exercise_id):
        raise ExerciseFileError(repr(exercise_id), "id", f"not an exercise id ({ID_RULE}); "
                                "`formcheck exercises` lists the valid ones")
    folders = (LIBRARY_DIR, user_exercises_dir())
    for folder in folders:
        path = folder / f"{exercise_id}.toml"
        if path.is_file():
            return load_exercise(path)
    known = ", ".join(sorted({p.stem for f in folders for p in f.glob("*.toml")}))
    raise ExerciseFileError(f"{exercise_id}.toml", "id", f"no such exercise; known: {known}")
