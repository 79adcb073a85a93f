"""The concept matrix and its renderers.

`model` builds the `Matrix` value (studies x concepts, totals, groups) and holds the one
registry of output formats; each format has its own module (`csv`, `latex`, `markdown`,
`xlsx`, `plot`), imported only when that format is asked for.
"""
