"""hub's own automation runner (`hub run`): it carries out the automations no vendor can hold (steps on email
and SMS, webhooks, ...), exactly once, for months, surviving crashes.

- `resource`: the plan item that arms an automation for the runner (what each step will call)
- `graph`, `timing`: where a journey goes next and when (pure)
- `enrol`: who starts a journey (triggers)
- `engine`: a tick: start journeys, claim due rows in batches, carry each batch out, move the rows on
- `durable`: batches carried out as DBOS workflows (SQLite by default, PostgreSQL for several workers)
The rows themselves are in `hub.state.journeys`.
"""
