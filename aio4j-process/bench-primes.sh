#!/usr/bin/env bash
# CPU-bound throughput of a ProcessPool against the loop's own thread (see PrimesBenchmark's Javadoc).
#   aio4j-process/bench-primes.sh [limit] [rounds]
# Builds with ./aio4j build (which finds a JDK 25), then runs the benchmark from target/ on a JDK 25 or newer.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./aio4j build -pl aio4j-process -am >&2
java=""
for d in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
  if [ -x "$d/bin/java" ] && "$d/bin/java" -version 2>&1 | grep -q 'version "2[5-9]'; then java="$d/bin/java"; break; fi
done
[ -n "$java" ] || { echo "bench-primes: no JDK 25 found (set JAVA_HOME)" >&2; exit 1; }
cp="aio4j-core/target/classes:aio4j-process/target/classes:aio4j-process/target/test-classes"
exec "$java" -XX:+UseSerialGC -cp "$cp" org.aio4j.process.bench.PrimesBenchmark "$@"
