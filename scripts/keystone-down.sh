#!/usr/bin/env bash
# keystone-down.sh -- stops the Keystone that scripts/keystone-setup.sh
# started (by the pid in its pid file, never by name). Its data stays in
# /var/lib/nucleon-keystone: keystone-setup.sh starts it again as it was.
#
#   scripts/keystone-down.sh [--purge]   --purge also deletes that directory
set -euo pipefail

STATE=${NUCLEON_KEYSTONE_DIR:-/var/lib/nucleon-keystone}
pidfile=$STATE/keystone.pid
purge=0
case ${1:-} in
  --purge) purge=1 ;;
  '') ;;
  *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
esac

pid=$(cat "$pidfile" 2>/dev/null || true)
if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "uwsgi.*$STATE/uwsgi.ini"; then
  echo "stopping Keystone (uwsgi master, pid $pid)"
  kill "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "keystone-down: pid $pid did not stop within 10 s" >&2
    exit 1
  fi
else
  echo "no Keystone started by keystone-setup.sh is running"
fi
rm -f "$pidfile"
if ((purge)); then
  echo "removing $STATE"
  rm -rf -- "$STATE"
fi
