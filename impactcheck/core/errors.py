"""Errors of bad input: they carry where the problem is, so every caller can name file and line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from impactcheck.core.i18n import N_, Message, translated

Gettext = Callable[[str], str] | str | None


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
        return self.text()

    def text(self, gettext: Gettext = None) -> str:
        """The problem with where it is, in the language of `gettext` (a `_` or a locale; None: the current
        language, `core.i18n.speaking` – German unless a command or the web app said otherwise).
        `message` may be a `core.i18n.Message`: its pattern is translated, then filled in."""
        message = translated(self.message, gettext)
        where = self.file or ""
        if self.line is not None:
            where = (
                f"{where}:{self.line}" if where else translated(Message(N_("Zeile {line}"), line=self.line), gettext)
            )
        return f"{where}: {message}" if where else message


class InputError(Exception):
    """Bad input from a user: the CLI answers with exit status 2, the web app with a German message."""

    def __init__(self, problems: list[Problem] | Problem | str, file: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems, file=file)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self.one_line())

    def one_line(self, gettext: Gettext = None) -> str:
        """All problems on one line: the first in full, the rest after semicolons; in the language of
        `gettext` (Flask-Babel's `_`, `core.i18n.gettext_for(...)` or a locale; None: the current language)."""
        if not self.problems:
            return translated(N_("unbekannter Fehler"), gettext)
        first, *rest = self.problems
        text = first.text(gettext)
        for p in rest:
            # Same file: name only the line, the file is already said.
            same_file = p.file is not None and p.file == first.file
            if same_file and p.line:
                line = translated(Message(N_("Zeile {line}"), line=p.line), gettext)
                text += f"; {line}: {translated(p.message, gettext)}"
            else:
                text += "; " + p.text(gettext)
        return text


class RuleFileError(InputError):
    """A rule set or factor table that cannot be used."""


class AnswersError(InputError):
    """An answers file, or answers that do not fit the rule set."""
