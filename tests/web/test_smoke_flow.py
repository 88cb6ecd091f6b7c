from __future__ import annotations

import yaml

from tests.support import RULES
from tests.web.flows import answer_all, start


def test_negative_with_alternative_flow(as_role):
    b = as_role("author")
    example = yaml.safe_load((RULES / "examples/kassel-2030/gasheizung-kita.yaml").read_text())
    check_id = start(b)
    visited = answer_all(b, check_id, example["answers"])
    assert visited[0] == "vorpruefung"
    review = b.get(f"/klimachecks/{check_id}/pruefen")
    html = review.get_data(as_text=True)
    assert "negativ" in html
    assert "Alternative beschreiben und bewerten" in html
