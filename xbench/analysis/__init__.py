"""Analyses over stored results behind ``xbench analyze``: statistics (stats), figures (plots) and the research questions."""
