"""grader: the instructor's pipeline around nbgrader, laid out as its stages.

* ``course``     solutions/ -> lessons/ and the sync check (``build``), one notebook
                 run and reported (``validate``), synthetic submissions (``synthesize``);
* ``run``        the sandboxed run: bubblewrap containers, kernels forked from a
                 pre-imported zygote, deadlines and resource limits;
* ``judge``      test cells judged in the grader's process, integrity flags, outcomes,
                 hidden tests;
* ``gradebook``  nbgrader's gradebook and the grader's own per-submission records;
* ``results``    feedback pages, the grades CSV, the class report.

``autograde`` drives submissions through run -> judge -> gradebook; ``config``
is the course layout and the nbgrader configuration every stage starts from;
``nbgrader_seam`` holds every nbgrader/nbclient/jupyter_client/ipykernel
internal the grader relies on (each with a contract test); ``formgrader``
is what nbgrader's own tools (Formgrader's buttons, the ``nbgrader`` command)
do in a course folder, whose ``nbgrader_config.py`` loads it; ``cli`` and
``demo`` are the entry points.  Run ``python -m grader --help``.
``deferred_imports`` runs first: it keeps a dependency's 2-second optional
import out of every grader process.
"""
from .deferred_imports import defer_iri_grammar

defer_iri_grammar()

__all__ = []
