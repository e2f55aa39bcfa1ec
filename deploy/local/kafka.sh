#!/usr/bin/env bash
# Apache Kafka (KRaft, one combined broker+controller node) for local runs and tests.
#   kafka.sh fetch|start|stop|kill|status|log
# Settings (env): KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (KAFKA_PORT+1), KAFKA_DIR (state: data,
# config, pid, log; default <repo>/.clickwise/kafka-<port>), KAFKA_HEAP (768m),
# CLICKWISE_CACHE (jar cache outside the clone; default ~/.cache/clickwise).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
version=4.3.1
cache=${CLICKWISE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clickwise}
libs="$cache/kafka-$version/libs"
port=${KAFKA_PORT:-9092}
cport=${KAFKA_CONTROLLER_PORT:-$((port + 1))}
dir=${KAFKA_DIR:-$repo/.clickwise/kafka-$port}
pidfile="$dir/kafka.pid"
logfile="$dir/kafka.log"

say() { printf 'kafka: %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running_pid() {
  [[ -f $pidfile ]] || return 1
  local pid
  pid=$(<"$pidfile")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

fetch() {
  if [[ -f "$libs/.verified" ]]; then return 0; fi
  command -v java >/dev/null || { say "java is required (Java 17+)"; exit 1; }
  command -v mvn >/dev/null || { say "installing maven"; apt-get install -y -qq maven >/dev/null; }
  say "resolving Apache Kafka $version from Maven Central into $libs"
  rm -rf "$libs" && mkdir -p "$libs"
  # -C: fail when a download does not match the checksum Maven Central publishes beside it.
  mvn -q -B -C -f "$here/kafka.pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime >&2
  # Then check every jar against the pinned list, so a changed artifact never runs unnoticed.
  (cd "$libs" && sha256sum --quiet -c "$here/kafka-$version.sha256") >&2 || {
    say "checksum mismatch against deploy/local/kafka-$version.sha256"
    exit 1
  }
  local expected actual
  expected=$(wc -l <"$here/kafka-$version.sha256")
  actual=$(find "$libs" -name '*.jar' | wc -l)
  [[ $expected -eq $actual ]] || { say "expected $expected jars, found $actual"; exit 1; }
  touch "$libs/.verified"
}

write_config() {
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.check.interval.ms=60000
log.cleaner.backoff.ms=1000
PROPS
}

start() {
  if pid=$(running_pid); then
    say "already running (pid $pid, port $port)"
    return 0
  fi
  fetch
  if port_open "$port"; then say "port $port is taken by another process"; exit 1; fi
  if port_open "$cport"; then say "controller port $cport (KAFKA_CONTROLLER_PORT) is taken by another process"; exit 1; fi
  write_config
  local cp="$libs/*"
  local jvm=(java "-Xms${KAFKA_HEAP:-768m}" "-Xmx${KAFKA_HEAP:-768m}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true "-Dlog4j2.configurationFile=$here/log4j2.yaml"
    -cp "$cp")
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    local id
    id=$("${jvm[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    "${jvm[@]}" kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" --standalone >>"$logfile" 2>&1
  fi
  say "starting on 127.0.0.1:$port (state in $dir)"
  nohup "${jvm[@]}" kafka.Kafka "$dir/server.properties" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
  local pid=$! deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-90}))
  local mark
  mark=$(wc -l <"$logfile")
  until tail -n "+$((mark + 1))" "$logfile" | grep -q 'Kafka Server started' && port_open "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "exited during start-up; last log lines:"
      tail -n 30 "$logfile" >&2
      rm -f "$pidfile"
      exit 1
    fi
    if ((SECONDS > deadline)); then say "not serving after ${KAFKA_START_TIMEOUT:-90}s"; exit 1; fi
    sleep 0.2
  done
  say "serving on 127.0.0.1:$port (pid $pid)"
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$pidfile"
    say "not running"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "did not stop in 30s; killing"
    kill -KILL "$pid"
  fi
  rm -f "$pidfile"
  say "stopped"
}

# Simulates a crash: SIGKILL, no clean shutdown (the pid file stays, as after a real crash).
crash() {
  local pid
  pid=$(running_pid) || { say "not running"; return 0; }
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  say "killed pid $pid"
}

status() {
  local pid
  if pid=$(running_pid) && port_open "$port"; then
    echo "kafka running pid=$pid port=$port dir=$dir"
  elif [[ -f $pidfile ]]; then
    echo "kafka down (crashed: pid file left, process gone) port=$port dir=$dir"
    return 3
  else
    echo "kafka stopped port=$port dir=$dir"
    return 3
  fi
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  kill) crash ;;
  status) status ;;
  log) tail -n "${2:-50}" "$logfile" ;;
  *) echo "usage: kafka.sh fetch|start|stop|kill|status|log [N]" >&2; exit 2 ;;
esac
