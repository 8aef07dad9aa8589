#!/bin/bash
# The memory issue's measurement (#13) on an already trained home: no training, cheap arms first.
#
#   bench/exam_memory.sh HOME PORT [STAGE ...]
#
# Starts the embedded model (llama.cpp + SmolLM2-135M, one thread) on 127.0.0.1:PORT, then runs
# `cogloop exam run --arms STAGE` for each stage in turn (default: three stages,
#   plain,normalise,examples                        one call a task at most: a quick complete pass
#   plain,loop,nomemory,normalise,examples          the targets (loop / plain, memory on - off)
#   plain,sampling,plain@k                          resampling and its oracle, k calls each
# ), printing `cogloop exam show --run` after each. Memory-independent arms are cached, so a
# later stage reuses what an earlier one computed. Each run goes task by task in the exam's
# seeded order, so a stopped run is a fair sample. The model server is stopped at the end.
set -u
HOME_DIR=${1:?home}; PORT=${2:?port}; shift 2
STAGES=("$@")
[ ${#STAGES[@]} -eq 0 ] && STAGES=(plain,normalise,examples plain,loop,nomemory,normalise,examples plain,sampling,plain@k)
cd "$(dirname "$0")/.."
PY=.venv/bin/python
M=$($PY -c "from actors.llm._embedded import find_model; from ops.ground.config import Config; print(find_model(Config().embedded))")
$PY -m actors.llm._llamaserve --model "$M" --model_alias "$(basename "$M" .gguf)" --host 127.0.0.1 --port "$PORT" \
    --n_ctx 4096 --n_threads 1 --n_threads_batch 1 > "$HOME_DIR/llm-$PORT.log" 2>&1 &
LP=$!
trap 'kill $LP 2>/dev/null' EXIT
for _ in $(seq 90); do curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null && break; sleep 1; done
URL=http://127.0.0.1:$PORT/v1
for arms in "${STAGES[@]}"; do
    date -u; echo "== stage: $arms"
    $PY -m ops.cli exam run --home "$HOME_DIR" --llm-url "$URL" --arms "$arms"; echo "rc=$?"
    $PY -m ops.cli exam show --home "$HOME_DIR" | sed -n '/^exam run /,$p'
done
date -u
