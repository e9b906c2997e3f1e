"""Events: the transactional outbox every state change writes to, what reads it
(`payctl events list|tail|prune`) and the relay that publishes it to a broker.

Public pieces:

- ``outbox.emit`` (:mod:`payctl.services.events.outbox`): queue events in the running
  transaction; they are written when it commits, never when it rolls back.
- ``catalog`` (:mod:`payctl.services.events.catalog`): the event types and the payload schema.
"""
