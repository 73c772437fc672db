"""Storage: the SQLite catalog, Chroma vectors, tantivy BM25, embeddings, and the Store
that keeps them consistent."""
