"""The ingest pipeline: reports → chunks → the store; syndicated copies; feeds followed."""
