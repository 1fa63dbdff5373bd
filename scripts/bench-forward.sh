#!/usr/bin/env bash
# Forwarding to the user's app, measured from outside: `hooklab serve` (release) with or without
# --forward-to a small Node HTTP server standing in for the app, driven by `hooklab bench
# --target` in its own process. Prints the receiver's throughput and, with forwarding on, how
# long until every verified event's forward is stored.
# usage: scripts/bench-forward.sh on|off EVENTS   (after `cargo build --release -p hooklab-cli`;
# needs node, sqlite3 and bc)
set -u
MODE=$1; N=$2
BIN="${CARGO_TARGET_DIR:-$(dirname "$0")/../target}/release/hooklab"
D=$(mktemp -d)
SECRET="whsec_$(head -c 24 /dev/urandom | base64)"  # a throwaway one, for this run only
node -e "let n=0;require('http').createServer((q,s)=>{q.resume();q.on('end',()=>{n++;s.end('ok')})}).listen(18998)" &
APP=$!
EXTRA=""; [ "$MODE" = on ] && EXTRA="--forward-to http://127.0.0.1:18998/hook"
"$BIN" --db $D/db.sqlite --config $D/cfg.json --secret $SECRET serve --port 18999 $EXTRA > $D/serve.log 2>&1 &
PID=$!
sleep 1.5
T0=$(date +%s.%N)
OUT=$("$BIN" --config $D/cfg.json --secret $SECRET bench --target http://127.0.0.1:18999/api/webhooks/clerk --check-db $D/db.sqlite --events $N --report-every $N 2>&1)
T1=$(date +%s.%N)
echo "$MODE: $(echo "$OUT" | grep -E "^ *(total|all|[0-9])" | tail -1) $(echo "$OUT" | grep -o "wrong: [0-9]*")"
if [ "$MODE" = on ]; then
  WANT=$(sqlite3 $D/db.sqlite "SELECT count(*) FROM events WHERE verification = 'verified' AND status BETWEEN 200 AND 299")
  for i in $(seq 1 600); do
    C=$(sqlite3 $D/db.sqlite "SELECT count(*) FROM forwards" 2>/dev/null || echo 0)
    [ "$C" -ge "$WANT" ] && break
    sleep 0.1
  done
  T2=$(date +%s.%N)
  SPAN=$(sqlite3 $D/db.sqlite "SELECT (max(at) - min(at)) / 1000.0 FROM forwards")
  echo "  forwards: $C of $WANT verified events; the last stored $(echo "$T2 - $T0" | bc) s after the first request (load $(echo "$T1 - $T0" | bc) s; first to last forward $SPAN s); statuses: $(sqlite3 $D/db.sqlite "SELECT group_concat(status || ':' || n) FROM (SELECT status, count(*) n FROM forwards GROUP BY status)")"
fi
kill -INT $PID; wait $PID 2>/dev/null; kill $APP
rm -rf $D
