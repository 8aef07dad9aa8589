"""Graphs: from counting neighbours to shortest weighted paths and topological order.

Graphs are adjacency dicts with string nodes, or edge lists, always plain literals.
"""

from __future__ import annotations

import random

from ._draft import Draft, draft

NODES = "abcdefgh"


def _adj(r: random.Random, n: int, p: float, directed: bool = False) -> dict[str, list[str]]:
    nodes = NODES[:n]
    g: dict[str, list[str]] = {v: [] for v in nodes}
    for i, u in enumerate(nodes):
        for v in nodes[i + 1:] if not directed else nodes:
            if u != v and r.random() < p:
                g[u].append(v)
                if not directed:
                    g[v].append(u)
    return {k: sorted(vs) for k, vs in g.items()}


def _dag(r: random.Random, n: int) -> dict[str, list[str]]:
    nodes = r.sample(NODES[:n], n)  # a random order, so alphabetical order is rarely a topological one
    g = {u: sorted(v for v in nodes[i + 1:] if r.random() < 0.35) for i, u in enumerate(nodes)}
    return dict(sorted(g.items()))


def _d1(rng: random.Random) -> Draft:
    return draft(rng, title="Count neighbours", entry_point="degree",
                 signature="degree(graph: dict[str, list[str]], node: str) -> int",
                 description="graph maps each node to the list of its neighbours. Return how many neighbours node has.",
                 reference="def degree(graph, node):\n    return len(graph[node])\n",
                 sample=lambda r: (lambda g: (g, r.choice(sorted(g))))(_adj(r, r.randint(2, 5), 0.5)),
                 edge=[({"a": []}, "a")])


def _d2(rng: random.Random) -> Draft:
    return draft(rng, title="Count edges", entry_point="count_edges",
                 signature="count_edges(edges: list[list[str]]) -> int",
                 description="edges is a list of [u, v] pairs. Return how many distinct nodes appear in it.",
                 reference="def count_edges(edges):\n    return len({v for e in edges for v in e})\n",
                 sample=lambda r: ([[r.choice(NODES[:5]), r.choice(NODES[:5])] for _ in range(r.randint(1, 4))],),
                 edge=[([],), ([["a", "a"]],)])


def _d3(rng: random.Random) -> Draft:
    return draft(rng, title="Build an adjacency list", entry_point="adjacency",
                 signature="adjacency(edges: list[list[str]]) -> dict[str, list[str]]",
                 description="edges is a list of undirected [u, v] pairs (u != v). Return a dict mapping every node to the sorted list of its distinct neighbours.",
                 reference=("def adjacency(edges):\n    g = {}\n    for u, v in edges:\n        g.setdefault(u, set()).add(v)\n"
                            "        g.setdefault(v, set()).add(u)\n    return {k: sorted(vs) for k, vs in g.items()}\n"),
                 sample=lambda r: ([list(r.sample(NODES[:5], 2)) for _ in range(r.randint(1, 5))],),
                 edge=[([],), ([["a", "b"], ["b", "a"]],)],
                 efficiency="args = ([[str(i), str(i + 1)] for i in range(40000)],)")


def _d4(rng: random.Random) -> Draft:
    return draft(rng, title="Is there a path", entry_point="has_path",
                 signature="has_path(graph: dict[str, list[str]], start: str, goal: str) -> bool",
                 description="graph maps each node to its neighbours (directed edges). Return True if goal can be reached from start (a node reaches itself).",
                 reference=("def has_path(graph, start, goal):\n    seen, stack = {start}, [start]\n    while stack:\n"
                            "        u = stack.pop()\n        if u == goal:\n            return True\n"
                            "        for v in graph.get(u, []):\n            if v not in seen:\n                seen.add(v)\n"
                            "                stack.append(v)\n    return False\n"),
                 sample=lambda r: (lambda g: (g, r.choice(sorted(g)), r.choice(sorted(g))))(_adj(r, r.randint(3, 6), 0.3, True)),
                 edge=[({"a": []}, "a", "a"), ({"a": ["b"], "b": []}, "b", "a")],
                 efficiency="args = ({str(i): [str(i + 1)] for i in range(50000)}, '0', '50000')")


