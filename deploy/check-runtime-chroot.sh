#!/usr/bin/env bash
# Checks the runtime stage of deploy/Dockerfile without a container runtime:
# a Debian bookworm chroot (debootstrap, minbase) gets the same packages,
# user and files as the image, then triggerfishd runs in it as user 10001
# with the bundled plugins and the sample rules, tfctl (from the same chroot)
# publishes an event, and SIGTERM must end it with status 0.
#
#   sudo deploy/check-runtime-chroot.sh [BUILD_DIR] [ROOTFS]
#
# Needs root, debootstrap and the Debian archive; not part of ctest. BUILD_DIR
# (default build/) must be built; ROOTFS (default /tmp/triggerfish-rootfs) is
# reused when it exists.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
rootfs="${2:-/tmp/triggerfish-rootfs}"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"; umount "$rootfs/proc" 2>/dev/null || true' EXIT
# As the Dockerfile's build stage does.
DESTDIR="$stage" cmake --install "$build" --component Unspecified >/dev/null
DESTDIR="$stage" cmake --install "$build" --component server >/dev/null
strip --strip-debug "$stage"/usr/local/bin/* "$stage"/usr/local/lib/triggerfish/plugins/*.so
deploy/runtime-packages.sh "$stage"/usr/local/bin/* "$stage"/usr/local/lib/triggerfish/plugins/*.so \
  > "$stage/runtime-packages"

if [ ! -x "$rootfs/bin/sh" ]; then
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian
fi
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
mount -t proc proc "$rootfs/proc"
cp "$stage/runtime-packages" "$rootfs/tmp/runtime-packages"
# As the Dockerfile's runtime stage does.
chroot "$rootfs" /bin/sh -euc '
  apt-get update >/dev/null
  DEBIAN_FRONTEND=noninteractive xargs -a /tmp/runtime-packages \
    apt-get install -y --no-install-recommends ca-certificates tzdata >/dev/null
  getent group triggerfish >/dev/null || groupadd --gid 10001 triggerfish
  getent passwd triggerfish >/dev/null || useradd --uid 10001 --gid triggerfish \
    --no-create-home --home-dir /var/lib/triggerfish --shell /usr/sbin/nologin triggerfish
  mkdir -p /var/lib/triggerfish /etc/triggerfish /usr/local/share/triggerfish/examples
  rm -f /var/lib/triggerfish/triggerfish.db*
  chown triggerfish:triggerfish /var/lib/triggerfish'
cp -a "$stage/usr/local/." "$rootfs/usr/local/"
cp examples/rules/sample.yaml "$rootfs/usr/local/share/triggerfish/examples/sample.yaml"

port=$((20000 + RANDOM % 20000))
log="$stage/server.log"
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  TRIGGERFISH_LISTEN="127.0.0.1:$port" TRIGGERFISH_STORE=/var/lib/triggerfish/triggerfish.db \
  TRIGGERFISH_ADMIN_LISTEN= \
  TRIGGERFISH_SEED_RULES=/usr/local/share/triggerfish/examples/sample.yaml \
  chroot --userspec=10001:10001 "$rootfs" /bin/sh -c \
  'cd /var/lib/triggerfish && exec /usr/local/bin/triggerfishd' >"$log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  grep -q "serving on port" "$log" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
cat "$log"
grep -q "serving on port" "$log" || { echo "FAIL: triggerfishd did not start"; exit 1; }
for plugin in ticket assign sla email; do
  grep -q "loaded '$plugin'" "$log" || { echo "FAIL: plugin $plugin not loaded"; exit 1; }
done
echo '{"id": "e1", "type": "ticket.created", "ticket": {"id": "T1", "subject": "Site is down",
  "priority": "TICKET_PRIORITY_URGENT", "channel": "email"}}' | tr -d '\n' > "$rootfs/tmp/event.jsonl"
chroot --userspec=10001:10001 "$rootfs" /usr/local/bin/tfctl --address "127.0.0.1:$port" \
  events publish -v -f /tmp/event.jsonl
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
tail -n 2 "$log"
[ "$status" -eq 0 ] || { echo "FAIL: exit status $status after SIGTERM"; exit 1; }
echo "runtime stage: OK"
