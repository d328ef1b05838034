"""Evaluation bodies (评价机构): identity, kind, rule-relevant attributes, certificate codes, status, chain members."""
