"""Strongly connected components of small directed graphs (private helper of ``bt``).

:func:`count_strong_components` is an iterative Tarjan in pure Python (numpy only);
:func:`count_strong_components_sparse` uses ``scipy.sparse.csgraph``, imported on call.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]


def count_strong_components(n: int, rows: IntArray, cols: IntArray) -> int:
    """Strongly connected components of the graph with edges rows[k] → cols[k] (Tarjan).

    Iterative (no recursion limit), O(n + edges) in pure Python: for a few hundred items
    it is faster than importing ``scipy.sparse.csgraph``.
    """
    order = np.argsort(rows, kind="stable")
    starts = np.searchsorted(rows[order], np.arange(n + 1)).tolist()
    targets = cols[order].tolist()
    index = [-1] * n  # discovery order; -1 = not visited yet
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    count = counter = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        work = [(root, starts[root])]  # (node, position of its next out-edge)
        while work:
            v, pos = work[-1]
            if pos < starts[v + 1]:
                work[-1] = (v, pos + 1)
                w = targets[pos]
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, starts[w]))
                elif on_stack[w]:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:  # v roots a component: pop it
                count += 1
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    if w == v:
                        break
    return count


def count_strong_components_sparse(n: int, rows: IntArray, cols: IntArray) -> int:
    """As :func:`count_strong_components`, with ``scipy.sparse.csgraph`` (for large n)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    graph = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    count, _ = connected_components(graph, directed=True, connection="strong")
    return int(count)
