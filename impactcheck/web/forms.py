"""The fixed forms of the web app. The wizard's step forms are built from the rule set (stepform.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional, ValidationError

from impactcheck.store.models import ROLE_LABELS, ROLES
from impactcheck.web.templating import page_number as format_number  # in the page's language

TITLE_MAX = 1000  # the column's size (migration 0004): council paper titles run long


class MaxChars:
    """At most `limit` characters, said in German with the count when longer.

    Unlike WTForms' Length it sets no `maxlength` on the input: a browser would cut a pasted text
    there without a word (a long title lost its end that way); the server says so instead.
    """

    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, form, field) -> None:
        length = len((field.data or "").strip())  # spaces around it are not stored
        if length > self.limit:
            raise ValidationError(
                _l(
                    "Höchstens %(limit)s Zeichen sind möglich; Ihr Text hat %(length)s. Bitte kürzen Sie ihn.",
                    limit=format_number(self.limit),
                    length=format_number(length),
                )
            )


class LoginForm(FlaskForm):
    username = StringField(
        _l("Benutzername"), validators=[DataRequired(_l("Bitte geben Sie Ihren Benutzernamen ein."))]
    )
    password = PasswordField(_l("Passwort"), validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort ein."))])


def parse_version(value: object) -> int:
    """The version a page was built from; a missing or garbled one (-1) can only conflict."""
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return -1


class VersionForm(FlaskForm):
    """For POSTs that change a draft: carries the version the page was built from."""

    version = HiddenField()

    def expected_version(self) -> int:
        return parse_version(self.version.data)


class PaperForm(VersionForm):
    reference = StringField(
        _l("Drucksachen-Nummer"),
        validators=[DataRequired(_l("Bitte geben Sie die Drucksachen-Nummer an.")), MaxChars(64)],
        description=_l("Wie im Ratsinformationssystem, z. B. 101.26.0815 oder V/2026/0815."),
    )
    title = StringField(
        _l("Titel der Vorlage"),
        validators=[DataRequired(_l("Bitte geben Sie den Titel der Vorlage an.")), MaxChars(TITLE_MAX)],
        description=_l("Wie im Ratsinformationssystem, auch ein langer Titel (bis zu 1.000 Zeichen)."),
    )
    department = StringField(
        _l("Einbringendes Amt"),
        validators=[DataRequired(_l("Bitte nennen Sie das einbringende Amt.")), MaxChars(200)],
        description=_l("Zum Beispiel: Amt für Hochbau und Gebäudebewirtschaftung."),
    )
    committee = StringField(
        _l("Gremium"),
        validators=[DataRequired(_l("Bitte nennen Sie das beratende Gremium.")), MaxChars(200)],
        description=_l("Das erste Gremium der Beratungsfolge, z. B. Bau- und Planungsausschuss."),
    )
    meeting_date = DateField(
        _l("Sitzungstermin"),
        validators=[Optional()],
        description=_l("Freiwillig. Das Datum der ersten Beratung."),
    )
    ruleset = SelectField(_l("Regelwerk"), validators=[DataRequired()])
    paper = FileField(
        _l("Die Vorlage als Word-Datei (.docx)"),
        description=_l("Freiwillig. Dann fügt impactcheck den Klimacheck später direkt in Ihre Vorlage ein."),
    )


class AlternativeForm(VersionForm):
    description = TextAreaField(
        _l("Beschreibung der Alternative"),
        validators=[
            DataRequired(_l("Beschreiben Sie die Alternative in wenigen Sätzen.")),
            MaxChars(4000),
        ],
        description=_l(
            "Was würde anders gemacht, damit die Vorlage die Klimaziele erreichbar macht? Diese Beschreibung "
            "erscheint in der Vorlage neben dem ursprünglichen Vorschlag."
        ),
    )


class SubmitForm(VersionForm):
    justification = TextAreaField(
        _l("Begründung"),
        validators=[Optional(), MaxChars(4000)],
        description=_l(
            "Auch die Alternative ist negativ. Begründen Sie, warum die Vorlage trotzdem eingebracht werden soll."
        ),
    )


class ReviewForm(VersionForm):
    decision = RadioField(
        _l("Entscheidung"),
        choices=[SelectChoice("approve", _l("Freigeben")), SelectChoice("return", _l("Zur Überarbeitung zurückgeben"))],
        validators=[DataRequired(_l("Bitte wählen Sie eine Entscheidung."))],
    )
    comment = TextAreaField(
        _l("Kommentar an die Verfasserin oder den Verfasser"),
        validators=[Optional(), MaxChars(4000)],
    )


class UploadForm(FlaskForm):
    paper = FileField(_l("Vorlage als Word-Datei (.docx)"))
    annex = RadioField(
        _l("Anhang mit allen Fragen und Antworten"),
        choices=[
            SelectChoice("none", _l("Kein Anhang")),
            SelectChoice("end", _l("Am Ende der Vorlage")),
            SelectChoice("separate", _l("Als eigene Datei (beide zusammen als ZIP)")),
        ],
        default="none",
    )


class UserForm(FlaskForm):
    username = StringField(
        _l("Benutzername"), validators=[DataRequired(_l("Bitte geben Sie einen Benutzernamen an.")), MaxChars(64)]
    )
    display_name = StringField(_l("Name"), validators=[Optional(), MaxChars(200)])
    role = SelectField(_l("Rolle"), choices=[SelectChoice(r, _l(ROLE_LABELS[r])) for r in ROLES])
    password = PasswordField(
        _l("Erstes Passwort"),
        validators=[DataRequired(_l("Bitte vergeben Sie ein erstes Passwort."))],
        description=_l("Mindestens 10 Zeichen. Teilen Sie es der Person auf sicherem Weg mit."),
    )


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("Neues Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie ein neues Passwort ein."))],
        description=_l("Mindestens 10 Zeichen."),
    )


class YearField(StringField):
    """A year as a whole number (empty: None); what cannot be read is said in German at the field."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if text:
            if not (text.isdigit() and len(text) == 4):
                raise ValueError(_l("Geben Sie das Jahr als vierstellige Zahl an, zum Beispiel 2027."))
            self.data = int(text)

    def _value(self):
        return str(self.data) if self.data is not None else (self.raw_data[0] if self.raw_data else "")


