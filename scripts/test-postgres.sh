#!/usr/bin/env bash
# Starts and stops a throwaway PostgreSQL server for the tests (internal/pgtest).
#
#   url=$(scripts/test-postgres.sh start STATE)   # prints the server's URL on stdout
#   ...  MAILBRIDGE_TEST_POSTGRES_URL=$url go test ./...
#   scripts/test-postgres.sh stop STATE           # stops that server, removes its files
#
# STATE is a file the script creates (its parent directory must exist); it records the
# server's temporary directory so that `stop` stops exactly that server. Without STATE,
# `start` names the directory on stderr and `stop DIR` accepts it instead.
#
# `start` does nothing but print $MAILBRIDGE_TEST_POSTGRES_URL when that is set (STATE is
# then left empty and `stop` does nothing). Otherwise it uses the newest
# /usr/lib/postgresql/*/bin (Debian's layout; `apt-get install postgresql` when there is
# none), runs initdb on a fresh directory under $TMPDIR with trust authentication, and
# serves on 127.0.0.1 on a free port, with fsync off: the data is thrown away anyway.
# As root the server runs as the `postgres` user (PostgreSQL refuses root), created when
# missing. Diagnostics go to stderr; the server log is DIR/postgres.log.
set -euo pipefail

prog="test-postgres"
die() { echo "$prog: $*" >&2; exit 1; }
usage() { die "usage: $0 start [STATE] | stop STATE|DIR"; }

# as_server CMD...: runs CMD as the user that owns the server's files.
as_server() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# pg_bindir prints the newest /usr/lib/postgresql/N/bin that has initdb, if any.
pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  return 1
}

ensure_server_binaries() {
  if bindir=$(pg_bindir); then return 0; fi
  [ "$(id -u)" -eq 0 ] || die "no PostgreSQL server found in /usr/lib/postgresql/*/bin; install it with: sudo apt-get install postgresql"
  command -v apt-get >/dev/null 2>&1 || die "no PostgreSQL server in /usr/lib/postgresql/*/bin and no apt-get to install one"
  echo "$prog: installing postgresql with apt-get" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  bindir=$(pg_bindir) || die "apt-get installed postgresql but /usr/lib/postgresql/*/bin/initdb is still missing"
}

ensure_postgres_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  id -u postgres >/dev/null 2>&1 && return 0
  echo "$prog: creating system user postgres" >&2
  useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
    --shell /usr/sbin/nologin postgres || die "could not create the postgres user"
}

# free_port prints a loopback TCP port that nothing listens on right now. The kernel
# picks it (bind to port 0) when python3 or perl is there; otherwise a random port that
# refuses connections. `start` retries with another port if the server cannot bind it.
free_port() {
  local py
  for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null 2>&1 &&
      "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null; then
      return 0
    fi
  done
  if command -v perl >/dev/null 2>&1 &&
    perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(LocalAddr=>"127.0.0.1",LocalPort=>0,Listen=>1) or exit 1; print $s->sockport,"\n"' 2>/dev/null; then
    return 0
  fi
  local port i
  for i in $(seq 1 50); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  die "could not find a free loopback port"
}

# make_tmpdir prints a new directory the server's user can use: under $TMPDIR when that
# user can reach it, else under /tmp.
make_tmpdir() {
  local base d
  for base in "${TMPDIR:-/tmp}" /tmp; do
    d=$(mktemp -d "$base/mailbridge-pg.XXXXXX") || continue
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres: "$d"
      if ! runuser -u postgres -- test -w "$d"; then rmdir "$d"; continue; fi
    fi
    echo "$d"
    return 0
  done
  die "could not create a temporary directory the postgres user can write to"
}

