"""api/ratelimit.py: a sliding window per client, on a fake clock."""

from api.ratelimit import SlidingWindowLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_the_limit_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(3, clock)
    assert [limiter.acquire("a") for _ in range(3)] == [None, None, None]
    clock.now += 20
    assert limiter.acquire("a") == 40  # the first request leaves the window at t+60


def test_the_window_slides_instead_of_resetting() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(2, clock)
    limiter.acquire("a")
    clock.now += 30
    limiter.acquire("a")
    clock.now += 31  # the first request has left the window, the second has not
    assert limiter.acquire("a") is None
    assert limiter.acquire("a") is not None


def test_clients_are_counted_separately_and_zero_means_off() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(1, clock)
    assert limiter.acquire("a") is None
    assert limiter.acquire("a") is not None
    assert limiter.acquire("b") is None
    off = SlidingWindowLimiter(0, clock)
    assert all(off.acquire("a") is None for _ in range(1000))
