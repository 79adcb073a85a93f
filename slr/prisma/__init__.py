"""The PRISMA 2020 flow diagram.

Modules: `counts` (every box counted from the review's state and checked to balance),
`layout` (the diagram's geometry, shared by the renderers) and `render` (SVG, TikZ, PNG/PDF
and the PRISMA2020 tool's CSV).
"""
