"""Experts found by what they know: declared and learned expertise (ORPHA, HPO, languages) and the ranking of
candidates for a case."""
