"""Answering: the Answerer seam, question parsing, the extractive reader, the LLM, prompts."""
