"""Screening: the decision state of each stage and everything that works on it.

Modules: `state` (stage states, the standing decision per work, conflicts), `session` (one
reviewer's screening session: queue, undo, notes), `rules` (automatic criteria: year range,
types, language), `ranking` (active-learning order), `stopping` (when to stop screening),
`simulate` (replaying a labelled review), `agreement` (Cohen's kappa between reviewers).
"""
