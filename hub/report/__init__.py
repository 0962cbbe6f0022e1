"""`hub report`: what hub's sends achieved, read from every vendor into one normalised set of figures.

- `figures`: the contract between the core and provider plugins (metrics, what was sent, what a vendor read gives).
- `collect`: `hub report sync`: what hub sent and is not settled, asked of each resource once, stored in hub's state
  (`hub.state.results`).
- `aggregate`: the arithmetic, pure: group, sum counts, rates from the sums, n/a where no vendor gives a metric.
- `render`: the report as JSON, CSV and the terminal table's cells; `html` and `svg`: the self-contained page.
"""
