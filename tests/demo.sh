#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo command (README "See it work"): installs what is missing, builds, and
# tells the whole story of one shelf on a virtual clock, with nothing but
# loopback:
#   1. the household simulator (tests/agent/make-shelf) writes 45 days of raw
#      load-cell samples of four items, ending today, as the HX711s would have
#      read them, and a configuration with their calibrations;
#   2. a private mosquitto starts on a free loopback port; the device key
#      (pantryctl keygen) goes into the retailer's trust store, the retailer's
#      key (pantry-retailer keygen) into the agent's configuration;
#   3. pantry-retailer listens; pantry-agent replays the samples as fast as it
#      can: conditioning, the fixed-point forecast, the reorder policy, and each
#      reorder signed (JWS, EdDSA), stored, published, verified and printed by
#      the retailer, acknowledged with a signed "shipped", and fulfilled by the
#      refill that follows;
#   4. the retailer's verdict on the last order, checked again offline
#      (pantry-retailer verify), and the household's view: pantryctl status,
#      a forecast chart, the history.
# Everything it starts is stopped, and its folder removed, at the end.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# A package apt cannot install now (a mirror in the middle of a sync) stops
# nothing by itself: the build below says what it lacks, if anything.
if ! packaging/install-deps.sh build demo; then
  echo "demo: some packages could not be installed (above); going on with what" \
    "is installed" >&2
fi

if [ -f _build/release/build.ninja ]; then
  meson setup --reconfigure _build/release -Dbuildtype=release >/dev/null || true
else
  meson setup _build/release -Dbuildtype=release >/dev/null || true
fi
if [ ! -f _build/release/build.ninja ] ||
  ! ninja -C _build/release agent/pantry-agent agent/pantryctl retailer/pantry-retailer \
    tests/agent/make-shelf >/dev/null; then
  echo "demo: the programs cannot be built (meson or ninja said why above; a" \
    "missing library names its Debian package)" >&2
  exit 1
fi

bin=_build/release
work=$(mktemp -d "${TMPDIR:-/tmp}/pantry-demo.XXXXXX")
broker_pid=""
retailer_pid=""
cleanup() {
  [ -z "$retailer_pid" ] || kill "$retailer_pid" 2>/dev/null || true
  [ -z "$broker_pid" ] || kill "$broker_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The trace ends today, so the orders' issue times are recent.
start=$(date -u -d "45 days ago" +%Y-%m-%d)
echo "== 1. A simulated shelf: 4 items on load cells, 45 days from $start, seed 42"
$bin/tests/agent/make-shelf --seed 42 --days 45 --channels 4 --dir "$work" \
  --idle-ms 30000 --mode auto --start "$start"
samples=$(grep -c '^s ' "$work/shelf.trace")
echo "   $samples raw samples in $work/shelf.trace"
echo

echo "== 2. A private broker on loopback, and the keys"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])')
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
{
  echo "listener $port 127.0.0.1"
  echo "allow_anonymous true"
  # As root, mosquitto would switch to its own user, who cannot read $work.
  [ "$(id -u)" -ne 0 ] || echo "user root"
} >"$work/mosquitto.conf"
"$mosquitto" -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
broker_pid=$!
python3 - "$port" <<'PY'
import socket, sys, time
end = time.monotonic() + 10
while time.monotonic() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit("mosquitto did not start")
PY
echo "   mosquitto listens on 127.0.0.1:$port"
mkdir "$work/trust"
$bin/agent/pantryctl --config "$work/pantry-agent.conf" --json keygen |
  python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["jwk"]))' \
    >"$work/trust/demo-pi.jwk"
echo "   device key made (pantryctl keygen); its public JWK is the retailer's trust"
$bin/retailer/pantry-retailer keygen --key "$work/retailer.key" >/dev/null 2>&1
$bin/retailer/pantry-retailer jwk --key "$work/retailer.key" >"$work/retailer.jwk"
echo "   retailer key made (pantry-retailer keygen); the agent trusts only its acks"
cat >>"$work/pantry-agent.conf" <<EOF
broker = { url = "mqtt://127.0.0.1:$port"; retailer_key = "$work/retailer.jwk";
           resend = "2s"; };
EOF
echo

echo "== 3. pantry-retailer listens; pantry-agent replays the shelf on its clock"
# The retailer takes issue times up to 60 days old: the shelf's 45 days are
# replayed in seconds, so its orders carry the simulated times.
$bin/retailer/pantry-retailer listen --url "mqtt://127.0.0.1:$port" \
  --trust "$work/trust" --db "$work/retailer.db" --key "$work/retailer.key" \
  --retailer-id demo-shop --ship-eta 2d --max-age 60d \
  >"$work/accepted.jsonl" 2>"$work/retailer.log" &
retailer_pid=$!
i=0
until grep -q "subscribed" "$work/retailer.log" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 200 ]; then
    cat "$work/retailer.log" >&2
    echo "demo: the retailer did not subscribe" >&2
    exit 1
  fi
  sleep 0.05
done
$bin/agent/pantry-agent --config "$work/pantry-agent.conf" \
  --replay "$work/shelf.trace" --foreground --linger 10 2>&1 |
  sed -n 's/^[^ ]* notice: /   agent: /p' | grep -v "key\|running\|a retailer answers"
echo
echo "   What the retailer printed (one JSON line per accepted order, with its JWS):"
python3 - "$work/accepted.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    p = o["payload"]
    what = ("%d x %s" % (p["quantity"]["packs"], p["item"]["name"])
            if o["accepted"] == "reorder" else "cancel")
    print("   retailer: %-7s seq %-3d %-36s %s, verified (kid %s...)"
          % (o["accepted"], o["seq"], o["order_id"], what, o["kid"][:8]))
PY
echo

echo "== 4. The last order, verified again offline (pantry-retailer verify)"
tail -1 "$work/accepted.jsonl" |
  python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["jws"])' |
  $bin/retailer/pantry-retailer verify --trust "$work/trust" --max-age 60d |
  sed 's/^/   /'
echo
end=$(tail -1 "$work/shelf.trace" | cut -d' ' -f2)
end_iso=$(date -u -d "@$((end / 1000))" +%Y-%m-%dT%H:%M:%SZ)
echo "== 5. pantryctl status (the household's view, read from the store)"
$bin/agent/pantryctl --config "$work/pantry-agent.conf" --now "$end_iso" status
echo
item=$(tail -1 "$work/accepted.jsonl" |
  python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["payload"]["item"]["id"])')
echo "== 6. pantryctl forecast $item (the item of the last order)"
$bin/agent/pantryctl --config "$work/pantry-agent.conf" --now "$end_iso" \
  forecast "$item"
echo
echo "== 7. The last things that happened to $item (pantryctl history)"
$bin/agent/pantryctl --config "$work/pantry-agent.conf" history "$item" --limit 8
