"""De-duplication: link records of every source into works, never delete one.

`engine.run(records)` clusters any list of records; `incremental.update(review)` does it for
a review (stable work ids, stored reviewer answers); `standalone.dedupe_file` for a CSV.
This package file imports nothing heavy, so `slr status` can read `counts` quickly.
"""
