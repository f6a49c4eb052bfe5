"""The ``gradparity`` command's exit status, said once for the parser and the sub-commands.

0 success; 1 an undocumented failure was found (``--no-fail`` turns this off); 2 a usage error
(an unknown name, a bad option, a selection that leaves nothing to run, an ``--out`` or
``--readme`` file that cannot be written); 3 a run folder that cannot be created, written or
read; 4 inconclusive (``check-fn``: finite differences cannot be trusted at the drawn point, so
no verdict); 130 interrupted (Ctrl-C or SIGTERM): what was done is in the run folder, ``--resume``
continues it. The README's "The command line and the reports" says the same, with examples.
"""

__all__ = ["EXIT_FAILURES", "EXIT_INCONCLUSIVE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_RUN_FOLDER",
           "EXIT_USAGE"]

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_RUN_FOLDER = 3
EXIT_INCONCLUSIVE = 4
EXIT_INTERRUPTED = 130
