#!/usr/bin/env bash
# Crash test: scepkit-server is killed with SIGKILL while clients enroll concurrently, then restarted on the same
# directory. Proven afterwards:
#   - every certificate a client received is in the issued index (the store is written, fsync()ed, before an
#     answer leaves), and every one verifies with openssl;
#   - no serial number appears twice (index and received certificates), also after new enrollments;
#   - the store is readable (no torn record), and the clients cut off by the crash can retry: they get their
#     certificate (transaction completed before the crash) or PENDING (a transaction caught mid-way is retried
#     once `in_progress_timeout` has passed), never a second certificate for the same transaction.
# Small by default; KILL9_COUNT=200 KILL9_PARALLEL=16 for a bigger run by hand; KILL9_SELFTEST=1 removes one
# received certificate's index record after the crash, and the run must then fail.
# Usage: server_kill9.sh SCEPKIT_TOOL WORKDIR        (exit 77: skipped)
set -u
tool=$1
work=$2
count=${KILL9_COUNT:-24}
parallel=${KILL9_PARALLEL:-6}
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
. "$(dirname "$0")/lib/server.sh"

"$srv_bin" init ca --challenge s3cret >init.log 2>&1 || { cat init.log; exit 1; }
echo "# making $count client keys"
for i in $(seq 1 "$count"); do openssl genrsa -out "k$i.pem" 2048 2>/dev/null; done
srv_start ca -q

enroll() { # enroll I: one client; its exit status goes to rc$I
  timeout 60 "$tool" enroll -u "$srv_url" -c ca/ca.pem -k "k$1.pem" -s "CN=k9-$1,O=scepkit crash" --challenge s3cret \
    -l "c$1.pem" -t 1 -n 1 --timeout 10 >"e$1.log" 2>&1
  echo $? >"rc$1"
}

echo "# $count enrollments, $parallel at a time; SIGKILL once a third are issued"
pids=()
killed=0
for i in $(seq 1 "$count"); do
  enroll "$i" &
  pids+=($!)
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do sleep 0.01; done
  if [ $killed = 0 ] && [ "$(ls ca/store/certs | wc -l)" -ge $((count / 3 + 1)) ]; then
    kill -KILL "$srv_pid"
    killed=1
    echo "# killed the server after $(ls ca/store/certs | wc -l) certificates (1 is the CA's serial claim)"
  fi
done
wait "${pids[@]}" 2>/dev/null
wait "$srv_wrapper" 2>/dev/null
[ $killed = 1 ] && ok "server killed with SIGKILL during the run" || bad "the run ended before the kill"

got=0
for i in $(seq 1 "$count"); do [ "$(cat "rc$i")" = 0 ] && got=$((got + 1)); done
cut=$((count - got))
echo "# $got clients got a certificate before or despite the crash, $cut were cut off"

if [ "${KILL9_SELFTEST:-0}" = 1 ]; then
  # proves the index check below can fail: drop the record of one certificate a client holds
  for i in $(seq 1 "$count"); do
    [ -s "c$i.pem" ] || continue
    s=$(openssl x509 -in "c$i.pem" -noout -serial | cut -d= -f2)
    rm -f ca/store/certs/"$s".cbor ca/store/certs/"$(echo "$s" | tr A-F a-f)".cbor
    echo "# self-test: removed the index record of c$i.pem ($s)"
    break
  done
fi
srv_start ca -q
"$srv_bin" index ca >index1.txt 2>index1.err
rc=$?; [ $rc = 0 ] && ok "store readable after the crash ($(tail -1 index1.txt))" || { bad "index rc=$rc"; cat index1.err; }

missing=0
for i in $(seq 1 "$count"); do
  [ -s "c$i.pem" ] || continue
  s=$(openssl x509 -in "c$i.pem" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//')
  grep -q "^0*$s " index1.txt || { missing=$((missing + 1)); echo "not in index: c$i.pem serial $s"; }
  verify ca/ca.pem "c$i.pem" || bad "c$i.pem does not verify"
done
[ $missing = 0 ] && ok "every certificate a client received ($got) is in the index" || bad "$missing received certificates missing"

# the clients cut off retry with the same key (same transactionID)
retry_bad=0
for i in $(seq 1 "$count"); do
  [ "$(cat "rc$i")" = 0 ] && continue
  enroll "$i"
  r=$(cat "rc$i")
  case $r in
  0) verify ca/ca.pem "c$i.pem" || retry_bad=$((retry_bad + 1)) ;;
  3) ;; # PENDING: its transaction was caught mid-way by the crash
  *) retry_bad=$((retry_bad + 1)); echo "retry $i: exit $r"; tail -3 "e$i.log" ;;
  esac
done
[ $retry_bad = 0 ] && ok "the $cut cut-off clients retried: certificate or PENDING, no failure" || bad "$retry_bad retries failed"

# new enrollments after the restart
for i in $(seq 1 4); do
  openssl genrsa -out "n$i.pem" 2048 2>/dev/null
  timeout 60 "$tool" enroll -u "$srv_url" -c ca/ca.pem -k "n$i.pem" -s "CN=after-$i" --challenge s3cret -l "nc$i.pem" \
    >"n$i.log" 2>&1 && verify ca/ca.pem "nc$i.pem" || { bad "enrollment after restart $i"; cat "n$i.log"; }
done
srv_stop
[ "$srv_rc" = 0 ] || bad "server exit $srv_rc after the restart"

"$srv_bin" index ca >index2.txt 2>&1
dups=$(grep -E '^[0-9a-f]+  ' index2.txt | cut -d' ' -f1 | sort | uniq -d | wc -l)
rdups=$(for f in c*.pem nc*.pem; do [ -s "$f" ] && openssl x509 -in "$f" -noout -serial; done | sort | uniq -d | wc -l)
rtx=$(grep -o 'CN=k9-[0-9]*,' index2.txt | sort | uniq -d | wc -l)
if [ "$dups" = 0 ] && [ "$rdups" = 0 ]; then
  ok "no serial repeats: $(grep -cE '^[0-9a-f]+  ' index2.txt) in the index"
else bad "repeated serials: index $dups, received $rdups"; fi
[ "$rtx" = 0 ] && ok "at most one certificate per client (transaction) in the index" || bad "$rtx clients got two certificates"
for i in $(seq 1 "$count"); do
  [ -s "c$i.pem" ] || continue
  s=$(openssl x509 -in "c$i.pem" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//')
  grep -q "^0*$s " index2.txt || bad "c$i.pem not in the final index"
done

srv_finish
