"""Assessors (考评员) and quality supervisors (质量督导员): cards, qualifications, validity, status."""
