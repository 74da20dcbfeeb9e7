"""A minimal real django-oscar + django-oscar-api shop that tests start on 127.0.0.1.

Nothing here imports Django in the test process: :mod:`oscar_site.launch` drives
the site through subprocesses (``python -m oscar_site.server ...``) so that the
Django settings never leak into the rest of the test session.
"""
