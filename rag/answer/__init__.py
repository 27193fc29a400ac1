"""Turning evidence into answers: sentences, figures, comparisons, citations, abstention."""
