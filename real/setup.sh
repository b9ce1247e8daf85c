#!/usr/bin/env bash
# kedasim "real" mode setup: a real Dapr sidecar (daprd) and local brokers (RabbitMQ, Kafka, NATS).
#
#   real/setup.sh                 # daprd + brokers (RabbitMQ, Kafka, NATS)
#   real/setup.sh --daprd-only    # only locate/build daprd
#   real/setup.sh --brokers-only  # only install/configure/start the brokers
#   real/setup.sh --kafka         # only Kafka (combine with --nats / --rabbitmq)
#   real/setup.sh --nats          # only nats-server with JetStream
#   real/setup.sh --rabbitmq      # only RabbitMQ
#   real/setup.sh --stop          # stop the brokers this script started (combine with --kafka etc.)
#
# Kafka (seed 002): Apache Kafka's jars resolved from Maven Central with Maven
# (mvn dependency:copy-dependencies on a generated pom) into <cache>/kafka-<version>/libs,
# run with the machine's Java (>= 17) as one KRaft node (broker + controller) on
# 127.0.0.1:19092 (controller 19093). No Docker, no tarball.
# NATS (seed 003): Debian's nats-server with JetStream (store <cache>/nats/js),
# 127.0.0.1:4222, monitoring 127.0.0.1:8222.
#
# daprd is looked up in this order: $DAPRD, ~/.dapr/bin/daprd, daprd on PATH,
# then the build cache ${KEDASIM_CACHE:-~/.cache/kedasim}/daprd-<sha256(go.sum)[:16]>/daprd.
# If none exists it is built from real/daprd (our own Go module, dapr v1.9.6: the
# newest runtime whose module graph the Go module proxy serves). Any daprd >= 1.9
# works; real mode decides its flags from the binary's --help (real/daprd-flags.ts).
# The chosen absolute path is written to ${KEDASIM_CACHE}/daprd.path.
#
# RabbitMQ comes from Debian (apt-get), is bound to 127.0.0.1 only and is
# started without systemd (rabbitmq-server -detached). Needs root for that part.
#
# Environment:
#   DAPRD                 use this daprd binary (skips lookup and build)
#   KEDASIM_CACHE         cache dir (default ~/.cache/kedasim)
#
# Idempotent: re-running only does what is missing.
set -euo pipefail

readonly DAPR_VERSION="1.9.6"
# dapr v1.9.6's go.mod says `go 1.19`; builds with the machine's Go 1.26.
readonly GO_MIN_MINOR=19
# Measured on 2 cores: cold build 1 min 32 s (empty Go build cache, modules
# cached); see the README for the fully cold figure.
readonly COLD_BUILD_MINUTES="~2"
readonly RABBIT_WAIT_SECONDS=60
readonly KAFKA_VERSION="3.9.1"
readonly KAFKA_PORT=19092
readonly KAFKA_CONTROLLER_PORT=19093
readonly KAFKA_WAIT_SECONDS=60
readonly NATS_PORT=4222
readonly NATS_MONITOR_PORT=8222
readonly NATS_WAIT_SECONDS=20

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly MOD_DIR="$SCRIPT_DIR/daprd"
KEDASIM_CACHE="${KEDASIM_CACHE:-$HOME/.cache/kedasim}"
readonly KEDASIM_CACHE

log() { printf '[real:setup] %s\n' "$*"; }
die() { printf '[real:setup] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

DO_DAPRD=1
DO_BROKERS=1
DO_RABBIT=1
DO_KAFKA=1
DO_NATS=1
ONLY=""
STOP=0
for arg in "$@"; do
  case "$arg" in
    --stop) STOP=1 ;;
    --daprd-only) DO_BROKERS=0 ;;
    --brokers-only) DO_DAPRD=0 ;;
    --kafka|--nats|--rabbitmq) ONLY="$ONLY ${arg#--}" ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$arg' (use --daprd-only, --brokers-only, --kafka, --nats, --rabbitmq, --stop or --help)" ;;
  esac
