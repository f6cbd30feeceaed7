"""Stage 3, the judge: what each test cell is worth, decided outside the student's kernel.

``judge`` runs every checker call of a test cell in the grader's process and
asks the kernel for values through ``judge_agent`` (sent into the kernel as
source text); ``integrity`` flags what a submission did to the notebook
(renamed, duplicated or edited cells, suspicious code); ``outcomes`` reads the
executed notebook into one outcome per test (message, misconception ids);
``hidden_tests`` keeps the hidden tests out of lessons and feedback.
"""
