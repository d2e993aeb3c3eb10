"""The project's Redis cache backend: Django's, keeping one client per pool."""

from django.core.cache import caches

from apps.core.cache import RedisCache


def test_the_cache_keeps_one_client_and_works() -> None:
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=False) is client  # one server: reads and writes share it
    cache.set("cache-test", [1.5, 2.5], 30)
    assert cache.get("cache-test") == [1.5, 2.5]
    assert cache.add("cache-test-count", 0, 30) and cache.incr("cache-test-count") == 1
    assert cache._cache.get_client(write=True) is client
    cache.delete_many(["cache-test", "cache-test-count"])
    assert cache.get("cache-test") is None