done
if [[ -n "$ONLY" ]]; then
  DO_DAPRD=0
  DO_RABBIT=0; DO_KAFKA=0; DO_NATS=0
  if [[ "$ONLY" == *rabbitmq* ]]; then DO_RABBIT=1; fi
  if [[ "$ONLY" == *kafka* ]]; then DO_KAFKA=1; fi
  if [[ "$ONLY" == *nats* ]]; then DO_NATS=1; fi
fi
if [[ $DO_DAPRD -eq 0 && $DO_BROKERS -eq 0 ]]; then
  die "--daprd-only and --brokers-only are mutually exclusive"
fi

# ---------------------------------------------------------------------------
# daprd
# ---------------------------------------------------------------------------

cache_dir() {
  local sum
  [[ -f "$MOD_DIR/go.sum" ]] || die "missing $MOD_DIR/go.sum"
  sum="$(sha256sum "$MOD_DIR/go.sum" | cut -c1-16)"
  printf '%s/daprd-%s\n' "$KEDASIM_CACHE" "$sum"
}

abs_path() {
  local p="$1"
  if command -v realpath >/dev/null 2>&1; then realpath "$p"; else readlink -f "$p"; fi
}

# Prints the absolute path of an existing daprd, or nothing.
find_daprd() {
  if [[ -n "${DAPRD:-}" ]]; then
    [[ -f "$DAPRD" && -x "$DAPRD" ]] || die "DAPRD=$DAPRD is not an executable file"
    abs_path "$DAPRD"
    return
  fi
  if [[ -x "$HOME/.dapr/bin/daprd" ]]; then
    abs_path "$HOME/.dapr/bin/daprd"
    return
  fi
  local onpath
  if onpath="$(command -v daprd 2>/dev/null)" && [[ -n "$onpath" ]]; then
    abs_path "$onpath"
    return
  fi
  local cached
  cached="$(cache_dir)/daprd"
  if [[ -x "$cached" ]]; then
    abs_path "$cached"
  fi
}

check_go() {
  command -v go >/dev/null 2>&1 || die "Go is not installed; building daprd needs Go >= 1.$GO_MIN_MINOR (or set DAPRD=/path/to/daprd, any daprd >= 1.9)"
  local v
  v="$(GOTOOLCHAIN=local go env GOVERSION)"   # e.g. go1.26.8
  v="${v#go}"
  local major minor
  IFS=. read -r major minor _ <<<"$v"
  if (( major < 1 || (major == 1 && ${minor%%[!0-9]*} < GO_MIN_MINOR) )); then
    die "Go $v is too old; dapr v$DAPR_VERSION needs Go >= 1.$GO_MIN_MINOR (or set DAPRD=/path/to/daprd)"
  fi
  log "using Go $v ($(command -v go))"
}

# Makes sure every module of the build is in the module cache, verified against
# go.sum, from the Go module proxy (GOPROXY as configured). A module the proxy
# refuses (403) is named in the error; that answer is final here.
ensure_go_modules() {
  local errlog
  errlog="$(mktemp)"
  log "downloading Go modules (GOPROXY=$(go env GOPROXY))"
  local start=$SECONDS
  if (cd "$MOD_DIR" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go mod download) 2>"$errlog"; then
    rm -f "$errlog"
    log "Go modules ready in $((SECONDS - start)) s"
    return
  fi
  sed 's/^/    /' "$errlog" | head -20 >&2
  local refused
  refused="$(grep -oE '[^ ]+@v[^: ]+: reading [^ ]+: 40[34]' "$errlog" | head -1 | cut -d: -f1 || true)"
  rm -f "$errlog"
  if [[ -n "$refused" ]]; then
    die "the Go module proxy refuses $refused, which the dapr v$DAPR_VERSION build needs, so daprd cannot be built here. Use an existing daprd >= 1.9 instead: DAPRD=/path/to/daprd npm run real:setup (or put it at ~/.dapr/bin/daprd, e.g. with 'dapr init')."
  fi
  die "go mod download failed (see above); or use an existing daprd >= 1.9: DAPRD=/path/to/daprd npm run real:setup"
}