def _d5(rng: random.Random) -> Draft:
    return draft(rng, title="Connected components", entry_point="components",
                 signature="components(graph: dict[str, list[str]]) -> int",
                 description="graph is undirected: it maps each node to its neighbours. Return the number of connected components.",
                 reference=("def components(graph):\n    seen, count = set(), 0\n    for s in graph:\n        if s in seen:\n"
                            "            continue\n        count += 1\n        seen.add(s)\n        stack = [s]\n        while stack:\n"
                            "            for v in graph[stack.pop()]:\n                if v not in seen:\n"
                            "                    seen.add(v)\n                    stack.append(v)\n    return count\n"),
                 sample=lambda r: (_adj(r, r.randint(2, 8), 0.25),), edge=[({},), ({"a": []},), ({"a": ["b"], "b": ["a"]},)],
                 efficiency="args = ({str(i): [str(i ^ 1)] for i in range(100000)},)")


def _d6(rng: random.Random) -> Draft:
    return draft(rng, title="Shortest path length", entry_point="shortest_path",
                 signature="shortest_path(graph: dict[str, list[str]], start: str, goal: str) -> int",
                 description="graph maps each node to its neighbours (directed edges). Return the fewest edges on a path from start to goal, or -1 if there is none (0 when start == goal).",
                 reference=("from collections import deque\n\n\ndef shortest_path(graph, start, goal):\n"
                            "    dist, q = {start: 0}, deque([start])\n    while q:\n        u = q.popleft()\n"
                            "        if u == goal:\n            return dist[u]\n        for v in graph.get(u, []):\n"
                            "            if v not in dist:\n                dist[v] = dist[u] + 1\n                q.append(v)\n"
                            "    return -1\n"),
                 sample=lambda r: (lambda g: (g, r.choice(sorted(g)), r.choice(sorted(g))))(_adj(r, r.randint(3, 7), 0.3, True)),
                 edge=[({"a": []}, "a", "a"), ({"a": ["b"], "b": []}, "b", "a")],
                 efficiency="args = ({str(i): [str(i + 1), str(i + 2)] for i in range(30000)}, '0', '29999')")


def _d7(rng: random.Random) -> Draft:
    return draft(rng, title="Detect a cycle", entry_point="has_cycle",
                 signature="has_cycle(graph: dict[str, list[str]]) -> bool",
                 description="graph maps each node to its successors (directed edges; every node is a key). Return True if the graph has a directed cycle.",
                 reference=("def has_cycle(graph):\n    state = {}\n    for s in graph:\n        if s in state:\n            continue\n"
                            "        state[s] = 1\n        stack = [(s, iter(graph[s]))]\n        while stack:\n"
                            "            u, it = stack[-1]\n            for v in it:\n                if state.get(v) == 1:\n"
                            "                    return True\n                if v not in state:\n                    state[v] = 1\n"
                            "                    stack.append((v, iter(graph[v])))\n                    break\n"
                            "            else:\n                state[u] = 2\n                stack.pop()\n    return False\n"),
                 sample=lambda r: (_adj(r, r.randint(2, 6), 0.2, True) if r.random() < 0.5 else _dag(r, r.randint(2, 6)),),
                 edge=[({},), ({"a": ["a"]},), ({"a": ["b"], "b": []},)],
                 efficiency="args = ({str(i): [str(i + 1)] for i in range(20000)} | {'20000': []},)")


