"""scrapy-redis' priority queue with leases: a request taken from the queue stays recorded under
the worker that took it until the worker releases it, and returns to the queue if the worker
dies first.

Taking a request and recording its lease is one Lua script, so no kill can fall between them. A
worker proves it lives by renewing a key with a time to live (`alive`); any worker that finds a
worker's key expired moves that worker's leased requests back to the queue (again one script, so
two workers cannot both move them).
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy_redis.queue import PriorityQueue

from crawler.frontier.keys import FrontierKeys

#: Pop the best request, lease it to the worker (KEYS: queue, the worker's leases, lease ids).
POP_LEASED = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
local id = tostring(redis.call('INCR', KEYS[3]))
redis.call('HSET', KEYS[2], id, top[2] .. '\\n' .. top[1])
return {id, top[1]}
"""

#: Move the leased requests of workers whose `alive` key expired back to the queue
#: (KEYS: workers, queue; ARGV: key prefix, the calling worker); returns how many.
REQUEUE_DEAD = """
local moved = 0
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if worker ~= ARGV[2] and redis.call('EXISTS', ARGV[1] .. ':alive:' .. worker) == 0 then
    local leases = ARGV[1] .. ':leases:' .. worker
    for _, lease in ipairs(redis.call('HVALS', leases)) do
      local cut = string.find(lease, '\\n', 1, true)
      redis.call('ZADD', KEYS[2], string.sub(lease, 1, cut - 1), string.sub(lease, cut + 1))
      moved = moved + 1
    end
    redis.call('DEL', leases)
    redis.call('SREM', KEYS[1], worker)
  end
end
return moved
"""

#: Move one worker's leased requests back to the queue (KEYS: its leases, queue).
REQUEUE_MINE = """
local moved = 0
for _, lease in ipairs(redis.call('HVALS', KEYS[1])) do
  local cut = string.find(lease, '\\n', 1, true)
  redis.call('ZADD', KEYS[2], string.sub(lease, 1, cut - 1), string.sub(lease, cut + 1))
  moved = moved + 1
end
redis.call('DEL', KEYS[1])
return moved
"""

#: Whether any worker holds a lease (KEYS: workers; ARGV: key prefix): requests in flight.
LEASES_HELD = """
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('HLEN', ARGV[1] .. ':leases:' .. worker) > 0 then return 1 end
end
return 0
"""

#: When the queue is empty and no worker holds a lease, the crawl is over: forget its queue and
#: seen-set, so that the next crawl of the store starts afresh (KEYS: queue, seen, lease ids,
#: workers; ARGV: key prefix). Returns 1 when it cleared them.
CLEAR_IF_DONE = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[4])) do
  if redis.call('HLEN', ARGV[1] .. ':leases:' .. worker) > 0 then return 0 end
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1
"""


class LeasedQueue(PriorityQueue):
    """A store's shared request queue whose pops are leases held by one worker."""

    def __init__(self, server: Any, spider: Any, keys: FrontierKeys, worker: str) -> None:
        super().__init__(server, spider, keys.requests)
        self.keys = keys
        self.worker = worker
        self._pop = server.register_script(POP_LEASED)
        self._requeue_dead = server.register_script(REQUEUE_DEAD)
        self._requeue_mine = server.register_script(REQUEUE_MINE)
        self._leases_held = server.register_script(LEASES_HELD)
        self._clear_if_done = server.register_script(CLEAR_IF_DONE)

    def pop_leased(self) -> tuple[str, Request] | None:
        """The best queued request and the id of its lease, or None when the queue is empty."""
        found = self._pop(
            keys=[self.keys.requests, self.keys.leases(self.worker), self.keys.lease_ids]
        )
        if not found:
            return None
        lease, data = found
        return lease.decode(), self._decode_request(data)

    def release(self, leases: list[str]) -> None:
        """Done with these requests: forget their leases."""
        if leases:
            self.server.hdel(self.keys.leases(self.worker), *leases)

    def release_all(self) -> None:
        """Done with every request this worker took."""
        self.server.delete(self.keys.leases(self.worker))

    def held(self) -> int:
        """How many requests this worker holds."""
        return int(self.server.hlen(self.keys.leases(self.worker)))

    def requeue_dead(self) -> int:
        """Return the requests of dead workers to the queue; how many."""
        return int(
            self._requeue_dead(
                keys=[self.keys.workers, self.keys.requests], args=[self.keys.prefix, self.worker]
            )
        )

    def requeue_mine(self) -> int:
        """Return this worker's requests to the queue (it stops before finishing them)."""
        return int(self._requeue_mine(keys=[self.keys.leases(self.worker), self.keys.requests]))

    def in_flight_anywhere(self) -> bool:
        """Whether any worker, this one included, holds a request."""
        return bool(self._leases_held(keys=[self.keys.workers], args=[self.keys.prefix]))

    def clear_if_done(self) -> bool:
        """Forget the queue and seen-set when the crawl is over everywhere; whether it did."""
        keys = [self.keys.requests, self.keys.seen, self.keys.lease_ids, self.keys.workers]
        return bool(self._clear_if_done(keys=keys, args=[self.keys.prefix]))
