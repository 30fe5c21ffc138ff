"""Steps the mode handlers share: schedule, judge, estimate, write outputs."""
