"""common.cache.RedisCache: Django's Redis cache keeping one Redis client per connection pool."""

import pytest
import redis
from django.core.cache import caches
from django.test import override_settings

from common.cache import CACHE_UNAVAILABLE, KeptClients, RedisCache
from conftest import unused_port


def test_the_cache_is_ours_wherever_settings_make_it_redis():
    with override_settings(CACHES={"default": {"BACKEND": "common.cache.RedisCache", "LOCATION": "redis://x/0"}}):
        cache = caches["default"]
        assert isinstance(cache, RedisCache)
        assert isinstance(cache._cache, KeptClients)


def test_one_client_serves_every_call_and_the_cache_works_through_it(redis_cache):
    client = redis_cache._cache.get_client(write=True)

    redis_cache.set("kept", 1)
    assert redis_cache.incr("kept") == 2
    assert redis_cache.get("kept") == 2
    assert redis_cache.add("kept", 5) is False

    assert redis_cache._cache.get_client(write=True) is client
    assert redis_cache._cache.get_client("kept") is client  # one server: reads use the same pool
    assert isinstance(client, redis.Redis)


def test_a_kept_client_raises_what_an_outage_raises_and_works_once_redis_is_back(redis_url):
    """The client kept from before an outage neither hides it nor stays broken after it."""
    dead = RedisCache(f"redis://127.0.0.1:{unused_port()}/0", {"OPTIONS": {"socket_connect_timeout": 1}})
    client = dead._cache.get_client(write=True)
    with pytest.raises(CACHE_UNAVAILABLE):
        dead.get("anything")
    assert dead._cache.get_client(write=True) is client

    live = RedisCache(redis_url, {})
    live.set("back", "yes")
    live._cache.get_client(write=True).connection_pool.disconnect()  # as after Redis restarted
    assert live.get("back") == "yes"
    live.delete("back")
