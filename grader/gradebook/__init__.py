"""Stage 4, the gradebook: where the grades are kept.

``gradebook`` is nbgrader's sqlite database (workers grade into private
copies, the parent merges them one student at a time); ``records`` is the
grader's own per-submission record (flags, tests, misconceptions, timing)
that makes grading resumable.
"""
