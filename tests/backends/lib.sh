# Shared by the start/stop scripts in this folder (sourced, not executed):
# the project settings of scripts/env.sh (ROOT, as_root), where the state of
# the Prometheus/Alertmanager/Elasticsearch backends lives, and the PID,
# port and start-up helpers every script uses the same way.
# shellcheck source=../../scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"

# State, logs and PID files of up.sh and es-up.sh (kube-up.sh has KUBE_STATE).
BACKENDS_DIR="${K8S_MCP_BACKENDS_DIR:-$ROOT/target/backends}"

# kill -0 also succeeds for an unreaped zombie, which would never "exit".
running() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# ours PID DIR: a PID only counts if it is still our process (its command line
# names DIR/), not one that exited and whose number something else reuses.
ours() { [ -n "${1:-}" ] && running "$1" && grep -qaF -- "$2/" "/proc/$1/cmdline" 2>/dev/null; }

# stop_ours NAME PIDFILE DIR [KILL_WAIT]: stop the process PIDFILE names if it
# is ours (see above): SIGTERM, up to 20 s to exit, then SIGKILL. With
# KILL_WAIT it waits that many seconds more after SIGKILL and fails (1,
# PIDFILE kept) if the process is still there. PIDFILE is removed otherwise.
stop_ours() {
    local name=$1 f=$2 dir=$3 kill_wait=${4:-} pid deadline
    [ -f "$f" ] || return 0
    pid="$(cat "$f")"
    if ours "$pid" "$dir"; then
        kill "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 20))
        while running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
        if running "$pid"; then
            kill -KILL "$pid" 2>/dev/null || true
            if [ -n "$kill_wait" ]; then
                deadline=$((SECONDS + kill_wait))
                while running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
                if running "$pid"; then
                    echo "could not stop $name ($pid)" >&2
                    return 1
                fi
            fi
        fi
        echo "stopped $name ($pid)"
    fi
    rm -f "$f"
}

# free_ports PORT...: one free 127.0.0.1 port per argument, the argument itself
# when it is free (the scripts prefer fixed non-default ports, as a system or
# another test run may hold the defaults), else any free one. All sockets are
# held together so the ports differ. SO_REUSEADDR as the servers use it: a
# port left in TIME_WAIT by the previous run counts as free (else every
# restart would drift to random ports).
free_ports() {
    python3 - "$@" <<'PY'
import socket, sys
held = []
def sock():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return s
for pref in map(int, sys.argv[1:]):
    s = sock()
    try:
        s.bind(("127.0.0.1", pref))
        s.listen()  # a listener: no second REUSEADDR socket can take the same port
    except OSError:
        s = sock()
        s.bind(("127.0.0.1", 0))
        s.listen()
    held.append(s)
print(*(s.getsockname()[1] for s in held))
PY
}

# spawn LOG PIDFILE CMD...: start CMD in the background with its output in LOG
# and its PID in PIDFILE. setsid: the servers must outlive the script and not
# get its terminal's signals; 8>&-: not holding kube-up.sh's lock on fd 8.
spawn() {
    local log=$1 pidfile=$2
    shift 2
    setsid nohup "$@" </dev/null >"$log" 2>&1 8>&- &
    echo $! >"$pidfile"
}

# wait_ready NAME DIR SECONDS DOWN URL PATH: poll URL+PATH until it answers,
# while the process of DIR/NAME.pid runs, for up to SECONDS; otherwise show the
# end of DIR/NAME.log, run the stop script DOWN and exit 1.
wait_ready() {
    local name=$1 dir=$2 deadline=$((SECONDS + $3)) down=$4 url=$5 path=$6 pid
    pid="$(cat "$dir/$name.pid")"
    until curl -sf "$url$path" >/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
            echo "$name did not become ready at $url; last log lines:" >&2
            tail -n 30 "$dir/$name.log" >&2
            "$down" >&2
            exit 1
        fi
        sleep 0.1
    done
}
