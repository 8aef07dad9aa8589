#!/bin/bash
# The memory issue's measurement (#13) on an already trained home: no training, cheap arms first.
#
#   bench/exam_memory.sh HOME PORT [ARMS]
#
# Starts the embedded model (llama.cpp + SmolLM2-135M, one thread) on 127.0.0.1:PORT, then
#   1. cogloop exam run --arms plain,normalise,examples    (plain is cached; examples asks the
#      model only where the archive holds a task that reads alike: a quick complete pass)
#   2. cogloop exam run --arms ARMS (default plain,loop,nomemory,normalise,examples,sampling,plain@k;
#      normalise and plain come from the cache of 1), task by task in the exam's seeded order,
#      so a stopped run is a fair sample
# and prints `cogloop exam show` after each. The model server is stopped at the end.
set -u
HOME_DIR=${1:?home}; PORT=${2:?port}
ARMS=${3:-plain,loop,nomemory,normalise,examples,sampling,plain@k}
cd "$(dirname "$0")/.."
PY=.venv/bin/python
M=$($PY -c "from actors.llm._embedded import find_model; from ops.ground.config import Config; print(find_model(Config().embedded))")
$PY -m actors.llm._llamaserve --model "$M" --model_alias "$(basename "$M" .gguf)" --host 127.0.0.1 --port "$PORT" \
    --n_ctx 4096 --n_threads 1 --n_threads_batch 1 > "$HOME_DIR/llm-$PORT.log" 2>&1 &
LP=$!
trap 'kill $LP 2>/dev/null' EXIT
for _ in $(seq 90); do curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null && break; sleep 1; done
URL=http://127.0.0.1:$PORT/v1
date -u; echo "== stage 1: plain,normalise,examples"
$PY -m ops.cli exam run --home "$HOME_DIR" --llm-url "$URL" --arms plain,normalise,examples; echo "rc=$?"
$PY -m ops.cli exam show --home "$HOME_DIR"
date -u; echo "== stage 2: $ARMS"
$PY -m ops.cli exam run --home "$HOME_DIR" --llm-url "$URL" --arms "$ARMS"; echo "rc=$?"
$PY -m ops.cli exam show --home "$HOME_DIR"
date -u
