"""Stage 2, the sandboxed run: one notebook executed in a fresh, contained kernel.

``kernels`` starts each kernel forked from a ``kernel_zygote`` that has already
imported the lesson's heavy modules, registers it and kills it at the
notebook's deadline; ``sandbox`` puts the zygote and its kernels in a
bubblewrap container with memory, process and time limits; ``quiet_stderr``
drops the libraries' start-up noise before cells are scored.
``kernel_zygote`` runs as ``python -m grader.run.kernel_zygote`` (inside the
sandbox too) and imports nothing of nbgrader or of the rest of the grader.
"""
