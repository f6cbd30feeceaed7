"""Stage 1, the course: the lessons students get and what can be handed in.

``build`` turns the solution notebooks into the released lessons (and checks
that lessons/ is in sync and that every test cell calls a checker its locked
setup cell imports); ``synthesize`` makes submissions from the solutions (the
demo, the benchmark, the tests); ``validate`` runs one notebook and reports
each test in the checkers' words.
"""
