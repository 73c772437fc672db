"""The application: settings, wiring of index and answerer, the CLI, evaluation."""