build_daprd() {
  local dir="$1"
  check_go
  ensure_go_modules
  mkdir -p "$dir"
  local tmp="$dir/daprd.tmp.$$"
  log "building daprd v$DAPR_VERSION from $MOD_DIR into $dir/daprd"
  log "a cold build (empty Go build cache) takes $COLD_BUILD_MINUTES minutes on 2 cores; later builds reuse the Go build cache"
  local start=$SECONDS
  if ! (cd "$MOD_DIR" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly \
        go build -trimpath -buildvcs=false -ldflags "-s -w -X github.com/dapr/dapr/pkg/version.version=$DAPR_VERSION" -o "$tmp" .); then
    rm -f "$tmp"
    die "go build of daprd failed"
  fi
  mv -f "$tmp" "$dir/daprd"
  log "built $dir/daprd in $((SECONDS - start)) s ($(du -h "$dir/daprd" | cut -f1))"
}

setup_daprd() {
  local daprd
  daprd="$(find_daprd)"
  if [[ -z "$daprd" ]]; then
    local dir
    dir="$(cache_dir)"
    log "no daprd found (\$DAPRD, ~/.dapr/bin/daprd, PATH, $dir/daprd)"
    build_daprd "$dir"
    daprd="$(abs_path "$dir/daprd")"
  fi
  local version
  version="$("$daprd" --version 2>&1)" || die "$daprd --version failed: $version"
  version="$(printf '%s\n' "$version" | tail -1)"
  local vmaj vmin
  IFS=. read -r vmaj vmin _ <<<"${version#v}"
  if [[ "$vmaj" =~ ^[0-9]+$ && "${vmin%%[!0-9]*}" =~ ^[0-9]+$ ]]; then
    if (( vmaj < 1 || (vmaj == 1 && ${vmin%%[!0-9]*} < 9) )); then
      die "$daprd is daprd $version; real mode needs daprd >= 1.9 (unset DAPRD to build v$DAPR_VERSION)"
    fi
  else
    log "warning: $daprd reports version '$version' (not a release number); real mode will decide its flags from its --help"
  fi
  log "using daprd $daprd (version: $version)"
  mkdir -p "$KEDASIM_CACHE"
  printf '%s\n' "$daprd" >"$KEDASIM_CACHE/daprd.path.tmp"
  mv -f "$KEDASIM_CACHE/daprd.path.tmp" "$KEDASIM_CACHE/daprd.path"
  log "wrote $KEDASIM_CACHE/daprd.path"
}

# ---------------------------------------------------------------------------
# RabbitMQ
# ---------------------------------------------------------------------------

readonly RABBIT_CONF_DIR=/etc/rabbitmq
readonly MGMT_URL="http://127.0.0.1:15672/api/overview"

