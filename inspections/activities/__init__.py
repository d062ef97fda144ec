"""Trainings and appraisal/award activities involving enterprises (涉企培训、评比达标表彰): the
department's filings, the commission's decisions, the cancelled items, the public list with its
complaints, and the flags."""
