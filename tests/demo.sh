#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo command (README "See it work"): installs what is missing, builds, and
# tells the whole story of one shelf on a virtual clock, closed loop, with
# nothing but loopback:
#   1. a household (tests/demo-household.py) wants rice, coffee, flour and sugar
#      for 45 days, ending today; the shelf's configuration holds each load
#      cell's calibration;
#   2. a private mosquitto starts on a free loopback port; the device key
#      (pantryctl keygen) goes into the retailer's trust store, the retailer's
#      key (pantry-retailer keygen) into the agent's configuration;
#   3. pantry-retailer listens and ships every order it accepts 2 to 3 days
#      after the order was placed; pantry-agent --household weighs the shelf
#      the household uses, as fast as it can: conditioning, the fixed-point
#      forecast, the reorder policy, and each reorder signed (JWS, EdDSA),
#      stored, published, verified and printed by the retailer, acknowledged
#      with a signed "shipped" and its ETA; at that ETA the packs arrive on the
#      shelf, are poured in, and the refill closes the order;
#   4. the retailer's verdict on the last order, checked again offline
#      (pantry-retailer verify), and the household's view: pantryctl status,
#      a forecast chart, the history;
#   5. what Home Assistant finds on the household's own broker (a second
#      mosquitto): the retained per-item states and discovery configs.
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
    >/dev/null; then
  echo "demo: the programs cannot be built (meson or ninja said why above; a" \
    "missing library names its Debian package)" >&2
  exit 1
fi

bin=_build/release
work=$(mktemp -d "${TMPDIR:-/tmp}/pantry-demo.XXXXXX")
broker_pid=""
home_pid=""
retailer_pid=""
cleanup() {
  [ -z "$retailer_pid" ] || kill "$retailer_pid" 2>/dev/null || true
  [ -z "$home_pid" ] || kill "$home_pid" 2>/dev/null || true
  [ -z "$broker_pid" ] || kill "$broker_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The household's 45 days end today, so the orders' issue times are recent.
start=$(date -u -d "45 days ago" +%Y-%m-%dT00:00:00Z)
echo "== 1. A household: rice, coffee, flour and sugar on load cells, 45 days from $start"
python3 tests/demo-household.py "$work" 45 42
for f in "$work"/*.demand; do
  printf '   %-7s %3d uses of %s\n' "$(basename "$f" .demand)" \
    "$(grep -c '^[0-9]' "$f")" "$(basename "$f")"
done
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
# The household's own broker (Home Assistant's): states and discovery go
# there, never to the retailer's.
home_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])')
sed "s/^listener $port /listener $home_port /" "$work/mosquitto.conf" >"$work/home.conf"
"$mosquitto" -c "$work/home.conf" >"$work/home-mosquitto.log" 2>&1 &
home_pid=$!
echo "   the household's own broker (Home Assistant's) listens on 127.0.0.1:$home_port"
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
home = { url = "mqtt://127.0.0.1:$home_port"; commands = true; };
EOF
echo

echo "== 3. pantry-retailer listens and ships; pantry-agent weighs the household's shelf"
# The shelf's 45 days go by in seconds, on the household's clock: orders carry
# its times, and the retailer counts each ETA (2 to 3 days) from the order's.
$bin/retailer/pantry-retailer listen --url "mqtt://127.0.0.1:$port" \
  --trust "$work/trust" --db "$work/retailer.db" --key "$work/retailer.key" \
  --retailer-id demo-shop --ship-eta 2d --ship-eta-max 3d --eta-from-order \
  --max-age 60d >"$work/accepted.jsonl" 2>"$work/retailer.log" &
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
household=""
for f in "$work"/*.demand; do
  household="$household --household $(basename "$f" .demand)=$f"
done
# shellcheck disable=SC2086 # one argument per item
$bin/agent/pantry-agent --config "$work/pantry-agent.conf" $household \
  --household-start "$start" --household-days 45 --foreground --linger 10 2>&1 |
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
end_iso=$(date -u -d "$start + 45 days" +%Y-%m-%dT%H:%M:%SZ)
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
echo
echo "== 8. Rice's orders and deliveries, the takes left out (pantryctl history rice)"
$bin/agent/pantryctl --config "$work/pantry-agent.conf" history rice --limit 200 |
  grep -v " consume " | sed 's/^/   /'
echo
echo "   Each order arrived at the retailer's ETA, 2 to 3 days after it was placed;"
echo "   the refill of its packs closed it, and the time it took taught the agent"
echo "   the lead (status: \"lead\", learnt from the deliveries; \"lead time\" in"
echo "   the decision, the service level's quantile of it, planned with)."
echo
echo "== 9. What Home Assistant finds on the household's broker (retained; payloads cut,"
echo "   rice's discovery configs shown: every item has the same six)"
echo "   mosquitto_sub -v -t 'homeassistant/#' -t 'pantry/#' --retained-only"
mosquitto_sub -h 127.0.0.1 -p "$home_port" -v -t 'homeassistant/#' -t 'pantry/#' \
  --retained-only -W 2 2>/dev/null | grep -E '^pantry/|/rice_|/retailer_link/' |
  sort | cut -c1-150 | sed 's/^/   /' || true
