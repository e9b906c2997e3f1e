"""Events: the transactional outbox every state change writes to, what reads it
(`payctl events list|tail|prune`) and the relay that publishes it to a broker.

Public pieces:

- ``outbox.emit`` (:mod:`payctl.services.events.outbox`): queue events in the running
  transaction; they are written when it commits, never when it rolls back.
- ``catalog`` (:mod:`payctl.services.events.catalog`): the event types and the payload schema.
- ``EventService`` (:mod:`payctl.services.events.event_service`): listing, tailing and pruning
  the outbox, and the relay's destinations (`payctl events list|tail|prune|destinations`).
"""
