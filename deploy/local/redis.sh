#!/usr/bin/env bash
# Redis (Debian's redis-server, installed when missing) for local runs and tests.
#   redis.sh start|stop|kill|status|flush
# Settings (env): REDIS_PORT (6379), REDIS_DIR (state: pid, log, data; default
# <repo>/.clickwise/redis-<port>), REDIS_PERSIST (1 = append-only file in REDIS_DIR, fsync every
# second, kept across stop/start: what `clickwise up` runs, as any production Redis would; default
# off for the test suite's throwaway instances).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
port=${REDIS_PORT:-6379}
dir=${REDIS_DIR:-$repo/.clickwise/redis-$port}
pidfile="$dir/redis.pid"
logfile="$dir/redis.log"

source "$here/apt.sh"

say() { printf 'redis: %s\n' "$*" >&2; }

running_pid() {
  [[ -f $pidfile ]] || return 1
  local pid
  pid=$(<"$pidfile")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

ensure_installed() { apt_ensure redis-server redis-server; }

ping() { redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; }

start() {
  ensure_installed
  if pid=$(running_pid); then
    # Started before persistence was asked for: turn the append-only file on in place.
    if [[ ${REDIS_PERSIST:-0} == 1 ]] && redis-cli -p "$port" config get appendonly | grep -qx no; then
      redis-cli -p "$port" config set appendonly yes >/dev/null && say "append-only file turned on"
    fi
    say "already running (pid $pid, port $port)"
    return 0
  fi
  mkdir -p "$dir"
  local persist=(--save '' --appendonly no)
  [[ ${REDIS_PERSIST:-0} == 1 ]] && persist=(--save '' --appendonly yes --appendfsync everysec)
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" "${persist[@]}" \
    --daemonize yes --pidfile "$pidfile" --logfile "$logfile" --maxmemory-policy noeviction
  for _ in $(seq 1 200); do
    ping && { say "serving on 127.0.0.1:$port (pid $(<"$pidfile"))"; return 0; }
    sleep 0.05
  done
  say "not answering PING after 10s"
  tail -n 20 "$logfile" >&2 || true
  exit 1
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$pidfile"
    say "not running"
    return 0
  fi
  # No RDB save points are set, so SHUTDOWN writes nothing unless the append-only file is on (then
  # it is flushed and fsynced first).
  redis-cli -p "$port" shutdown >/dev/null 2>&1 || kill -TERM "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  rm -f "$pidfile"
  say "stopped"
}

crash() {
  local pid
  pid=$(running_pid) || { say "not running"; return 0; }
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  say "killed pid $pid"
}

status() {
  local pid
  if pid=$(running_pid) && ping; then
    echo "redis running pid=$pid port=$port dir=$dir"
  elif [[ -f $pidfile ]]; then
    echo "redis down (crashed: pid file left, process gone) port=$port dir=$dir"
    return 3
  else
    echo "redis stopped port=$port dir=$dir"
    return 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  kill) crash ;;
  status) status ;;
  flush) redis-cli -p "$port" flushall >/dev/null && say "flushed" ;;
  *) echo "usage: redis.sh start|stop|kill|status|flush" >&2; exit 2 ;;
esac
