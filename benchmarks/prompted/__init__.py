"""Prompted (log-likelihood) evaluation of causal LMs with lm-evaluation-harness."""
