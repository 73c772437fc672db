"""Front ends: thin adapters that turn platform events into ChatService calls."""
