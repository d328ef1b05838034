"""Exam batches (考务批次): staffing, enrolment with eligibility, scoring, attestation, 公示, objections, awards."""