cmd_start() {
  local state="${1:-}"
  if [ -n "${MAILBRIDGE_TEST_POSTGRES_URL:-}" ]; then
    if [ -n "$state" ]; then : >"$state"; fi
    echo "$MAILBRIDGE_TEST_POSTGRES_URL"
    return 0
  fi
  command -v runuser >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ] || die "runuser is missing (util-linux)"
  ensure_server_binaries
  ensure_postgres_user

  dir=$(make_tmpdir) # global: the EXIT trap below reads it
  # From here on, a failure removes what was made unless `stop` can find it in STATE.
  if [ -n "$state" ]; then
    echo "$dir" >"$state" || { rm -rf "$dir"; die "cannot write state file $state"; }
  else
    trap 'rm -rf "$dir"' EXIT
  fi
  # initdb and the server refuse to start in a working directory they cannot read
  # (/root, say): work from the data's own directory.
  cd "$dir"

  as_server "$bindir/initdb" --pgdata="$dir/data" --username=postgres --auth=trust \
    --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; die "initdb failed (log above)"; }
  # Trust the loopback host and local sockets only (initdb's default pg_hba.conf also
  # admits replication connections, which nothing here needs).
  as_server tee "$dir/data/pg_hba.conf" >/dev/null <<'EOF'
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
EOF

  local port="" attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_server "$bindir/pg_ctl" start -w -t 60 -D "$dir/data" -l "$dir/postgres.log" \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      >"$dir/pg_ctl.log" 2>&1; then
      break
    fi
    # Another process may have taken the port between free_port and the server's bind.
    if grep -qi 'could not bind\|address already in use\|could not create any TCP/IP sockets' "$dir/postgres.log" 2>/dev/null &&
      [ "$attempt" -lt 5 ]; then
      echo "$prog: port $port was taken, retrying" >&2
      as_server "$bindir/pg_ctl" stop -D "$dir/data" -m immediate >/dev/null 2>&1 || true
      : >"$dir/postgres.log"
      continue
    fi
    cat "$dir/pg_ctl.log" "$dir/postgres.log" >&2 2>/dev/null || true
    as_server "$bindir/pg_ctl" stop -D "$dir/data" -m immediate >/dev/null 2>&1 || true
    rm -rf "$dir"
    if [ -n "$state" ]; then : >"$state"; fi
    trap - EXIT
    die "PostgreSQL did not start (logs above)"
  done
  echo "$bindir" >"$dir/bindir"
  trap - EXIT
  if [ -z "$state" ]; then
    echo "$prog: server files in $dir; stop it with: $0 stop $dir" >&2
  fi
  echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

cmd_stop() {
  local arg="${1:-}" dir
  [ -n "$arg" ] || usage
  if [ -f "$arg" ]; then
    dir=$(head -n 1 "$arg")
    [ -n "$dir" ] || return 0 # start used the caller's server or cleaned up after itself
  else
    dir=$arg
  fi
  case "$(basename "$dir")" in
  mailbridge-pg.*) ;;
  *) die "stop: $arg is neither a state file nor a directory made by $0 start" ;;
  esac
  [ -d "$dir" ] || { echo "$prog: $dir is already gone" >&2; return 0; }
  cd /
  if [ -f "$dir/data/postmaster.pid" ]; then
    local bindir
    bindir=$(cat "$dir/bindir" 2>/dev/null || pg_bindir) || die "stop: no pg_ctl found"
    if ! as_server "$bindir/pg_ctl" stop -w -t 60 -D "$dir/data" -m fast >/dev/null 2>&1; then
      echo "$prog: fast shutdown failed; stopping immediately" >&2
      as_server "$bindir/pg_ctl" stop -w -t 30 -D "$dir/data" -m immediate >/dev/null 2>&1 ||
        die "stop: could not stop the server in $dir/data (log: $dir/postgres.log)"
    fi
  fi
  rm -rf "$dir"
}

case "${1:-}" in
start) shift; [ $# -le 1 ] || usage; cmd_start "$@" ;;
stop) shift; [ $# -eq 1 ] || usage; cmd_stop "$@" ;;
*) usage ;;
esac