class OutcomeForm(FlaskForm):
    """The council's decision on a submitted check. The rules (what is required when) live in
    `operations.outcome_problems`; this form only reads the input and keeps it for the page."""

    outcome = RadioField(_l("Wie hat der Rat entschieden?"), validate_choice=False)
    date = DateField(
        _l("Datum des Beschlusses"),
        format=["%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y"],
        validators=[Optional()],
        invalid_value_message=_l("Geben Sie das Datum als Tag, Monat und Jahr an, zum Beispiel 24.11.2026."),
        description=_l("Der Tag der Sitzung, in der entschieden wurde."),
    )
    changed = RadioField(_l("Wurde die Vorlage wegen des Klimachecks geändert?"), validate_choice=False)
    note = TextAreaField(
        _l("Was wurde geändert?"),
        description=_l(
            "Bei „ja“ und „teilweise“ ein Satz dazu, was wegen des Klimachecks an der Vorlage geändert wurde, "
            "zum Beispiel: „Wärmepumpe statt Gaskessel.“"
        ),
    )
    effective_year = YearField(
        _l("Wirksam ab (Jahr)"),
        description=_l(
            "Das Jahr, ab dem der Beschluss Emissionen verursacht oder einspart, zum Beispiel das Jahr der "
            "Inbetriebnahme. Leer: das Jahr des Beschlusses. Zählt für das Klimabudget."
        ),
    )
    seen = HiddenField()  # the recorded decision the page showed (operations.outcome_token)


class TokenForm(FlaskForm):
    label = StringField(
        _l("Bezeichnung"),
        validators=[DataRequired(_l("Geben Sie dem Token eine Bezeichnung (wofür es ist).")), MaxChars(100)],
        description=_l("Wofür das Token ist, z. B. „Abgleich mit dem Ratsinformationssystem“."),
    )


class LanguageForm(FlaskForm):
    """The interface language of one's own account ("" = as the browser says)."""

    locale = RadioField(
        _l("Sprache"),
        choices=[
            SelectChoice("", _l("wie im Browser eingestellt")),
            SelectChoice("de", "Deutsch"),  # each language in its own name: found in either interface
            SelectChoice("en", "English"),
        ],
        default="",
    )
