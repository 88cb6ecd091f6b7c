"""The JSON API's request and response bodies as pydantic models: they validate what comes in, shape
what goes out, and are the schemas of the OpenAPI document (web/openapi.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FieldProblem(BaseModel):
    field: str | None = Field(None, description="Which field of the request, e.g. answers.baukosten")
    message: str = Field(description="What is wrong, in German, as the web form says it")


class Problem(BaseModel):
    """RFC 9457 problem details (application/problem+json)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = []
    blockers: list[Blocker] = Field([], description="What keeps a draft from being submitted (409 on submit)")


class Blocker(BaseModel):
    code: Literal["incomplete", "alternative_missing", "alternative_incomplete", "justification_missing", "not_a_draft"]
    message: str


Problem.model_rebuild()


# --- requests -----------------------------------------------------------------------------------


class PaperIn(Body):
    reference: str = Field(min_length=1, max_length=64, description="Drucksachen-Nummer, e.g. 101.26.0815")
    title: str = Field(min_length=1, max_length=1000)
    department: str = Field(min_length=1, max_length=200, description="Einbringendes Amt")
    committee: str = Field(min_length=1, max_length=200, description="First committee of the consultation")
    meeting_date: dt.date | None = Field(None, description="Date of the first consultation")
    ruleset: str | None = Field(None, max_length=64, description="Rule set id; default: the municipality's")


class AnswersIn(Body):
    answers: dict[str, Any] = Field(
        description="Question id → answer (true/false, an option id, a list of option ids, a number, a text); "
        "null removes an answer"
    )
    variant: Literal["proposal", "alternative"] = "proposal"


class AlternativeIn(Body):
    description: str = Field(min_length=1, max_length=4000)


class SubmitIn(Body):
    justification: str | None = Field(None, max_length=4000, description="Needed when the alternative is negative too")


# --- responses ----------------------------------------------------------------------------------


class RevisionOut(BaseModel):
    number: int
    status: Literal["draft", "submitted", "approved", "returned"]
    version: int
    ruleset_id: str
    ruleset_version: str | None
    verdict: str | None
    submitted_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    verification_code: str | None = Field(None, description="As printed in the paper's Klimacheck section")


class DraftOut(BaseModel):
    """What the draft needs and allows (store/workflow.py)."""

    steps: list[str] = Field(description="The visible steps of the proposal, in order")
    first_incomplete_step: str | None
    alternative_needed: bool
    justification_needed: bool
    blockers: list[Blocker]
    actions: list[str]
    verdict_preview: str | None = Field(None, description="The verdict a submission now would get")
    answers: dict[str, Any]
    alternative_description: str | None
    alternative_answers: dict[str, Any] | None
    dropped_answers: list[str] = Field(description="Stored answers to questions the rule set no longer has")


class CheckOut(BaseModel):
    id: int
    url: str
    reference: str
    title: str
    department: str
    committee: str
    meeting_date: dt.date | None
    status: str = Field(description="The current revision's status (draft while a new revision is written)")
    filed_revision: int | None = Field(description="The latest submitted revision: what councillors see")
    verdict: str | None
    alternative_verdict: str | None
    adopted_verdict: str | None
    t_co2e_per_year: float | None
    outcome: str | None
    created_at: dt.datetime
    submitted_at: dt.datetime | None


class CheckDetail(CheckOut):
    revision: RevisionOut = Field(description="The revision this user works on or reads")
    draft: DraftOut | None = Field(None, description="Only for the owner of a draft")
    result: dict[str, Any] | None = Field(None, description="The stored Result of the revision (as ergebnis.json)")


class CheckPage(BaseModel):
    items: list[CheckOut]
    total: int
    page: int
    pages: int
    size: int
    next: str | None
    previous: str | None


class OptionOut(BaseModel):
    id: str
    label: str


class QuestionOut(BaseModel):
    id: str
    type: str
    text: str
    required: bool
    options: list[OptionOut] = []
    unit: str | None = None
    min: float | None = None
    max: float | None = None


class StepOut(BaseModel):
    id: str
    title: str
    questions: list[QuestionOut]


class RulesetOut(BaseModel):
    id: str
    version: str
    title: str
    default: bool


class RulesetDetail(RulesetOut):
    steps: list[StepOut]
