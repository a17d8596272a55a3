"""The cache: Django's Redis backend keeping its Redis clients, and what a cache outage looks like
to the code that must carry on through one (the rate limits, the report's files): what Django's
RedisCache raises when Redis cannot be reached or does not answer in time."""

import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

CACHE_UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class KeptClients(RedisCacheClient):
    """Django's client makes a ``redis.Redis`` for every cache call, which costs about 0.14 ms (it
    copies its table of response callbacks): more than a round trip to a local Redis. A
    ``redis.Redis`` holds no state of its own between commands (its connection pool does, and is
    shared already), so one per pool is kept and reused."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache`` with ``KeptClients``; settings put it in
    place of Django's wherever the cache is Redis."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClients
