"""Sorters: who is furthest below their fair share.

A sorter is the allocator's policy, kept apart from its mechanism as in Mesos's DRF sorter.
Its clients are roles (for the role sorter) or the frameworks of one role. The allocator tells
it what each client was given (`allocated`) or gave back (`unallocated`) and how big the
cluster is (`add_total`, `remove_total`); the sorter answers `sort()`: the active clients,
the one that should be offered resources first at the front.

Every sorter keeps the weighted dominant share of each client, as DRF defines it: for each
scalar resource, the client's allocation divided by the cluster total; the largest of these
is the dominant share, and it is divided by the client's weight. Shares are kept up to date
one client at a time: giving one client resources recomputes that client only. A change of
the cluster total marks every share stale; each is recomputed once, when next asked for.

What differs is the order (`key`):

- `DrfSorter`: lowest weighted dominant share first, ties by name.
- `PrioritySorter`: strict priority, the Mesos paper's second policy: higher weight always
  first, DRF among clients of equal weight.
- `RandomSorter`: Mesos's `random` sorter: a weighted random shuffle, where a client's chance
  of being first is proportional to its weight. Each `sort()` draws a fresh shuffle;
  between two sorts, a client that is given resources draws a new place (exponential races:
  every client holds a clock drawn from an exponential distribution with rate = weight; the
  earliest clock goes first and, once served, draws its next clock from where it stood).

    >>> s = make_sorter("drf")
    >>> s.add_total(Resources.parse("cpus:10;mem:100"))
    >>> s.add("a"); s.add("b")
    >>> s.allocated("a", Resources.parse("cpus:2"))
    >>> s.sort(), s.share("a")
    (['b', 'a'], (0.2, 'cpus'))
"""

from __future__ import annotations

import math
import random

from daemons.common.resources import Resources

_PRECISION = 1000  # the same fixed point as Resources: three decimals


def _fix(value: float) -> float:
    return round(value * _PRECISION) / _PRECISION


def _check_weight(weight: float) -> float:
    weight = float(weight)
    if not math.isfinite(weight) or weight <= 0:
        raise ValueError(f"weight must be a positive finite number, got {weight!r}")
    return weight


class _Client:
    __slots__ = ("name", "weight", "active", "alloc", "dshare", "share", "dominant", "stamp")

    def __init__(self, name: str, weight: float) -> None:
        self.name = name
        self.weight = weight
        self.active = True
        self.alloc: dict[str, float] = {}
        self.dshare = 0.0  # dominant share, unweighted
        self.share = 0.0  # dshare / weight
        self.dominant = ""
        self.stamp = -1  # the total's version the share was computed against; -1: stale