def _d8(rng: random.Random) -> Draft:
    return draft(rng, title="Topological order", entry_point="topo_order",
                 signature="topo_order(graph: dict[str, list[str]]) -> list[str]",
                 description=("graph is a directed acyclic graph mapping every node to its successors. Return an order "
                              "of all nodes where each node comes before its successors; among nodes that are ready, "
                              "always take the alphabetically smallest first."),
                 reference=("import heapq\n\n\ndef topo_order(graph):\n    indeg = {u: 0 for u in graph}\n    for vs in graph.values():\n"
                            "        for v in vs:\n            indeg[v] += 1\n    ready = [u for u, d in indeg.items() if d == 0]\n"
                            "    heapq.heapify(ready)\n    out = []\n    while ready:\n        u = heapq.heappop(ready)\n"
                            "        out.append(u)\n        for v in graph[u]:\n            indeg[v] -= 1\n"
                            "            if indeg[v] == 0:\n                heapq.heappush(ready, v)\n    return out\n"),
                 sample=lambda r: (_dag(r, r.randint(2, 7)),), edge=[({},), ({"b": [], "a": []},)],
                 efficiency="args = ({f'{i:06d}': [f'{i + 1:06d}'] for i in range(20000)} | {'020000': []},)")


def _d9(rng: random.Random) -> Draft:
    return draft(rng, title="Cheapest path (Dijkstra)", entry_point="cheapest",
                 signature="cheapest(edges: list[list], start: str, goal: str) -> int",
                 description="edges is a list of directed [u, v, cost] with cost >= 0. Return the smallest total cost from start to goal, -1 if unreachable, 0 when start == goal.",
                 reference=("import heapq\n\n\ndef cheapest(edges, start, goal):\n    g = {}\n    for u, v, c in edges:\n"
                            "        g.setdefault(u, []).append((v, c))\n    dist, heap = {start: 0}, [(0, start)]\n"
                            "    while heap:\n        d, u = heapq.heappop(heap)\n        if u == goal:\n            return d\n"
                            "        if d > dist[u]:\n            continue\n        for v, c in g.get(u, []):\n"
                            "            if d + c < dist.get(v, float('inf')):\n                dist[v] = d + c\n"
                            "                heapq.heappush(heap, (d + c, v))\n    return -1\n"),
                 sample=lambda r: ([[r.choice(NODES[:5]), r.choice(NODES[:5]), r.randint(0, 9)] for _ in range(r.randint(2, 9))],
                                   r.choice(NODES[:5]), r.choice(NODES[:5])),
                 edge=[([], "a", "a"), ([], "a", "b"), ([["a", "b", 5], ["a", "c", 1], ["c", "b", 1]], "a", "b")],
                 efficiency="args = ([[str(i), str(i + 1), 1] for i in range(15000)] + [[str(i), str(i + 2), 3] for i in range(15000)], '0', '14999')")


def _d10(rng: random.Random) -> Draft:
    return draft(rng, title="Count islands", entry_point="islands",
                 signature="islands(grid: list[str]) -> int",
                 description="grid is a list of equal-length strings of '#' (land) and '.' (water). Return the number of islands: groups of land cells joined up, down, left or right.",
                 reference=("def islands(grid):\n    rows, cols = len(grid), len(grid[0]) if grid else 0\n    seen, count = set(), 0\n"
                            "    for r in range(rows):\n        for c in range(cols):\n            if grid[r][c] != '#' or (r, c) in seen:\n"
                            "                continue\n            count += 1\n            seen.add((r, c))\n            stack = [(r, c)]\n"
                            "            while stack:\n                y, x = stack.pop()\n"
                            "                for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):\n"
                            "                    if 0 <= ny < rows and 0 <= nx < cols and grid[ny][nx] == '#' and (ny, nx) not in seen:\n"
                            "                        seen.add((ny, nx))\n                        stack.append((ny, nx))\n    return count\n"),
                 sample=lambda r: (lambda w: (["".join(r.choice("#..") for _ in range(w)) for _ in range(r.randint(1, 5))],))(r.randint(1, 6)),
                 edge=[([],), (["."],), (["#"],), (["#.#", ".#.", "#.#"],)],
                 efficiency="args = (['#.' * 100 if i % 2 else '##' * 100 for i in range(200)],)")


LEVELS = [_d1, _d2, _d3, _d4, _d5, _d6, _d7, _d8, _d9, _d10]
