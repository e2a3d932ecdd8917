-- face upgrade script 0.1.0 -> 0.2.0, assembled by the Makefile from
-- src/sql/upgrade-0.1.0--0.2.0/*.sql in name order.  Each piece mirrors a change of
-- src/sql/*.sql, so that ALTER EXTENSION face UPDATE gives a fresh install's objects
-- (test/tap/005_upgrade.pl compares the two).

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION face UPDATE TO '0.2.0'" to load this file. \quit
