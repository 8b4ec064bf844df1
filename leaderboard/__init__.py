"""Ranking rules over plain data: public and private views, ties, composite and judged scores."""
