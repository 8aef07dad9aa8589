#!/bin/sh
# A/B in turns: `bench/ab.sh BEFORE_TREE AFTER_TREE ROUNDS CMD...` runs CMD (a bench script path
# relative to a tree, and its arguments) in each tree in turn, ROUNDS times, so both see the same
# load on a shared box. The bench scripts themselves are taken from AFTER_TREE (the instrument),
# copied into BEFORE_TREE's bench/ first; the code measured is each tree's own.
set -e
before=$1; after=$2; rounds=$3; shift 3
cp "$after"/bench/*.py "$before"/bench/
i=1
while [ "$i" -le "$rounds" ]; do
    for tree in "$before" "$after"; do
        echo "=== round $i: $tree ($(git -C "$tree" rev-parse --short HEAD 2>/dev/null || echo export)) load $(cut -d' ' -f1-3 /proc/loadavg)"
        (cd "$tree" && "$@")
    done
    i=$((i + 1))
done