APT_UPDATED=0
apt_install() {
  [[ $(id -u) -eq 0 ]] || die "installing $* needs root (apt-get)"
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    apt-get update -qq || die "apt-get update failed"
    APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

# write_if_changed FILE CONTENT -> returns 0 if the file was (re)written.
write_if_changed() {
  local file="$1" content="$2"
  if [[ -f "$file" ]] && [[ "$(cat "$file")" == "$content" ]]; then
    return 1
  fi
  printf '%s\n' "$content" >"$file"
  return 0
}

rabbit_running() {
  rabbitmqctl -q status >/dev/null 2>&1
}

mgmt_up() {
  curl -fsS -m 3 -u guest:guest "$MGMT_URL" >/dev/null 2>&1
}

stop_rabbit() {
  log "stopping RabbitMQ${1:+ $1}"
  rabbitmqctl -q stop >/dev/null 2>&1 || true
  local i
  for ((i = 0; i < 30; i++)); do
    rabbit_running || break
    sleep 1
  done
  # epmd keeps its old listen address until restarted
  epmd -kill >/dev/null 2>&1 || true
}

setup_rabbitmq() {
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    apt_install rabbitmq-server
  else
    log "rabbitmq-server is installed ($(command -v rabbitmq-server))"
  fi
  command -v curl >/dev/null 2>&1 || apt_install curl

  [[ -d "$RABBIT_CONF_DIR" ]] || die "$RABBIT_CONF_DIR does not exist after installing rabbitmq-server"
  local changed=0
  # Loopback only: AMQP, management UI/API, epmd and Erlang distribution.
  if write_if_changed "$RABBIT_CONF_DIR/rabbitmq.conf" "# managed by kedasim real/setup.sh
listeners.tcp.default = 127.0.0.1:5672
management.tcp.ip = 127.0.0.1
management.tcp.port = 15672
loopback_users.guest = true"; then
    changed=1
    log "wrote $RABBIT_CONF_DIR/rabbitmq.conf (loopback only)"
  fi
  if write_if_changed "$RABBIT_CONF_DIR/rabbitmq-env.conf" "# managed by kedasim real/setup.sh
NODENAME=rabbit@localhost
NODE_IP_ADDRESS=127.0.0.1
ERL_EPMD_ADDRESS=127.0.0.1
SERVER_ADDITIONAL_ERL_ARGS=\"-kernel inet_dist_use_interface {127,0,0,1}\""; then
    changed=1
    log "wrote $RABBIT_CONF_DIR/rabbitmq-env.conf (node rabbit@localhost, epmd/distribution on 127.0.0.1)"
  fi
  if ! grep -q 'rabbitmq_management' "$RABBIT_CONF_DIR/enabled_plugins" 2>/dev/null; then
    log "enabling rabbitmq_management"
    rabbitmq-plugins enable --offline rabbitmq_management >/dev/null || die "rabbitmq-plugins enable rabbitmq_management failed"
    changed=1
  fi

  if rabbit_running; then
    if [[ $changed -eq 1 ]]; then
      stop_rabbit "to apply the new configuration"
    else
      log "RabbitMQ is already running"
    fi
  fi
  if ! rabbit_running; then
    log "starting RabbitMQ (rabbitmq-server -detached)"
    # ERL_EPMD_ADDRESS must be in the environment of the epmd that -detached spawns.
    ERL_EPMD_ADDRESS=127.0.0.1 rabbitmq-server -detached >/dev/null 2>&1 || die "rabbitmq-server -detached failed (see /var/log/rabbitmq/)"
  fi

  log "waiting up to ${RABBIT_WAIT_SECONDS}s for RabbitMQ and its management API ($MGMT_URL)"
  local deadline=$((SECONDS + RABBIT_WAIT_SECONDS))
  until mgmt_up; do
    if ((SECONDS >= deadline)); then
      die "RabbitMQ did not come up within ${RABBIT_WAIT_SECONDS}s (check /var/log/rabbitmq/ and 'rabbitmqctl status')"
    fi
    sleep 2
  done
  local version
  version="$(curl -fsS -m 3 -u guest:guest "$MGMT_URL" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["rabbitmq_version"], "(Erlang " + d["erlang_version"] + ")")' 2>/dev/null || rabbitmqctl -q version 2>/dev/null || echo unknown)"
  log "RabbitMQ $version is up: amqp://guest:guest@127.0.0.1:5672, management http://127.0.0.1:15672 (guest/guest)"
}

# ---------------------------------------------------------------------------
# Kafka (KRaft, single node) from Maven Central jars
# ---------------------------------------------------------------------------

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# start_daemon LOGFILE PIDFILE CMD...: runs CMD in its own session, stdin /dev/null, output appended to
# LOGFILE, no other inherited file descriptors (so nothing waits on our pipes); its pid goes to PIDFILE.
start_daemon() {
  local logf="$1" pidf="$2"
  shift 2
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd="${fd##*/}"
      if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec setsid "$@" >>"$logf" 2>&1 </dev/null
  ) &
  echo $! >"$pidf"
}

