"""briefing-monitor: watch press-briefing transcripts, alert on new ones and quiet edits."""

__version__ = "0.2.0"  # kept equal to pyproject.toml's version by tests/test_cli.py
