#!/bin/bash
# Capture strongSwan IKEv1 main mode PSK key derivation at its highest log levels, as the known
# answer for tests/unit/test_crypto_keymat.py. Run once, by hand, as root (not in the test run):
#
#     tests/unit/vectors/capture_strongswan.sh [OUTDIR]      (default: this directory)
#
# Two charons (strongSwan 5.9.8, Debian 12) in two network namespaces joined by a veth pair:
#   kat$$-i  172.18.124.199  initiator (the seed's vpn3640 outside address)
#   kat$$-r  172.18.124.159  responder (the seed's vpn2611 outside address)
# PSK cisco123, main mode, one quick mode. For each suite below the initiator's charon log is
# written to OUTDIR/strongswan-5.9.8-ikev1-psk-<suite>.log, keeping only what the test reads:
# the keymat_v1.c / iv_manager.c dumps (ike/chd level 4), every whole message as generated or
# received and the en/decryption dumps (enc level 3), and the proposal/exchange lines. The
# private DH values are not logged by strongSwan; the test starts from the logged g^xy.
#
# Each charon runs with its own /run (Debian's charon hard-codes /var/run/charon.pid):
#   ip netns exec NS env STRONGSWAN_CONF=... sh -c "mount --bind RUNDIR /run && exec charon"
# Every process started here is stopped by PID and both namespaces are deleted on exit, also
# on failure.
set -eu

OUT=$(realpath "${1:-$(dirname "$0")}")
PFX="kat$$"
WORK=$(mktemp -d "/tmp/${PFX}.XXXXXX")
NS_I="${PFX}-i"
NS_R="${PFX}-r"
ADDR_I=172.18.124.199
ADDR_R=172.18.124.159
PIDS=()