kafka_pom() {
  cat <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kedasim</groupId><artifactId>kafka-libs</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
}

setup_kafka() {
  local home="$KEDASIM_CACHE/kafka-$KAFKA_VERSION"
  command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
  local jv
  jv="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
  [[ -n "$jv" && "$jv" -ge 17 ]] || die "Kafka $KAFKA_VERSION needs Java >= 17 (found: ${jv:-none})"
  mkdir -p "$home/config" "$home/logs"
  if [[ ! -f "$home/libs/kafka_2.13-$KAFKA_VERSION.jar" || ! -f "$home/libs/kafka-tools-$KAFKA_VERSION.jar" ]]; then
    command -v mvn >/dev/null 2>&1 || apt_install maven
    kafka_pom >"$home/pom.xml"
    log "resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION + kafka-tools and their runtime dependencies from Maven Central into $home/libs"
    local start=$SECONDS
    (cd "$home" && mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$KEDASIM_CACHE/m2" dependency:copy-dependencies -DoutputDirectory=libs -DincludeScope=runtime) \
      || die "mvn dependency:copy-dependencies failed (is Maven Central reachable?)"
    log "resolved $(ls "$home/libs" | wc -l) jars in $((SECONDS - start)) s ($(du -sh "$home/libs" | cut -f1))"
  else
    log "Kafka $KAFKA_VERSION jars are in $home/libs"
  fi
  if write_if_changed "$home/config/server.properties" "# managed by kedasim real/setup.sh: single-node KRaft, loopback only
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$home/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false"; then
    log "wrote $home/config/server.properties (127.0.0.1:$KAFKA_PORT, controller 127.0.0.1:$KAFKA_CONTROLLER_PORT)"
  fi
  write_if_changed "$home/config/log4j.properties" "log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.BrokerServer=INFO" || true
  write_if_changed "$home/config/tools-log4j.properties" "log4j.rootLogger=ERROR, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=%p %m%n" || true
  local cp="$home/libs/*"
  local tools_log="-Dlog4j.configuration=file:$home/config/tools-log4j.properties"
  if port_open "$KAFKA_PORT"; then
    log "something already listens on 127.0.0.1:$KAFKA_PORT (a running Kafka)"
  else
    if [[ ! -f "$home/data/meta.properties" ]]; then
      local cid
      cid="$(java -cp "$cp" "$tools_log" kafka.tools.StorageTool random-uuid)" || die "kafka-storage random-uuid failed"
      log "formatting KRaft storage $home/data (cluster id $cid)"
      java -cp "$cp" "$tools_log" kafka.tools.StorageTool format -t "$cid" -c "$home/config/server.properties" >/dev/null \
        || die "kafka-storage format failed"
    fi
    log "starting Kafka $KAFKA_VERSION (java -cp 'libs/*' kafka.Kafka, KRaft), log $home/logs/kafka.out"
    start_daemon "$home/logs/kafka.out" "$home/kafka.pid" java -Xms256m -Xmx512m -cp "$cp" \
      "-Dlog4j.configuration=file:$home/config/log4j.properties" kafka.Kafka "$home/config/server.properties"
  fi
  log "waiting up to ${KAFKA_WAIT_SECONDS}s for Kafka on 127.0.0.1:$KAFKA_PORT"
  local deadline=$((SECONDS + KAFKA_WAIT_SECONDS))
  until java -cp "$cp" "$tools_log" org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      tail -20 "$home/logs/kafka.out" >&2 || true
      die "Kafka did not come up within ${KAFKA_WAIT_SECONDS}s (see $home/logs/kafka.out)"
    fi
    sleep 1
  done
  log "Kafka $KAFKA_VERSION (KRaft) is up: bootstrap 127.0.0.1:$KAFKA_PORT"
}

# ---------------------------------------------------------------------------
# NATS with JetStream (Debian nats-server)
# ---------------------------------------------------------------------------

nats_jetstream_up() {
  curl -fsS -m 2 "http://127.0.0.1:$NATS_MONITOR_PORT/varz" 2>/dev/null | grep -q '"jetstream"'
}

setup_nats() {
  command -v nats-server >/dev/null 2>&1 || apt_install nats-server
  command -v curl >/dev/null 2>&1 || apt_install curl
  local dir="$KEDASIM_CACHE/nats"
  mkdir -p "$dir/js"
  if port_open "$NATS_PORT"; then
    nats_jetstream_up || die "something listens on 127.0.0.1:$NATS_PORT, but not a nats-server with JetStream and monitoring on :$NATS_MONITOR_PORT (Debian's nats-server.service? stop it: systemctl disable --now nats-server)"
    log "nats-server with JetStream is already running on 127.0.0.1:$NATS_PORT"
  else
    log "starting $(nats-server --version) with JetStream (store $dir/js), 127.0.0.1:$NATS_PORT, monitoring 127.0.0.1:$NATS_MONITOR_PORT"
    start_daemon "$dir/nats.log" "$dir/nats.pid" nats-server -js -sd "$dir/js" -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MONITOR_PORT"
  fi
  local deadline=$((SECONDS + NATS_WAIT_SECONDS))
  until nats_jetstream_up; do
    ((SECONDS < deadline)) || die "nats-server did not come up within ${NATS_WAIT_SECONDS}s (see $dir/nats.log)"
    sleep 0.5
  done
  log "nats-server $(curl -fsS -m 2 "http://127.0.0.1:$NATS_MONITOR_PORT/varz" | sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' | head -1) with JetStream is up: nats://127.0.0.1:$NATS_PORT"
}

# ---------------------------------------------------------------------------
# --stop: the brokers keep running after setup (the real-mode tests reuse them); idle, they still
# take CPU, which shows in `npm run bench`.
# ---------------------------------------------------------------------------

# Stop the daemon whose pid start_daemon wrote to $1, if that pid is still $2 (a pid can be reused).
stop_daemon() {
  local pidf="$1" name="$2" pattern="$3" pid i
  if [[ ! -f "$pidf" ]]; then
    log "$name: not started by this script (no $pidf)"
    return 0
  fi
  pid="$(cat "$pidf")"
  if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"; then
    log "$name: not running (pid $pid is gone or is another program)"
    rm -f "$pidf"
    return 0
  fi
  log "stopping $name (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not exit within 30 s of SIGTERM: SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidf"
}

stop_brokers() {
  if [[ $DO_RABBIT -eq 1 ]]; then
    if command -v rabbitmqctl >/dev/null 2>&1 && rabbit_running; then stop_rabbit; else log "RabbitMQ: not running"; fi
  fi
  if [[ $DO_KAFKA -eq 1 ]]; then stop_daemon "$KEDASIM_CACHE/kafka-$KAFKA_VERSION/kafka.pid" Kafka kafka.Kafka; fi
  if [[ $DO_NATS -eq 1 ]]; then stop_daemon "$KEDASIM_CACHE/nats/nats.pid" nats-server nats-server; fi
}

if [[ $STOP -eq 1 ]]; then
  stop_brokers
  log "done"
  exit 0
fi
if [[ $DO_DAPRD -eq 1 ]]; then
  setup_daprd
fi
if [[ $DO_BROKERS -eq 1 ]]; then
  if [[ $DO_RABBIT -eq 1 ]]; then setup_rabbitmq; fi
  if [[ $DO_KAFKA -eq 1 ]]; then setup_kafka; fi
  if [[ $DO_NATS -eq 1 ]]; then setup_nats; fi
fi
log "done"
