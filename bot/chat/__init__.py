"""The chat service (retrieval, follow-ups, answering) and the conversations it keeps."""
