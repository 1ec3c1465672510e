#!/usr/bin/env python3
"""The writer's longest gap across a switchover: one single-row INSERT after another, each
committed on its own (autocommit), on one connection reused until it fails, then on a fresh one to
whichever server accepts writes. Stops on SIGTERM/SIGINT and prints one line of JSON: the commits,
the failed attempts, and the longest interval between two successful commits (ms, monotonic
clock) with the offsets of its two ends from the writer's start.

  write_gap.py pg    'host=127.0.0.1,127.0.0.1 port=5432,5433 target_session_attrs=read-write ...'
  write_gap.py mysql 'host:port,host:port' user password database
  write_gap.py show result.json     (one line for a person)

PostgreSQL through psycopg2 (libpq chooses the writable host); MariaDB through PyMySQL, trying each
listed server and keeping the first where @@read_only is off.
"""
import json
import signal
import sys
import time

stop = False


def on_signal(_sig, _frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)


def pg_connector(dsn):
    import psycopg2

    # A statement that hangs (a fenced or departing primary) must not hide the new one for long.
    dsn = dsn + " connect_timeout=2 options='-c statement_timeout=3000'"

    def connect():
        c = psycopg2.connect(dsn)
        c.autocommit = True
        cur = c.cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS write_gap (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())")
        return c

    def write(c):
        c.cursor().execute("INSERT INTO write_gap DEFAULT VALUES")

    return connect, write, psycopg2.Error


def mysql_connector(servers, user, password, database):
    import pymysql

    hosts = [(h, int(p)) for h, p in (s.rsplit(":", 1) for s in servers.split(","))]

    def connect():
        last = None
        for host, port in hosts:
            try:
                c = pymysql.connect(host=host, port=port, user=user, password=password, database=database,
                                    autocommit=True, connect_timeout=2, read_timeout=3, write_timeout=3)
            except pymysql.Error as e:
                last = e
                continue
            cur = c.cursor()
            cur.execute("SELECT @@global.read_only")
            if cur.fetchone()[0] == 0:
                cur.execute("CREATE TABLE IF NOT EXISTS write_gap (id bigint AUTO_INCREMENT PRIMARY KEY, at timestamp(6) DEFAULT CURRENT_TIMESTAMP(6))")
                return c
            c.close()
        raise last or pymysql.Error("no writable server")

    def write(c):
        c.cursor().execute("INSERT INTO write_gap () VALUES ()")

    return connect, write, pymysql.Error


def main():
    if sys.argv[1] == "show":
        r = json.load(open(sys.argv[2]))
        print(f"{r['longest_gap_ms']} ms ({r['commits']} commits, {r['failed_attempts']} failed attempts,"
              f" gap from {r['gap_from_s']} to {r['gap_to_s']} s after the writer started)")
        return
    if sys.argv[1] == "pg":
        connect, write, error = pg_connector(sys.argv[2])
    else:
        connect, write, error = mysql_connector(*sys.argv[2:6])
    t0 = time.monotonic()
    last = None
    gap = (0.0, 0.0, 0.0)
    commits = failures = 0
    conn = None
    while not stop:
        try:
            if conn is None:
                conn = connect()
            write(conn)
        except (error, OSError):
            failures += 1
            if conn is not None:
                try:
                    conn.close()
                except Exception:
                    pass
                conn = None
            time.sleep(0.005)
            continue
        now = time.monotonic()
        commits += 1
        if last is not None and now - last > gap[0]:
            gap = (now - last, last - t0, now - t0)
        last = now
    print(json.dumps({"commits": commits, "failed_attempts": failures,
                      "longest_gap_ms": round(gap[0] * 1000, 1),
                      "gap_from_s": round(gap[1], 3), "gap_to_s": round(gap[2], 3)}))


if __name__ == "__main__":
    main()
