"""Grounding: citations with exact offsets, and the check of every figure against them."""
