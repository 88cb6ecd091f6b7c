"""Property tests: evaluation is deterministic and never raises on answers the rule set accepts."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impactcheck.core.errors import AnswersError
from impactcheck.core.evaluate import check_answers, evaluate
from impactcheck.core.loader import load_ruleset
from impactcheck.core.sampling import sample_answers
from tests.support import RULES

RULESETS = {name: load_ruleset(RULES / f"{name}.yaml") for name in ("kassel-2030", "schnellcheck")}


class DataChooser:
    """Lets hypothesis make every choice, so failing answer sets shrink to small ones."""

    def __init__(self, data):
        self.data = data

    def boolean(self):
        return self.data.draw(st.booleans())

    def pick(self, options):
        return self.data.draw(st.sampled_from(options))

    def subset(self, options):
        return self.data.draw(st.lists(st.sampled_from(options), unique=True))

    def integer(self, low, high):
        return self.data.draw(st.integers(low, high))

    def number(self, low, high):
        return self.data.draw(
            st.one_of(st.integers(int(low), int(high)), st.floats(low, high, allow_nan=False, allow_infinity=False))
        )

    def text(self):
        return self.data.draw(st.text(min_size=1, max_size=80).filter(lambda t: t.strip()))


@pytest.mark.parametrize("name", sorted(RULESETS))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_accepted_answers_evaluate_deterministically(name, data):
    ruleset = RULESETS[name]
    answers = sample_answers(ruleset, DataChooser(data))
    _, _, problems = check_answers(ruleset, answers)
    assert problems == []  # the generator only produces what the rule set accepts
    first = evaluate(ruleset, answers)
    second = evaluate(ruleset, dict(reversed(list(answers.items()))))  # order of keys must not matter
    assert first == second
    assert json.dumps(first.to_dict(), sort_keys=True) == json.dumps(second.to_dict(), sort_keys=True)
    assert first.verdict in ("not_relevant", "positive", "neutral", "negative")
    assert first.requires_alternative == (first.verdict == "negative")
    for sector in first.sectors:
        assert -2 <= sector.score <= 2


@pytest.mark.parametrize("name", sorted(RULESETS))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_alternative_evaluates_too(name, data):
    ruleset = RULESETS[name]
    answers = sample_answers(ruleset, DataChooser(data))
    changes = sample_answers(ruleset, DataChooser(data))
    result = evaluate(ruleset, answers, alternative={"description": "Variante", "answers": changes})
    assert result.alternative is not None


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5,
)


@pytest.mark.parametrize("name", sorted(RULESETS))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_arbitrary_input_gives_answers_error_or_result(name, data):
    """Any junk in any question is either accepted or named as a problem – never a crash."""
    ruleset = RULESETS[name]
    answers = sample_answers(ruleset, DataChooser(data))
    keys = [*sorted(ruleset.questions), "unbekannt"]
    for key in data.draw(st.lists(st.sampled_from(keys), max_size=3)):
        answers[key] = data.draw(JUNK)
    try:
        evaluate(ruleset, answers)
    except AnswersError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
