"""Tools for instructors and maintainers, not for the lessons.

- ``instructor_tools.kit``: build, verify and hand out the offline kit (``python -m instructor_tools.kit``);
- ``instructor_tools.classroom``: fetch the Hub checkpoints once and hand them out (``python -m
  instructor_tools.classroom``);
- ``instructor_tools.archive``: the verified archive format both of them use;
- ``instructor_tools.hubserver``: a local Hub server (PyPI ``olah``) for the tests and a classroom mirror;
- ``instructor_tools.envcheck``: ``make check-env``.

The lessons import only ``helpers``; nothing in ``helpers`` imports from here.
"""
