"""What a cache outage looks like to the code that must carry on through one (the rate limits, the
report's files): what Django's RedisCache raises when Redis cannot be reached or does not answer in
time."""

import redis

CACHE_UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
