# Sourced by the benches that store into Ceph RGW on loopback through bench/s3_bench_server
# (built by `./tools/build.sh s3_bench_server`).

# s3_bench_up SERVER: starts the server as the coprocess SRV and reads what it prints: sets
# S3_ENDPOINT and S3_BUCKET, exports AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
s3_bench_up() {
  coproc SRV { "$1"; }
  read -r _ S3_ENDPOINT <&"${SRV[0]}"
  read -r _ S3_BUCKET <&"${SRV[0]}"
  read -r _ AWS_ACCESS_KEY_ID <&"${SRV[0]}"
  read -r _ AWS_SECRET_ACCESS_KEY <&"${SRV[0]}"
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
}

# s3_bench_down: the server stops the RGW at the end of its input.
s3_bench_down() {
  eval 'exec {SRV[1]}>&-'
  wait "$SRV_PID" 2>/dev/null || true
}
