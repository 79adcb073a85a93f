"""The terminal layer: what the interactive loops and progress bars draw.

Modules: `keys` (the screening keymap and its user file), `view` (the screening card laid out
as styled rows), `screen` (the screening loop, curses or plain), `code` (the coding loop) and
`progress` (progress bars on stderr).
"""
