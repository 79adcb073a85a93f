"""The terminal layer: the interactive loops and what they share.

Modules: `term` (one key or one line from the terminal, shared by the loops), `keys` (the
keys of the three loops and their user file), `view` (the screening card laid out as styled
rows), `screen` (the screening loop, curses or plain), `code` (the coding loop) and `pairs`
(the dedupe pair review). Progress bars are the CLI's (slr/cli/progress.py): the library only
reports progress through a callback (slr/progress.py).
"""
