"""Data extraction: the protocol's `[[extraction]]` form, filled in per included study.

`form` checks typed values, `log` keeps one append-only log per coder (plus the
`consensus` log of `slr extract --reconcile`), `sheet` is the wide CSV/XLSX round trip,
`session` the one-study-at-a-time line session, `reconcile` the agreement and
consensus, `table` the tidy and wide exports.
"""
