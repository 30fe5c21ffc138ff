"""Comparison designs: round robin, balanced budgeted, and boundary schedules.

Every design returns :class:`PairRequest` objects in schedule order, with
slot order (who is essay A) balanced per essay and deterministic per seed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from eng5_runner.engine.records import PairRequest
from eng5_runner.errors import ConfigError
from eng5_runner.settings.models import PairingSettings


def _numbered(pairs: list[tuple[str, str, int]]) -> list[PairRequest]:
    return [
        PairRequest(comparison_id=f"c{index:05d}", a_id=a, b_id=b, iteration=it)
        for index, (a, b, it) in enumerate(pairs)
    ]


def round_robin(ids: Sequence[str], *, seed: int = 0, repeats: int = 1) -> list[PairRequest]:
    """Every unordered pair once per repeat; repeats alternate slot order.

    Pair (i, j) with i < j in a seeded permutation puts i in slot A when i + j
    is odd, so every essay is in slot A for half of its comparisons (± 1).
    """
    order = list(ids)
    random.Random(seed).shuffle(order)
    base: list[tuple[str, str]] = []
    for i in range(len(order)):
        for j in range(i + 1, len(order)):
            a, b = (order[i], order[j]) if (i + j) % 2 else (order[j], order[i])
            base.append((a, b))
    random.Random(seed + 1).shuffle(base)
    pairs: list[tuple[str, str, int]] = []
    for rep in range(repeats):
        pairs += [((a, b) if rep % 2 == 0 else (b, a)) + (rep,) for a, b in base]
    return _numbered(pairs)


RANDOM_RINGS_MIN = 64
"""From this many essays on, :func:`balanced` joins random rings instead of offsets."""


def balanced(
    ids: Sequence[str], *, per_essay: int, seed: int = 0, repeats: int = 1
) -> list[PairRequest]:
    """A connected budgeted design: each essay in ``per_essay`` comparisons, no pair twice.

    Small sets (< :data:`RANDOM_RINGS_MIN`): a circulant, offsets of a seeded ring
    (offset 1 makes the graph connected, further random offsets add degree 2 each, offset
    n/2 adds 1 when n is even). Larger sets: the union of ``per_essay // 2`` seeded random
    rings (plus a random perfect matching when ``per_essay`` is odd and n even). A
    circulant's comparison graph mixes ever more slowly as n grows, which makes the
    Bradley–Terry standard errors cost O(n³) (``stats.bt``); random rings form an
    expander, for which they cost O(comparisons). Either way each ring puts every essay
    once in slot A and once in slot B. With ``repeats`` = k every pair is judged k times,
    slot order alternating (as in round robin).
    """
    n = len(ids)
    if n >= RANDOM_RINGS_MIN:
        rings = _random_rings(list(ids), min(per_essay, n - 1), random.Random(seed))
        if rings is not None:
            return _numbered(_repeated(rings, repeats))
    if n < 2:
        return []
    max_degree = n - 1
    per_essay = min(per_essay, max_degree)
    rng = random.Random(seed)
    order = list(ids)
    rng.shuffle(order)
    half = n // 2
    offsets = [d for d in range(2, (n + 1) // 2)]
    rng.shuffle(offsets)
    chosen = [1] if n > 2 else []
    degree = 2 if n > 2 else 0
    for d in offsets:
        if degree + 2 > per_essay:
            break
        chosen.append(d)
        degree += 2
    pairs: list[tuple[str, str, int]] = []
    for d in chosen:
        pairs += [(order[i], order[(i + d) % n], 0) for i in range(n)]
    if degree < per_essay and n % 2 == 0:
        pairs += [
            ((order[i], order[i + half]) if i % 2 == 0 else (order[i + half], order[i])) + (0,)
            for i in range(half)
        ]
    rng.shuffle(pairs)
    return _numbered(_repeated(pairs, repeats))


def _repeated(pairs: list[tuple[str, str, int]], repeats: int) -> list[tuple[str, str, int]]:
    """Every pair ``repeats`` times, slot order alternating, the repeat as iteration."""
    out: list[tuple[str, str, int]] = []
    for rep in range(repeats):
        out += [((a, b) if rep % 2 == 0 else (b, a)) + (rep,) for a, b, _ in pairs]
    return out


def _random_rings(
    ids: list[str], per_essay: int, rng: random.Random
) -> list[tuple[str, str, int]] | None:
    """Random rings without a repeated pair (None if repairs fail: use the circulant)."""
    n = len(ids)
    used: set[frozenset[str]] = set()
    pairs: list[tuple[str, str, int]] = []
    for _ in range(per_essay // 2):
        order = _without_repeats(ids, used, rng, ring=True)
        if order is None:
            return None
        ring = [(order[i], order[(i + 1) % n]) for i in range(n)]
        used.update(frozenset(p) for p in ring)
        pairs += [(a, b, 0) for a, b in ring]
    if per_essay % 2 and n % 2 == 0:
        order = _without_repeats(ids, used, rng, ring=False)
        if order is None:
            return None
        pairs += [
            ((order[i], order[i + 1]) if (i // 2) % 2 == 0 else (order[i + 1], order[i])) + (0,)
            for i in range(0, n, 2)
        ]
    rng.shuffle(pairs)
    return pairs


def _without_repeats(
    ids: list[str], used: set[frozenset[str]], rng: random.Random, *, ring: bool
) -> list[str] | None:
    """A shuffled order whose ring (or consecutive matching) repeats no used pair."""
    n = len(ids)
    order = list(ids)
    rng.shuffle(order)
    links = range(n) if ring else range(0, n, 2)
    for _ in range(200):
        bad = [i for i in links if frozenset((order[i], order[(i + 1) % n])) in used]
        if not bad:
            return order
        for i in bad:  # move the clashing partner elsewhere, then look again
            j, k = (i + 1) % n, rng.randrange(n)
            order[j], order[k] = order[k], order[j]
    return None


def design_for(ids: Sequence[str], pairing: PairingSettings) -> list[PairRequest]:
    """The schedule the pairing settings ask for."""
    if pairing.design == "round_robin":
        return round_robin(ids, seed=pairing.seed, repeats=pairing.repeats)
    if pairing.comparisons_per_essay is None:
        raise ConfigError(
            "pairing.comparisons_per_essay is required for the balanced design",
            hint="set pairing.comparisons_per_essay=<n>",
        )
    return balanced(
        ids, per_essay=pairing.comparisons_per_essay, seed=pairing.seed, repeats=pairing.repeats
    )


def boundary_schedule(pairs: Sequence[tuple[str, str]], iterations: int) -> list[PairRequest]:
    """Each (higher, lower) pair × iterations in both orders, higher in A first."""
    schedule: list[tuple[str, str, int]] = []
    for higher, lower in pairs:
        for it in range(iterations):
            schedule.append((higher, lower, it))
            schedule.append((lower, higher, it))
    return _numbered(schedule)
