"""A real Hub server on loopback (PyPI ``olah``) serving tiny, architecture-faithful fixture repos.

``fixtures.build_fixtures(mirror_dir)`` writes the git repositories; ``server.HubServer(mirror_dir)``
serves them at ``http://127.0.0.1:<port>`` so the notebooks can run on the real Hub ids offline.
"""
