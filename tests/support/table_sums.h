// A PostgreSQL function that sums a database's user tables, for tests that compare a restored or
// rescued copy with what the source held: created once in the source database, so every copy of
// it (native backups, restores) has it too.
#pragma once

namespace hasteward::testing {

// md5 over the ordered rows of every user table, with the table names (table_sums, made in
// SetUp, lives in the database, so a restored copy has it): a table dropped, emptied or changed
// shows.
inline constexpr char kChecksumsSql[] = "SELECT table_sums()";
inline constexpr char kTableSumsFunction[] = R"sql(
CREATE FUNCTION table_sums() RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; s text := ''; h text;
BEGIN
  FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1 LOOP
    EXECUTE format('SELECT md5(coalesce(string_agg(x::text, '','' ORDER BY x::text), '''')) '
                   'FROM %I x', r.relname) INTO h;
    s := s || r.relname || ':' || h || ' ';
  END LOOP;
  RETURN s;
END $$)sql";

}  // namespace hasteward::testing
