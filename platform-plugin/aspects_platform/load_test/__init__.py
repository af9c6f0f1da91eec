"""The tracking-event load test: generator, monitor and report (never for production)."""
