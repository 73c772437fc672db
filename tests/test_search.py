"""Hybrid search over a small real index: fusion, filters in both retrievers, k, empty query."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.config.settings import Settings
from index.errors import QueryError, ReportbotError
from index.ingest.pipeline import Ingestor
from index.search import Filters, HybridSearcher
from index.storage.store import Store
from index.types import Hit

REPORTS = [
    ("clinic", "2024-01-10", "Coast Gazette", "Storm aftermath",
     "The physician treated forty patients at the clinic after the storm knocked out power."),
    ("beetles", "2024-02-15", "Coast Gazette", "Harbour warehouse",
     "Xylophagous beetles infested the old harbour warehouse, inspectors found on Monday."),
    ("budget", "2024-03-20", "Capital Post", "Council budget",
     "The council approved a budget of 12 million euros for road repairs and new buses."),
    ("election", "2024-04-25", "Capital Post", "Mayor re-elected",
     "The mayor won a second term with 58 percent of the vote in the municipal election."),
    ("match", "2024-05-30", "Sports Daily", "Cup final",
     "The home team won the cup final after a penalty shoot-out in front of 40,000 fans."),
    ("transfer", "2024-06-30", "Sports Daily", "Transfer rumour",
     "The club is said to be close to signing a striker from abroad for the new season."),
]  # fmt: skip


@pytest.fixture(scope="module")
def searcher(
    tmp_path_factory: pytest.TempPathFactory, embed_model: object
) -> Iterator[HybridSearcher]:

    tmp = tmp_path_factory.mktemp("search")
    feed = tmp / "feed.jsonl"
    feed.write_text(
        "".join(
            json.dumps({"id": i, "date": d, "source": s, "title": t, "text": x}) + "\n"
            for i, d, s, t, x in REPORTS
        )
    )
    settings = Settings(_env_file=None, data_dir=tmp / "data")  # type: ignore[call-arg]
    store = Store(settings, embed_model)  # type: ignore[arg-type]
    report = Ingestor(store).ingest([str(feed)], progress=False)
    assert len(report.added) == len(REPORTS)
    yield HybridSearcher(store)
    store.close()


def _ids(hits: list[Hit]) -> list[str]:
    return [h.document.doc_id for h in hits]


def test_synonym_found_by_dense_retrieval_only(searcher: HybridSearcher) -> None:
    assert searcher.store.lexical.search("doctor", 10) == []  # no shared word
    hits = searcher.search("doctor", k=3)
    assert hits[0].document.doc_id == "clinic"
    assert set(hits[0].ranks) == {"dense"}


def test_rare_exact_term_found_by_lexical_retrieval(searcher: HybridSearcher) -> None:
    lexical = searcher.store.lexical.search("xylophagous", 10)
    assert [cid.split(":", 1)[0] for cid, _ in lexical] == ["beetles"]
    hits = searcher.search("xylophagous", k=3)
    assert hits[0].document.doc_id == "beetles"
    assert hits[0].ranks["lexical"] == 1
    assert hits[0].score > hits[1].score


def test_hits_carry_document_metadata_and_exact_text(searcher: HybridSearcher) -> None:
    (hit,) = searcher.search("municipal election vote", k=1)
    out = hit.as_json()
    assert (out["doc_id"], out["title"], out["source"], out["published"]) == (
        "election", "Mayor re-elected", "Capital Post", "2024-04-25"
    )  # fmt: skip
    doc = searcher.store.catalog.get("election")
    assert doc is not None and doc.text[hit.chunk.start : hit.chunk.end] == out["text"]


def test_k_is_respected(searcher: HybridSearcher) -> None:
    assert len(searcher.search("the", k=2)) == 2
    assert len(searcher.search("team won the final", k=4)) == 4
    assert len(searcher.search("team won the final", k=50)) == len(REPORTS)


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_returns_nothing(searcher: HybridSearcher, query: str) -> None:
    assert searcher.search(query) == []


FILTER_CASES = [
    (Filters(date_from="2024-02-15"), {"beetles", "budget", "election", "match", "transfer"}),
    (Filters(date_to="2024-02-15"), {"clinic", "beetles"}),
    (Filters(date_from="2024-02-01", date_to="2024-04-30"), {"beetles", "budget", "election"}),
    (Filters(source="Capital Post"), {"budget", "election"}),
    (Filters(date_from="2024-04-01", date_to="2024-06-01", source="Sports Daily"), {"match"}),
    (Filters(date_from="2024/03/01", date_to="2024.03.31"), {"budget"}),
]


@pytest.mark.parametrize(("filters", "expected"), FILTER_CASES)
def test_filters_apply_in_both_retrievers(
    searcher: HybridSearcher, filters: Filters, expected: set[str]
) -> None:
    store = searcher.store
    query = "the storm beetles budget mayor team club"  # words from every report
    kw = filters.as_kwargs()
    vector = store.embed_model.get_query_embedding(query)
    dense = {cid.split(":", 1)[0] for cid, _ in store.vectors.search(vector, 50, **kw)}  # type: ignore[arg-type]
    lexical = {cid.split(":", 1)[0] for cid, _ in store.lexical.search(query, 50, **kw)}  # type: ignore[arg-type]
    assert dense == expected
    assert lexical == expected
    assert set(_ids(searcher.search(query, k=20, filters=filters))) == expected


def test_unreadable_filter_date_is_an_error(searcher: HybridSearcher) -> None:
    with pytest.raises(ReportbotError, match="YYYY-MM-DD"):
        searcher.search("budget", filters=Filters(date_from="last week"))


def test_a_second_store_sees_the_same_index(searcher: HybridSearcher, embed_model: object) -> None:
    # A second Store over the same directory sees the same index (nothing held only in memory).
    other = Store(searcher.settings, embed_model)  # type: ignore[arg-type]
    try:
        hits = HybridSearcher(other).search("xylophagous", k=1)
        assert _ids(hits) == ["beetles"]
    finally:
        other.close()


def test_empty_index_returns_nothing(make_store: Callable[..., Store], tmp_path: Path) -> None:
    """An empty index answers every query with nothing, never an error."""
    store = make_store()
    assert HybridSearcher(store).search("anything at all", k=5) == []
    assert HybridSearcher(store).search("x", k=5, filters=Filters(source="Nobody")) == []


def test_recency_prior_lifts_reports_from_the_days_before_as_of(
    searcher: HybridSearcher,
) -> None:
    query = "what did the council and the mayor decide"
    undated = _ids(searcher.search(query, k=2, filters=Filters(as_of="2030-01-01")))
    # As of the day after the election, the election report (4/25) is this week's news.
    recent = _ids(searcher.search(query, k=2, filters=Filters(as_of="2024-04-26")))
    assert recent[0] == "election"
    # As of the day after the budget vote (3/20), the budget report leads instead.
    earlier = _ids(searcher.search(query, k=2, filters=Filters(as_of="2024-03-21")))
    assert earlier[0] == "budget"
    assert set(undated) == {"budget", "election"}  # no report is recent: plain relevance
    with pytest.raises(QueryError):
        searcher.search(query, filters=Filters(as_of="next week"))


def test_lead_prior_lifts_a_reports_first_chunk(
    make_store: Callable[..., Store], tmp_path: Path
) -> None:
    """With ``lead_boost`` set, a report whose lead matches outranks one that matches only
    deep in its text; with 0, plain relevance decides (the detail chunk matches better)."""
    filler = " ".join(f"Sentence {n} is about the weather and the tides." for n in range(12))
    feed = tmp_path / "leads.jsonl"
    rows = [
        {"id": "detail", "date": "2024-05-01", "text": "The ferry timetable changed. "
         + filler + " A zeppelin hangar was sold, and the zeppelin hangar will close."},
        {"id": "lead", "date": "2024-05-01", "text": "A zeppelin flew over the harbour. "
         + filler},
    ]  # fmt: skip
    feed.write_text("".join(json.dumps(r) + "\n" for r in rows))
    store = make_store(chunk_chars=200)
    Ingestor(store).ingest([str(feed)], progress=False)
    searcher = HybridSearcher(store)
    query = "zeppelin hangar"
    store.settings.lead_boost = 0.0
    plain = searcher.search(query, k=4)
    assert plain[0].document.doc_id == "detail" and plain[0].chunk.start > 0
    store.settings.lead_boost = 0.05
    led = searcher.search(query, k=4)
    assert led[0].document.doc_id == "lead" and led[0].chunk.start == 0
    s = store.settings
    weights = {"lexical": s.lexical_weight, "dense": s.dense_weight}
    fused = sum(weights[name] / (s.rrf_k + r) for name, r in led[0].ranks.items())
    assert led[0].score == pytest.approx(fused + 0.05)


def test_recency_window_is_the_week_before_as_of(searcher: HybridSearcher) -> None:
    """The default window (chosen by cross-validation) covers the 7 days before the as-of
    day: the budget report (3/20) is lifted as of 3/27, not as of 3/28."""
    s = searcher.settings
    assert (s.recency_days, s.recency_boost) == (7, 0.01)

    def budget_score(as_of: str) -> float:
        hits = searcher.search("council budget", k=6, filters=Filters(as_of=as_of))
        return next(h.score for h in hits if h.document.doc_id == "budget")

    assert budget_score("2024-03-27") - budget_score("2024-03-28") == pytest.approx(0.01)
    assert budget_score("2024-03-28") == pytest.approx(budget_score("2030-01-01"))


def test_bm25_counts_twice_the_dense_ranking(searcher: HybridSearcher) -> None:
    """Fusion weights (chosen by cross-validation): a first place in BM25 is worth twice a
    first place in the dense ranking."""
    (hit,) = searcher.search("xylophagous", k=1)
    s = searcher.settings
    assert s.lexical_weight == 2 * s.dense_weight
    expected = s.lexical_weight / (s.rrf_k + hit.ranks["lexical"])
    if "dense" in hit.ranks:
        expected += s.dense_weight / (s.rrf_k + hit.ranks["dense"])
    assert hit.score == pytest.approx(expected)
