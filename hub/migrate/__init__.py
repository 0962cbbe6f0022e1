"""Moving a client between vendors with consent kept (`hub migrate`).

- `carry`: the contacts a migration's target is pushed: the workspace's merged with the source's, never more
  sendable than the source holds them (unsubscribed, bounced, complained and pending stay so);
- `guard`: what every plan and apply checks first: a migration's source is only read, and a client whose email
  account changed without one is refused (its old vendor holds unsubscribes hub would otherwise undo);
- `verify`: counts by consent, tag and field on both sides;
- `flow`: the command's work (read the source, plan the target, apply, record the migration).
"""
