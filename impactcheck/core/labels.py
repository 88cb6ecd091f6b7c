"""The words for the rule model's fixed values (stages, verdicts, methods, scopes, points of a scale).

German msgids, translated where shown. They live here, without pydantic, so that writing a stored
Result (the Word section, the text report) does not build the rule model's validators: importing
`core.model` costs about 0.2 s. `core.model` re-exports them, so `model.VERDICT_LABELS` still works.
"""

from __future__ import annotations

from impactcheck.core.i18n import N_

STAGE_LABELS = {
    "screening": N_("Vorprüfung"),
    "sectors": N_("Handlungsfelder"),
    "quantification": N_("Quantifizierung"),
    "adaptation": N_("Klimaanpassung"),
    "verdict": N_("Ergebnis"),
}
VERDICT_LABELS = {
    "not_relevant": N_("nicht klimarelevant"),
    "positive": N_("positiv"),
    "neutral": N_("neutral"),
    "negative": N_("negativ"),
}
METHOD_LABELS = {"detailed": N_("detailliert"), "simplified": N_("vereinfacht"), "estimate": N_("Schätzung")}
SCOPE_LABELS = {"direct": N_("direkt"), "indirect": N_("indirekt"), "grey": N_("graue Emissionen")}
SCALE_LABELS = {
    -2: N_("deutlich negativ"),
    -1: N_("eher negativ"),
    0: N_("keine Auswirkung"),
    1: N_("eher positiv"),
    2: N_("deutlich positiv"),
}
