"""In answers to "how has X changed?": the figure's dated history, one compact cited line."""

from __future__ import annotations

from dataclasses import replace

from bot.grounding.citations import verify
from bot.timeline.build import TimelineBuilder, is_change_question
from bot.timeline.render import point_label, shown_points
from bot.types import Answer
from index import Filters, HybridSearcher

LEAD = "How the figure changed"


def add_change_list(
    answer: Answer,
    question: str,
    claim: str,
    searcher: HybridSearcher,
    filters: Filters | None = None,
) -> None:
    """Append "How the figure changed (foreigners deported): 310 (5 Aug, …) [3] → …" to a
    change question's answer, each point cited like the answer's own quotes (in place)."""
    if not is_change_question(question):
        return
    timeline = TimelineBuilder(searcher).build(claim, filters)
    dated = [s for s in timeline.series if len(shown_points(s)) >= 2]
    if not dated:
        return
    series = dated[0]
    by_span = {(c.doc_id, c.start, c.end): c.n for c in answer.citations}
    citations = list(answer.citations)
    points = shown_points(series)
    years = len({p.date.year for p in points if p.date}) > 1
    parts = []
    for p in points:
        c = p.citation
        n = by_span.get((c.doc_id, c.start, c.end))
        if n is None:
            n = len(citations) + 1
            citations.append(replace(c, n=n))
            by_span[(c.doc_id, c.start, c.end)] = n
        parts.append(f"{point_label(p, years)} [{n}]")
    line = f"{LEAD} ({series.label}): " + " → ".join(parts)
    checked, report = verify(line, citations)
    if report.unsupported or not checked:
        return  # never show a figure the quotes don't state
    answer.answer = f"{answer.answer}\n{checked}" if answer.answer else checked
    answer.citations = citations
