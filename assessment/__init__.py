"""Assessment: assessors, exam batches, scoring, eligibility and direct recognition; produces registry awards.

Imports registry only; never certificates.
"""
