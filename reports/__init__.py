"""Reports and the gradparity command line: the top layer, reading the records of both
harnesses in ``cases`` (and importing ``cases`` and ``adapters``; nothing imports it).

- the command line: ``cli`` (the parser), ``commands`` (what each sub-command does),
  ``exit_codes``, ``selection`` (which cases, adapters, modes and dtypes a run covers);
- running: ``runner`` (planning, resume, the worker pool), ``tasks`` (what one worker task
  does, and what ``--quick`` leaves out), ``rundir`` (the run folder), ``environment``;
- reporting: ``schema`` (the record frames), ``tables``, ``plots``, ``render`` (summary.md,
  report.html), ``readme`` (the README's results block), ``run_comparison`` (``compare``);
- ``demo``, and the ``explain`` sub-command's own modules.
"""

__all__: list[str] = []
