#!/usr/bin/env bash
# Runs a Kafka cluster of 1 to 3 KRaft nodes on 127.0.0.1, each node one deploy/kafka/start.sh in
# the background, until interrupted (Ctrl-C stops them all).
#
#   deploy/kafka/cluster.sh [NODES] [DATA_DIR] [FIRST_PORT]
#
# Node i (1..NODES) listens for clients on FIRST_PORT+i-1 (default 19092…) and for the other
# controllers on FIRST_PORT+100+i-1; its storage is DATA_DIR/node-i. Clients take
#   AIFI_KAFKA_BROKERS=127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
nodes="${1:-3}"
data="${2:-$here/../../.aifi/kafka-cluster}"
first="${3:-19092}"
if ! [[ "$nodes" =~ ^[1-3]$ ]]; then echo "NODES must be 1, 2 or 3, got $nodes" >&2; exit 2; fi
mkdir -p "$data"
if [ ! -f "$data/cluster-id" ]; then
  java -cp "$here/lib/*" kafka.tools.StorageTool random-uuid > "$data/cluster-id"
fi
voters=""
for i in $(seq 1 "$nodes"); do voters="${voters:+$voters,}$i@127.0.0.1:$((first + 100 + i - 1))"; done
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' INT TERM EXIT
for i in $(seq 1 "$nodes"); do
  KAFKA_NODE_ID="$i" KAFKA_VOTERS="$voters" KAFKA_CLUSTER_ID="$(cat "$data/cluster-id")" \
    "$here/start.sh" "$data/node-$i" "$((first + i - 1))" "$((first + 100 + i - 1))" &
  pids+=("$!")
done
brokers=""
for i in $(seq 1 "$nodes"); do brokers="${brokers:+$brokers,}127.0.0.1:$((first + i - 1))"; done
echo "Kafka: $nodes node(s); AIFI_KAFKA_BROKERS=$brokers"
wait