cleanup() {
    set +e
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
        fi
    done
    ip netns del "$NS_I" 2>/dev/null
    ip netns del "$NS_R" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# suite name | IKE proposal | ESP proposal (a group in the ESP proposal means PFS)
SUITES=(
    "des-md5-modp768|des-md5-modp768|3des-md5"
    "aes128-sha1-modp1024|aes128-sha1-modp1024|3des-md5-modp1024"
    "3des-md5-modp1024|3des-md5-modp1024|aes128-sha1"
)

ip netns add "$NS_I"
ip netns add "$NS_R"
ip link add "${PFX}a" netns "$NS_I" type veth peer name "${PFX}b" netns "$NS_R"
ip -n "$NS_I" link set lo up
ip -n "$NS_R" link set lo up
ip -n "$NS_I" addr add "$ADDR_I/24" dev "${PFX}a"
ip -n "$NS_R" addr add "$ADDR_R/24" dev "${PFX}b"
ip -n "$NS_I" link set "${PFX}a" up
ip -n "$NS_R" link set "${PFX}b" up
# the protected LANs' gateway addresses (kernel-libipsec routes the remote subnet from an
# address inside local_ts); this kernel has no dummy devices, so they sit on lo
ip -n "$NS_I" addr add 10.10.20.1/32 dev lo
ip -n "$NS_R" addr add 10.10.10.1/32 dev lo

write_conf() {  # write_conf ROLE LOCAL REMOTE IKE ESP LOCAL_TS REMOTE_TS
    local role=$1 local=$2 remote=$3 ike=$4 esp=$5 lts=$6 rts=$7 dir="$WORK/$1"
    mkdir -p "$dir/run"
    cat > "$dir/strongswan.conf" <<EOF
charon {
    load_modular = no
    load = random nonce openssl gcrypt gmp aes sha1 sha2 md5 hmac kernel-libipsec kernel-netlink socket-default vici updown
    install_routes = no
    retransmit_tries = 2
    plugins {
        vici {
            socket = unix://$dir/run/charon.vici
        }
        kernel-libipsec {
            load = yes
        }
    }
    filelog {
        kat {
            path = $dir/charon.log
            append = no
            flush_line = yes
            default = 1
            ike = 4
            chd = 4
            enc = 3
            cfg = 2
            net = 2
        }
    }
    syslog {
        daemon {
            default = -1
        }
    }
}
EOF
    cat > "$dir/swanctl.conf" <<EOF
connections {
    kat {
        version = 1
        aggressive = no
        local_addrs = $local
        remote_addrs = $remote
        proposals = $ike
        rekey_time = 0
        local {
            auth = psk
            id = $local
        }
        remote {
            auth = psk
            id = $remote
        }
        children {
            kat {
                local_ts = $lts
                remote_ts = $rts
                mode = tunnel
                esp_proposals = $esp
                rekey_time = 0
                start_action = none
            }
        }
    }
}
secrets {
    ike-kat {
        id-1 = $local
        id-2 = $remote
        secret = cisco123
    }
}
EOF
    echo "$role"
}

start_charon() {  # start_charon ROLE NS
    local dir="$WORK/$1"
    rm -f "$dir/run/charon.vici" "$dir/run/charon.pid"
    ip netns exec "$2" env STRONGSWAN_CONF="$dir/strongswan.conf" \
        sh -c "mount --bind '$dir/run' /run && exec /usr/lib/ipsec/charon" \
        > "$dir/charon.stdout" 2>&1 < /dev/null &
    PIDS+=("$!")
    echo "$!" > "$dir/daemon.pid"
    for _ in $(seq 1 100); do [ -S "$dir/run/charon.vici" ] && return 0; sleep 0.1; done
    echo "charon $1 did not come up" >&2
    cat "$dir/charon.stdout" >&2
    return 1
}

stop_charon() {  # stop_charon ROLE
    local pid
    pid=$(cat "$WORK/$1/daemon.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    return 0
}

swanctl_do() {  # swanctl_do ROLE ARGS...  (at most 30 s)
    local dir="$WORK/$1"
    shift
    timeout 30 env STRONGSWAN_CONF="$dir/strongswan.conf" \
        swanctl "$@" --uri "unix://$dir/run/charon.vici"
}

for suite in "${SUITES[@]}"; do
    IFS='|' read -r name ike esp <<< "$suite"
    write_conf i "$ADDR_I" "$ADDR_R" "$ike" "$esp" 10.10.20.0/24 10.10.10.0/24 > /dev/null
    write_conf r "$ADDR_R" "$ADDR_I" "$ike" "$esp" 10.10.10.0/24 10.10.20.0/24 > /dev/null
    start_charon r "$NS_R"
    start_charon i "$NS_I"
    swanctl_do r --load-all --file "$WORK/r/swanctl.conf" > "$WORK/r/load.txt" 2>&1
    swanctl_do i --load-all --file "$WORK/i/swanctl.conf" > "$WORK/i/load.txt" 2>&1
    swanctl_do i --initiate --child kat > "$WORK/i/initiate.txt" 2>&1 || {
        echo "suite $name: initiate failed" >&2
        tail -40 "$WORK/i/initiate.txt" >&2
        exit 1
    }
    stop_charon i
    stop_charon r
    out="$OUT/strongswan-5.9.8-ikev1-psk-$name.log"
    {
        echo "# strongSwan 5.9.8 (Debian 12) charon, IKEv1 main mode + quick mode, PSK cisco123."
        echo "# Initiator's log: $ADDR_I -> responder $ADDR_R; IKE proposal $ike, ESP"
        echo "# proposal $esp. Captured $(date -u +%Y-%m-%d) by capture_strongswan.sh (filelog"
        echo "# ike=4 chd=4 enc=3), excerpt: proposals, message boundaries, the whole messages"
        echo "# as sent/received, en/decryption dumps and keymat_v1.c/iv_manager.c key dumps."
        python3 - "$WORK/i/charon.log" <<'PY'
import re
import sys

KEEP = {
    "shared Diffie Hellman secret", "SKEYID", "SKEYID_d", "SKEYID_a", "SKEYID_e",
    "encryption key Ka", "initial IV", "HASH_I data", "HASH_I", "HASH_R data", "HASH_R",
    "Hash", "Hash(1)", "Hash(2)", "Hash(3)", "DH secret", "initiator SA seed",
    "responder SA seed", "encryption initiator key", "encryption responder key",
    "integrity initiator key", "integrity responder key", "IV", "plain", "padding",
    "encrypted", "generated data of this generator",
}
CONTEXT = re.compile(
    r"\[CFG\] selected proposal|IKE_SA kat\[\d+\] established|CHILD_SA kat\{\d+\} established"
    r"|\[ENC\] (generating|parsed) \S+ (request|response) \d+ \["
    r"|\[NET\] (sending|received) packet: .*bytes\)$|\[ENC\] (en|de)crypting payloads:"
)
HEAD = re.compile(r"^(\d+\[[A-Z]+\]) (\S.*?) => \d+ bytes @ ")
keep_dump = False
prefix = ""
after_header = False
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    line = line.rstrip("\n")
    m = HEAD.match(line)
    if m:
        prefix, label = m.groups()
        # the whole received message: the dump right after "parsing HEADER payload"
        keep_dump = label in KEEP or label.startswith("next IV for MID ") or (
            label == "parsing payload from" and after_header
        )
        after_header = False
        if keep_dump:
            print(line)
        continue
    if keep_dump and line.startswith(prefix) and re.match(r"\s+\d+: ", line[len(prefix):]):
        print(line)
        continue
    keep_dump = False
    after_header = "parsing HEADER payload," in line
    if CONTEXT.search(line):
        print(line)
PY
    } > "$out"
    if [ -n "${KAT_FULL_DIR:-}" ]; then  # optional: keep both whole logs for inspection
        cp "$WORK/i/charon.log" "$KAT_FULL_DIR/$name-initiator.log"
        cp "$WORK/r/charon.log" "$KAT_FULL_DIR/$name-responder.log"
    fi
    echo "suite $name: $(grep -c . "$out") lines -> $out"
done
