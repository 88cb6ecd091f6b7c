"""Errors of bad input: they carry where the problem is, so every caller can name file and line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in an input file, in plain German for the person who wrote the file."""

    message: str
    file: str | None = None
    line: int | None = None
    # Where in the input data (e.g. ("answers", "gas_kwh")), so a caller that knows the file's
    # lines can add the line later.
    path: tuple = ()

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"Zeile {self.line}"
        return f"{where}: {self.message}" if where else self.message


class InputError(Exception):
    """Bad input from a user: the CLI answers with exit status 2, the web app with a German message."""

    def __init__(self, problems: list[Problem] | Problem | str, file: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems, file=file)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """All problems on one line: the first in full, the rest after semicolons."""
        if not self.problems:
            return "unbekannter Fehler"
        first, *rest = self.problems
        text = str(first)
        for p in rest:
            # Same file: name only the line, the file is already said.
            same_file = p.file is not None and p.file == first.file
            text += "; " + (f"Zeile {p.line}: {p.message}" if same_file and p.line else str(p))
        return text


class RuleFileError(InputError):
    """A rule set or factor table that cannot be used."""


class AnswersError(InputError):
    """An answers file, or answers that do not fit the rule set."""