class Sorter:
    """The bookkeeping every sorter shares: clients, their allocations and weighted shares.

    Subclasses choose the order by overriding `key`.
    """

    def __init__(self) -> None:
        self._clients: dict[str, _Client] = {}
        self._total: dict[str, float] = {}
        self._stamp = 0  # bumped on every change of the total
        self.computations = 0  # how many shares were (re)computed; for tests and profiling

    # ------------------------------------------------------------------------- clients

    def add(self, client: str, weight: float = 1.0) -> None:
        if client in self._clients:
            raise ValueError(f"sorter client {client!r} is already added")
        self._clients[client] = _Client(client, _check_weight(weight))

    def remove(self, client: str) -> None:
        self._get(client)
        del self._clients[client]

    def activate(self, client: str) -> None:
        self._get(client).active = True

    def deactivate(self, client: str) -> None:
        """The client keeps its allocation but is left out of `sort()`."""
        self._get(client).active = False

    def update_weight(self, client: str, weight: float) -> None:
        c = self._get(client)
        c.weight = _check_weight(weight)
        c.stamp = -1

    def __contains__(self, client: object) -> bool:
        return client in self._clients

    def __len__(self) -> int:
        return len(self._clients)

    def clients(self) -> list[str]:
        """Every client, active or not, in the order they were added."""
        return list(self._clients)

    def is_active(self, client: str) -> bool:
        return self._get(client).active

    def weight(self, client: str) -> float:
        return self._get(client).weight

    # ----------------------------------------------------------------------- resources

    def allocated(self, client: str, resources: Resources) -> None:
        """`client` was given `resources`: its share grows (only its share is recomputed)."""
        try:
            c = self._clients[client]
        except KeyError:
            raise KeyError(f"unknown sorter client {client!r}") from None
        alloc = c.alloc
        scalars = resources.scalars
        for name, value in scalars.items():
            alloc[name] = round((alloc.get(name, 0.0) + value) * _PRECISION) / _PRECISION
        if c.stamp != self._stamp:
            self._compute(c)
            return
        # The share can only grow, and only through the resources just given.
        total = self._total
        best = c.dshare
        dominant = c.dominant
        for name in scalars:
            t = total.get(name)
            if t:
                s = alloc[name] / t
                if s > best or (s == best and (not dominant or name < dominant)):
                    best, dominant = s, name
        c.dshare = best
        c.share = best / c.weight
        c.dominant = dominant
        self.computations += 1

    def unallocated(self, client: str, resources: Resources) -> None:
        """`client` gave `resources` back (never below zero)."""
        c = self._get(client)
        alloc = c.alloc
        for name, value in resources.scalars.items():
            left = _fix(alloc.get(name, 0.0) - value)
            if left > 0:
                alloc[name] = left
            else:
                alloc.pop(name, None)
        self._compute(c)

    def allocation(self, client: str) -> dict[str, float]:
        """The scalars `client` holds (a copy)."""
        return dict(self._get(client).alloc)

    def add_total(self, resources: Resources) -> None:
        total = self._total
        for name, value in resources.scalars.items():
            total[name] = _fix(total.get(name, 0.0) + value)
        self._stamp += 1

    def remove_total(self, resources: Resources) -> None:
        total = self._total
        for name, value in resources.scalars.items():
            left = _fix(total.get(name, 0.0) - value)
            if left > 0:
                total[name] = left
            else:
                total.pop(name, None)
        self._stamp += 1

    def total(self) -> dict[str, float]:
        return dict(self._total)

    # -------------------------------------------------------------------------- shares

    def share(self, client: str) -> tuple[float, str]:
        """The weighted dominant share and the dominant resource's name ("" if none)."""
        c = self._get(client)
        if c.stamp != self._stamp:
            self._compute(c)
        return c.share, c.dominant

    def dominant_share(self, client: str) -> float:
        """The unweighted dominant share (what DRF's tables print beside the weight)."""
        c = self._get(client)
        if c.stamp != self._stamp:
            self._compute(c)
        return c.dshare

    def key(self, client: str) -> tuple:
        """What `sort()` orders by (lowest first); the last item is always the name."""
        raise NotImplementedError

    def sort(self) -> list[str]:
        """Active clients, the one to offer to first at the front; ties broken by name."""
        key = self.key
        return sorted((c.name for c in self._clients.values() if c.active), key=key)

    # ------------------------------------------------------------------------ internals

    def _get(self, client: str) -> _Client:
        try:
            return self._clients[client]
        except KeyError:
            raise KeyError(f"unknown sorter client {client!r}") from None

    def _compute(self, c: _Client) -> None:
        total = self._total
        best = 0.0
        dominant = ""
        for name, value in c.alloc.items():
            t = total.get(name)
            if t:
                s = value / t
                if s > best or (s == best and dominant and name < dominant):
                    best, dominant = s, name
        c.dshare = best
        c.share = best / c.weight
        c.dominant = dominant
        c.stamp = self._stamp
        self.computations += 1


class DrfSorter(Sorter):
    """Weighted Dominant Resource Fairness: lowest weighted dominant share first."""

    def key(self, client: str) -> tuple[float, str]:
        c = self._clients[client]
        if c.stamp != self._stamp:
            self._compute(c)
        return (c.share, client)


class PrioritySorter(Sorter):
    """Strict priority: a higher weight always goes first; DRF among equal weights."""

    def key(self, client: str) -> tuple[float, float, str]:
        c = self._clients[client]
        if c.stamp != self._stamp:
            self._compute(c)
        return (-c.weight, c.share, client)


class RandomSorter(Sorter):
    """A weighted random order (Mesos's `random` sorter); seed it for a repeatable order."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__()
        self._rng = random.Random(seed)
        self._clock: dict[str, float] = {}
        self._now = 0.0

    def add(self, client: str, weight: float = 1.0) -> None:
        super().add(client, weight)
        self._clock[client] = self._now + self._rng.expovariate(self._clients[client].weight)

    def remove(self, client: str) -> None:
        super().remove(client)
        del self._clock[client]

    def update_weight(self, client: str, weight: float) -> None:
        super().update_weight(client, weight)
        self._clock[client] = self._now + self._rng.expovariate(self._clients[client].weight)

    def allocated(self, client: str, resources: Resources) -> None:
        super().allocated(client, resources)
        # The served client leaves the race from where its clock stood and draws again.
        now = self._clock[client]
        if now > self._now:
            self._now = now
        self._clock[client] = now + self._rng.expovariate(self._clients[client].weight)

    def key(self, client: str) -> tuple[float, str]:
        return (self._clock[client], client)

    def sort(self) -> list[str]:
        """A fresh weighted shuffle of the active clients."""
        rng = self._rng
        self._now = 0.0
        for name, c in self._clients.items():
            self._clock[name] = rng.expovariate(c.weight)
        return super().sort()


SORTERS: dict[str, type[Sorter]] = {
    "drf": DrfSorter,
    "priority": PrioritySorter,
    "random": RandomSorter,
}


def make_sorter(kind: str, seed: int | None = None) -> Sorter:
    """A new sorter of `kind`: "drf", "priority" or "random" (`seed` is for "random")."""
    if kind == "random":
        return RandomSorter(seed)
    try:
        return SORTERS[kind]()
    except KeyError:
        raise ValueError(
            f"unknown sorter {kind!r}: expected one of {', '.join(sorted(SORTERS))}"
        ) from None
