"""`slr serve`: the screening in a browser, for co-reviewers who do not use a terminal.

The library side of the command: `auth` (invitations, sessions, CSRF, rate limits), `desk`
(the screening sessions of slr.screen.session, one per reviewer log, behind a lock), `pages`
(work cards as escaped HTML) and `app` (the Starlette application). No click here: the
command is slr/cli/serve.py.
"""
