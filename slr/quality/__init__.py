"""Quality assessment (Kitchenham): a checklist of questions answered per included study.

`log` keeps the answers (one append-only log per coder, plus the reconciled answers),
`scores` sums them per study and applies the protocol's cut-off (`min_score`, criterion
`QA` by default), `table` writes the per-study score table and `sheet` the CSV/XLSX round
trip; the line-mode assessment and reconciliation are in slr/tui/quality.py.
"""
