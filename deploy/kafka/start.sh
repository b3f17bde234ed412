#!/usr/bin/env bash
# Runs one Apache Kafka node (KRaft: broker and controller in one process) on 127.0.0.1,
# in the foreground, with a small heap. Used by developers, by the tests and by CI alike.
#
#   deploy/kafka/start.sh [DATA_DIR] [PORT] [CONTROLLER_PORT]
#
# Alone it is a single-node Kafka. As one node of a cluster of up to three (deploy/kafka/cluster.sh
# starts them all), give each node the same voters and cluster id and its own id:
#   KAFKA_NODE_ID=2 KAFKA_VOTERS=1@127.0.0.1:19093,2@127.0.0.1:19094,3@127.0.0.1:19095 \
#   KAFKA_CLUSTER_ID=<from: java -cp 'deploy/kafka/lib/*' kafka.tools.StorageTool random-uuid> \
#   deploy/kafka/start.sh DATA_DIR_2 19092 19094
# With three nodes every topic has three replicas and takes a write once two have it
# (min.insync.replicas 2, with acks=all producers), so one node may be down at a time.
#
# The jars come from Maven Central (see pom.xml):
#   mvn -q -f deploy/kafka/pom.xml dependency:copy-dependencies
# The storage in DATA_DIR is formatted on the first start only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${1:-${KAFKA_DATA_DIR:-$here/../../.aifi/kafka}}"
port="${2:-${KAFKA_PORT:-9092}}"
controller_port="${3:-${KAFKA_CONTROLLER_PORT:-9093}}"
node_id="${KAFKA_NODE_ID:-1}"
voters="${KAFKA_VOTERS:-${node_id}@127.0.0.1:${controller_port}}"
nodes="$(tr ',' '\n' <<<"$voters" | grep -c .)"
if [ "$nodes" -gt 3 ]; then echo "KAFKA_VOTERS: at most three nodes, got $nodes" >&2; exit 2; fi
if ! grep -q "\(^\|,\)${node_id}@127.0.0.1:${controller_port}\(,\|$\)" <<<"$voters"; then
  echo "KAFKA_VOTERS ($voters) does not name this node ($node_id@127.0.0.1:$controller_port)" >&2; exit 2
fi
min_isr=$(( nodes < 2 ? 1 : 2 ))

if ! ls "$here"/lib/kafka_2.13-*.jar >/dev/null 2>&1; then
  echo "Kafka jars missing: run  mvn -q -f deploy/kafka/pom.xml dependency:copy-dependencies" >&2
  exit 2
fi
mkdir -p "$data"
cat > "$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=${node_id}
controller.quorum.voters=${voters}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${data}/logs
num.partitions=3
default.replication.factor=${nodes}
min.insync.replicas=${min_isr}
offsets.topic.replication.factor=${nodes}
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=${nodes}
transaction.state.log.min.isr=${min_isr}
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
cat > "$data/log4j.properties" <<'PROPS'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
PROPS

java_opts=("-Xmx${KAFKA_HEAP:-512m}" -Xms128m -XX:+UseG1GC -Djava.awt.headless=true "-Dlog4j.configuration=file:$data/log4j.properties" -cp "$here/lib/*")
# More JVM options, space-separated (the tests' short-lived brokers compile less: testing/kafka.ts).
read -ra extra_opts <<<"${KAFKA_JVM_OPTS:-}"
java_opts+=("${extra_opts[@]}")
if [ ! -f "$data/logs/meta.properties" ]; then
  cluster_id="${KAFKA_CLUSTER_ID:-$(java "${java_opts[@]}" kafka.tools.StorageTool random-uuid)}"
  java "${java_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$data/server.properties" >/dev/null
fi
exec java "${java_opts[@]}" kafka.Kafka "$data/server.properties"
