"""The conformance matrix: every case x adapter x mode x dtype x check as one test.

The items come from the gradparity pytest plugin (``cases/pytest_plugin.py``), which reads
the ``--gp-*`` options; see its docstring. Ids read ``<case>-<adapter>-<mode>-<dtype>-<check>``.
"""


def test_conformance(gradparity):
    gradparity.verify()
