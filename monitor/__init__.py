"""briefing-monitor: watch press-briefing transcripts, alert on new ones and quiet edits."""

__version__ = "0.1.0"
