#!/usr/bin/env bash
# Runs a single-node Apache Kafka (KRaft: broker and controller in one process) on 127.0.0.1,
# in the foreground, with a small heap. Used by developers, by the tests and by CI alike.
#
#   deploy/kafka/start.sh [DATA_DIR] [PORT] [CONTROLLER_PORT]
#
# The jars come from Maven Central (see pom.xml):
#   mvn -q -f deploy/kafka/pom.xml dependency:copy-dependencies
# The storage in DATA_DIR is formatted on the first start only.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${1:-${KAFKA_DATA_DIR:-$here/../../.aifi/kafka}}"
port="${2:-${KAFKA_PORT:-9092}}"
controller_port="${3:-${KAFKA_CONTROLLER_PORT:-9093}}"

if ! ls "$here"/lib/kafka_2.13-*.jar >/dev/null 2>&1; then
  echo "Kafka jars missing: run  mvn -q -f deploy/kafka/pom.xml dependency:copy-dependencies" >&2
  exit 2
fi
mkdir -p "$data"
cat > "$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controller_port}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${data}/logs
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
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

java_opts=(-Xmx512m -Xms256m -XX:+UseG1GC -Djava.awt.headless=true "-Dlog4j.configuration=file:$data/log4j.properties" -cp "$here/lib/*")
if [ ! -f "$data/logs/meta.properties" ]; then
  cluster_id="$(java "${java_opts[@]}" kafka.tools.StorageTool random-uuid)"
  java "${java_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$data/server.properties" >/dev/null
fi
exec java "${java_opts[@]}" kafka.Kafka "$data/server.properties"
