"""The pure core: rule model, loader, conditions and evaluation. No Flask, no database, no Word."""

from impactcheck.core.errors import AnswersError, InputError, Problem, RuleFileError
from impactcheck.core.evaluate import check_answers, evaluate, steps_for
from impactcheck.core.loader import load_factor_table, load_ruleset
from impactcheck.core.model import RuleSet
from impactcheck.core.result import Result

__all__ = [
    "AnswersError",
    "InputError",
    "Problem",
    "Result",
    "RuleFileError",
    "RuleSet",
    "check_answers",
    "evaluate",
    "load_factor_table",
    "load_ruleset",
    "steps_for",
]
