"""Triggers: webhooks, schedules, the inbound events queue and EventBridge events start runs, exactly once.

Deliberately empty: app.py imports ``chalicelib.triggers.index`` at cold start
to register one schedule per flow, so this package must not pull in pydantic,
boto3 or the definition loader. Import the modules you need:

- ``index``: cheap scan of definition files for the handlers app.py registers
- ``schedule_expressions``: pure EventBridge cron/rate parsing and next firing
- ``signature``: the webhook signing scheme (pure)
- ``secrets``: webhook secrets from SSM through Powertools' parameters utility
- ``webhook``, ``schedule``, ``inbound``, ``event``: one delivery -> one idempotent start
"""
