"""A crawl frontier shared by crawler processes on any machines, on Redis (scrapy-redis).

`-s SHOPWRIGHT_FRONTIER=redis://host:6379/0` (docs/SCALING.md): `addon` switches it on,
`scheduler` and `queue` share one store's requests with leases that survive a killed worker,
`politeness` holds one request rate per host across workers, `keys` names what lives in Redis.
"""

from crawler.frontier.addon import FrontierAddon

__all__ = ["FrontierAddon"]
