"""The sentences the engine writes into a Result, as translatable patterns (German msgids).

`evaluate` writes them in German (the stored form); `localize` writes the same sentences in another
language from the same ids and numbers. One function per sentence, so both say exactly the same thing:
the pattern is translated first, then filled in.
"""

from __future__ import annotations

from collections.abc import Callable

from impactcheck.core.i18n import N_

Gettext = Callable[[str], str]


def _same(text: str) -> str:
    return text


def clip(text: str, n: int = 70) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def dropped_message(question_text: str, qid: str, _: Gettext = _same) -> str:
    return _(N_("Antwort auf „{question}“ ({id}) verworfen: die Frage wird bei diesen Angaben nicht gestellt.")).format(
        question=clip(question_text, 60), id=qid
    )


def not_relevant_reason(label: str, explanation: str | None, _: Gettext = _same) -> str:
    if explanation:
        return _(N_("Vorprüfung: {reason} – {explanation}")).format(reason=label, explanation=explanation)
    return _(N_("Vorprüfung: {reason}")).format(reason=label)


def alternative_required_message(verdict_label: str, _: Gettext = _same) -> str:
    return _(
        N_(
            "Das Ergebnis ist {verdict}: eine klimafreundlichere Alternative muss beschrieben und mit demselben "
            "Regelwerk bewertet werden."
        )
    ).format(verdict=verdict_label)


def reason_with_answer(reason: str, answer: object) -> str:
    """An effect's reason followed by the author's own words (`reason_from`)."""
    return f"{reason}: {answer}"


NO_ANSWER = N_("keine Angabe")
